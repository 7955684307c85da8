//! Personal API tokens: off by default; when on, shown once, stored hashed, bearer auth without
//! CSRF, revocable at once, and unable to mint more tokens.

use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::harness::{Harness, Reply};

async fn with_tokens() -> Harness {
    let config = lem_panel::config::Config {
        api_tokens: lem_panel::config::ApiTokenSettings { enabled: true },
        ..Default::default()
    };
    Harness::with_config(vec![], config).await
}

async fn bearer(
    app: &Harness,
    method: Method,
    path: &str,
    secret: &str,
    body: Option<serde_json::Value>,
) -> Reply {
    // Deliberately no CSRF header: scripts do not send one.
    let builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "panel.local")
        .header(header::AUTHORIZATION, format!("Bearer {secret}"));
    app.send(builder, None, body).await
}

#[tokio::test]
async fn api_tokens_are_off_by_default() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("operator").await;
    let reply = app
        .post("/api/v1/session/tokens", &cookie, json!({"name": "script"}))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = bearer(&app, Method::GET, "/api/v1/devices", "lemp_whatever", None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_is_shown_once_stored_hashed_works_without_csrf_and_dies_when_revoked() {
    let app = with_tokens().await;
    let cookie = app.login("operator").await;
    let created = app
        .post(
            "/api/v1/session/tokens",
            &cookie,
            json!({"name": "nightly sync"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.body["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("lemp_") && secret.len() > 40);
    let id = created.body["token"]["id"].as_i64().expect("id");
    let listed = app.get("/api/v1/session/tokens", &cookie).await;
    assert_eq!(listed.body["tokens"][0]["name"], "nightly sync");
    assert!(
        !listed.text.contains(&secret),
        "the secret is never shown again"
    );
    let stored: String = app
        .state
        .db
        .call(|c| Ok(c.query_row("SELECT secret_hash FROM api_tokens", [], |r| r.get(0))?))
        .await
        .expect("row");
    assert_ne!(stored, secret);
    assert_eq!(stored, lem_panel::auth::hash_session_id(&secret));

    assert_eq!(
        bearer(&app, Method::GET, "/api/v1/devices", &secret, None)
            .await
            .status,
        StatusCode::OK
    );
    let import = json!({"externalUrl": "docker.io", "externalName": "library/alpine", "externalTag": "3.20",
                        "internalName": "alpine", "internalTag": "3.20"});
    let started = bearer(
        &app,
        Method::POST,
        "/api/v1/devices/edge-1/imports",
        &secret,
        Some(import),
    )
    .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text);
    let deletion =
        json!({"name": "alpine", "digest": crate::harness::D1, "expectedTags": ["3.20"]});
    let refused = bearer(
        &app,
        Method::POST,
        "/api/v1/devices/edge-1/deletions",
        &secret,
        Some(deletion),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "the token carries the owner's role, not more"
    );
    let minted = bearer(
        &app,
        Method::POST,
        "/api/v1/session/tokens",
        &secret,
        Some(json!({"name": "more"})),
    )
    .await;
    assert_eq!(
        minted.status,
        StatusCode::FORBIDDEN,
        "a token cannot create tokens"
    );

    let revoked = app
        .call(
            Method::DELETE,
            &format!("/api/v1/session/tokens/{id}"),
            Some(&cookie),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        bearer(&app, Method::GET, "/api/v1/devices", &secret, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let actions = app.audit_actions().await;
    assert!(
        actions.contains(&"api_token_created".to_owned())
            && actions.contains(&"api_token_revoked".to_owned())
    );
}

#[tokio::test]
async fn disabling_the_owner_stops_their_tokens() {
    let app = with_tokens().await;
    let viewer = app.login("viewer").await;
    let created = app
        .post("/api/v1/session/tokens", &viewer, json!({"name": "t"}))
        .await;
    let secret = created.body["secret"].as_str().expect("secret").to_owned();
    let admin = app.login("admin").await;
    app.call(
        Method::PATCH,
        "/api/v1/users/viewer",
        Some(&admin),
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(
        bearer(&app, Method::GET, "/api/v1/devices", &secret, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
