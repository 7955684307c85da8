//! The access rules around the role matrix: trusted reverse-proxy authentication here, deny by
//! default and the absolute session lifetime in `guard`.

mod guard;

use axum::http::{Method, StatusCode};
use lem_panel::config::{Config, ProxyAuthSettings};
use shared::api::Role;

use crate::harness::{Harness, Reply};
use crate::setups::{Setup, alpine_import, from};

const PROXY: &str = "10.0.0.1";
const IMPORTS: &str = "/api/v1/devices/edge-1/imports";

async fn behind_proxy(enabled: bool) -> Harness {
    let config = Config {
        trusted_proxies: vec![PROXY.parse().expect("ip")],
        proxy_auth: ProxyAuthSettings {
            enabled,
            ..ProxyAuthSettings::default()
        },
        ..Config::default()
    };
    Setup {
        config,
        ..Setup::default()
    }
    .build()
    .await
    .0
}

/// A request from `peer` naming `user` (and `role`, if any) in the proxy headers.
async fn as_proxied(
    app: &Harness,
    peer: &str,
    method: Method,
    path: &str,
    user: &str,
    role: Option<&str>,
) -> Reply {
    let mut builder =
        from(peer, method.clone(), path, "req-proxy").header("x-forwarded-user", user);
    if let Some(role) = role {
        builder = builder.header("x-forwarded-role", role);
    }
    let body = (method == Method::POST).then(alpine_import);
    app.send(builder, None, body).await
}

#[tokio::test]
async fn proxy_headers_are_honoured_only_from_a_configured_proxy_address() {
    let app = behind_proxy(true).await;
    let who = as_proxied(
        &app,
        PROXY,
        Method::GET,
        "/api/v1/session",
        "sso-alice",
        Some("operator"),
    )
    .await;
    assert_eq!(who.status, StatusCode::OK, "{}", who.text);
    assert_eq!(who.body["username"], "sso-alice");
    assert_eq!(who.body["role"], "operator");
    let imported = as_proxied(
        &app,
        PROXY,
        Method::POST,
        IMPORTS,
        "sso-alice",
        Some("operator"),
    )
    .await;
    assert_eq!(imported.status, StatusCode::ACCEPTED, "{}", imported.text);
    for stranger in ["192.0.2.50", "10.0.0.2"] {
        let reply = as_proxied(
            &app,
            stranger,
            Method::GET,
            "/api/v1/session",
            "admin",
            Some("admin"),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "from {stranger}: {}",
            reply.text
        );
    }
    let no_peer = axum::http::Request::builder()
        .uri("/api/v1/session")
        .header("x-forwarded-user", "admin")
        .header("x-forwarded-role", "admin");
    assert_eq!(
        app.send(no_peer, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn proxy_headers_are_ignored_when_proxy_auth_is_disabled() {
    let app = behind_proxy(false).await;
    let reply = as_proxied(
        &app,
        PROXY,
        Method::GET,
        "/api/v1/session",
        "admin",
        Some("admin"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    let cookie = app.login("viewer").await;
    let with_cookie = app
        .send(
            from(PROXY, Method::GET, "/api/v1/session", "req-1")
                .header("x-forwarded-user", "admin")
                .header("x-forwarded-role", "admin"),
            Some(&cookie),
            None,
        )
        .await;
    assert_eq!(
        with_cookie.body["username"], "viewer",
        "the headers do not replace the session"
    );
}

#[tokio::test]
async fn an_invalid_proxy_role_or_user_header_is_refused_and_a_missing_role_means_viewer() {
    let app = behind_proxy(true).await;
    for role in ["superuser", "admin,viewer", "", "root"] {
        let reply = as_proxied(
            &app,
            PROXY,
            Method::GET,
            "/api/v1/session",
            "sso-bob",
            Some(role),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "role {role:?}: {}",
            reply.text
        );
    }
    for user in ["bad name", "évil", "a/b", ""] {
        let reply = as_proxied(
            &app,
            PROXY,
            Method::GET,
            "/api/v1/session",
            user,
            Some("admin"),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "user {user:?}: {}",
            reply.text
        );
    }
    let shouted = as_proxied(
        &app,
        PROXY,
        Method::GET,
        "/api/v1/session",
        "SSO-Bob",
        Some(" Admin "),
    )
    .await;
    assert_eq!(
        (
            shouted.body["username"].as_str(),
            shouted.body["role"].as_str()
        ),
        (Some("sso-bob"), Some("admin"))
    );
    let plain = as_proxied(&app, PROXY, Method::GET, "/api/v1/session", "sso-bob", None).await;
    assert_eq!(plain.body["role"], "viewer", "{}", plain.text);
    let import = as_proxied(&app, PROXY, Method::POST, IMPORTS, "sso-bob", None).await;
    assert_eq!(
        import.status,
        StatusCode::FORBIDDEN,
        "a viewer may not import"
    );
    assert_eq!(app.device.total_calls(), 0);
}

#[tokio::test]
async fn per_device_roles_and_disabling_apply_to_proxy_users_with_a_local_account() {
    let app = behind_proxy(true).await;
    let db = &app.state.db;
    db.set_device_role("viewer".into(), "edge-1".into(), Some(Role::Operator))
        .await
        .expect("db");
    db.set_device_role("operator".into(), "edge-1".into(), Some(Role::Viewer))
        .await
        .expect("db");
    let raised = as_proxied(&app, PROXY, Method::POST, IMPORTS, "viewer", Some("viewer")).await;
    assert_eq!(
        raised.status,
        StatusCode::ACCEPTED,
        "override operator on edge-1: {}",
        raised.text
    );
    let lowered = as_proxied(
        &app,
        PROXY,
        Method::POST,
        IMPORTS,
        "operator",
        Some("operator"),
    )
    .await;
    assert_eq!(
        lowered.status,
        StatusCode::FORBIDDEN,
        "override viewer on edge-1: {}",
        lowered.text
    );
    let change = lem_panel::db::UserChange {
        role: None,
        enabled: Some(false),
    };
    db.update_user("viewer".into(), change).await.expect("db");
    let disabled = as_proxied(
        &app,
        PROXY,
        Method::GET,
        "/api/v1/session",
        "viewer",
        Some("admin"),
    )
    .await;
    assert_eq!(
        disabled.status,
        StatusCode::UNAUTHORIZED,
        "a disabled local account is shut out"
    );
}
