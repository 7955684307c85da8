//! Deny by default for a route missing from the role table, and the absolute session lifetime.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::http::{Method, StatusCode};
use axum::routing::get;
use tower::ServiceExt;

use crate::harness::Harness;

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
