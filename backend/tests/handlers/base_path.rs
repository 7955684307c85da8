//! The base path (`--base-path /registry`): everything lives below it, and what answers
//! outside it (the redirect to `/registry/`, 404s) is a response like any other.

use axum::http::{Method, StatusCode, header};
use serde_json::json;

use crate::harness::Harness;
use crate::serving::assert_security_headers;

#[tokio::test]
async fn bc08_under_a_base_path_everything_lives_below_it() {
    let config = lem_panel::config::Config {
        base_path: "/registry".into(),
        ..Default::default()
    };
    let app = Harness::with_config(vec![], config).await;
    let bare = app.call(Method::GET, "/registry", None, None).await;
    assert_eq!(bare.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(bare.headers[header::LOCATION], "/registry/");
    assert_eq!(
        app.call(Method::GET, "/api/v1/session", None, None)
            .await
            .status,
        StatusCode::NOT_FOUND,
        "nothing at the root"
    );
    let login = app
        .call(
            Method::POST,
            "/registry/api/v1/session",
            None,
            Some(json!({"username": "viewer", "password": crate::harness::password_of("viewer")})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let cookie_header = login.headers[header::SET_COOKIE].to_str().expect("ascii");
    assert!(cookie_header.contains("Path=/registry;"), "{cookie_header}");
    let cookie = cookie_header.split(';').next().expect("pair");
    assert_eq!(
        app.get("/registry/api/v1/devices", cookie).await.status,
        StatusCode::OK
    );
    let deep = app.get("/registry/images/line1/hmi", cookie).await;
    assert!(
        deep.headers[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/html"),
        "deep links serve the app"
    );
}

#[tokio::test]
async fn under_a_base_path_the_redirect_and_the_404s_outside_it_carry_the_security_headers_too() {
    let config = lem_panel::config::Config {
        base_path: "/registry".into(),
        ..Default::default()
    };
    let app = Harness::with_config(vec![], config).await;
    for (path, status) in [
        ("/registry", StatusCode::PERMANENT_REDIRECT),
        ("/api/v1/session", StatusCode::NOT_FOUND),
        ("/registryx/", StatusCode::NOT_FOUND),
        ("/", StatusCode::NOT_FOUND),
        ("/registry/api/v1/nope", StatusCode::NOT_FOUND),
        ("/registry/healthz", StatusCode::OK),
    ] {
        let reply = app.call(Method::GET, path, None, None).await;
        assert_eq!(reply.status, status, "{path}");
        assert_security_headers(&reply, path);
    }
}
