//! The access rules around the role matrix: trusted reverse-proxy authentication, deny by
//! default for a route missing from the table, and the absolute session lifetime.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::routing::get;
use lem_panel::config::{Config, ProxyAuthSettings};
use shared::api::Role;
use tower::ServiceExt;

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

#[tokio::test]
async fn a_route_missing_from_the_role_table_is_refused_by_the_guard_before_its_handler_runs() {
    let app = Harness::new(vec![]).await;
    let admin = app.login("admin").await;
    let ran = Arc::new(AtomicU32::new(0));
    let handler = {
        let ran = ran.clone();
        move || async move {
            ran.fetch_add(1, Ordering::SeqCst);
            "handled"
        }
    };
    // `/api/v1/devices` is in the table for GET only; `/api/v1/unlisted` not at all.
    let router = Router::new()
        .route("/api/v1/unlisted", get(handler.clone()))
        .route("/api/v1/devices", get(handler.clone()).post(handler))
        .route_layer(axum::middleware::from_fn_with_state(
            app.state.clone(),
            lem_panel::auth::guard,
        ))
        .with_state(app.state.clone());
    let call = |method: Method, path: &'static str, cookie: Option<String>| {
        let router = router.clone();
        async move {
            let mut request = crate::setups::from("192.0.2.1", method, path, "req-deny");
            if let Some(cookie) = cookie {
                request = request.header(axum::http::header::COOKIE, cookie);
            }
            let request = request.body(axum::body::Body::empty()).expect("request");
            router.oneshot(request).await.expect("infallible").status()
        }
    };
    assert_eq!(
        call(Method::GET, "/api/v1/devices", Some(admin.clone())).await,
        StatusCode::OK,
        "a listed route passes"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    for (method, path) in [
        (Method::GET, "/api/v1/unlisted"),
        (Method::POST, "/api/v1/devices"),
    ] {
        for cookie in [Some(admin.clone()), None] {
            let status = call(method.clone(), path, cookie.clone()).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} (logged in: {})",
                cookie.is_some()
            );
        }
    }
    assert_eq!(ran.load(Ordering::SeqCst), 1, "no unlisted handler ran");
}

#[tokio::test]
async fn an_active_session_lives_until_just_before_twelve_hours_and_ends_at_twelve() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("viewer").await;
    // A request every 15 minutes keeps it from idling out: 47 steps reach 11 h 45 min.
    for step in 1..=47 {
        app.clock.advance_ms(15 * 60 * 1000);
        let status = app.get("/api/v1/session", &cookie).await.status;
        assert_eq!(status, StatusCode::OK, "alive after {} minutes", step * 15);
    }
    app.clock.advance_ms(14 * 60 * 1000 + 59 * 1000);
    assert_eq!(
        app.get("/api/v1/session", &cookie).await.status,
        StatusCode::OK,
        "alive at 11 h 59 min 59 s"
    );
    app.clock.advance_ms(1000);
    assert_eq!(
        app.get("/api/v1/session", &cookie).await.status,
        StatusCode::UNAUTHORIZED,
        "ended at 12 h, one second after its last use"
    );
    assert_eq!(
        app.get("/api/v1/session", &app.login("viewer").await)
            .await
            .status,
        StatusCode::OK,
        "a new login starts a new 12 hours"
    );
}
