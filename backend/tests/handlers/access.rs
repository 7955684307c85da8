//! Who may call what: the role × route matrix, CSRF refusals, expiry and session life.

use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::harness::{D1, Harness, Op, row};

/// The security model's table, written out independently of the server's own route table.
/// `None` = public; `Some("any")` = any logged-in user.
const EXPECTED: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/healthz", None),
    ("GET", "/readyz", None),
    ("GET", "/metrics", None),
    ("GET", "/api/v1/openapi.json", None),
    ("POST", "/api/v1/session", None),
    ("GET", "/api/v1/session", Some("any")),
    ("PUT", "/api/v1/session/password", Some("any")),
    ("GET", "/api/v1/session/tokens", Some("viewer")),
    ("POST", "/api/v1/session/tokens", Some("viewer")),
    ("DELETE", "/api/v1/session/tokens/1", Some("viewer")),
    ("GET", "/api/v1/devices", Some("viewer")),
    ("GET", "/api/v1/devices/edge-1/images", Some("viewer")),
    ("GET", "/api/v1/devices/edge-1/registry", Some("viewer")),
    ("GET", "/api/v1/jobs", Some("viewer")),
    ("GET", "/api/v1/jobs/1", Some("viewer")),
    ("POST", "/api/v1/devices/edge-1/imports", Some("operator")),
    ("POST", "/api/v1/devices/edge-1/deletions", Some("admin")),
    ("GET", "/api/v1/users", Some("admin")),
    ("POST", "/api/v1/users", Some("admin")),
    ("PATCH", "/api/v1/users/viewer", Some("admin")),
    ("POST", "/api/v1/users/nobody/password-reset", Some("admin")),
    ("GET", "/api/v1/audit", Some("admin")),
    ("GET", "/api/v1/audit/export", Some("admin")),
    ("DELETE", "/api/v1/session", Some("any")),
];

fn body_for(method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        ("POST", "/api/v1/session") => {
            Some(json!({"username": "viewer", "password": crate::harness::password_of("viewer")}))
        }
        ("PUT", _) => Some(json!({"currentPassword": "x", "newPassword": "y"})),
        ("POST", p) if p.ends_with("/imports") => Some(
            json!({"externalUrl": "docker.io", "externalName": "library/alpine",
            "externalTag": "3.20", "internalName": "alpine", "internalTag": "3.20"}),
        ),
        ("POST", p) if p.ends_with("/deletions") => {
            Some(json!({"name": "line1/hmi", "digest": D1, "expectedTags": ["9.9"]}))
        }
        ("POST", "/api/v1/users") => Some(json!({"username": "matrix-made", "role": "viewer"})),
        ("PATCH", _) => Some(json!({})),
        ("POST", "/api/v1/session/tokens") => Some(json!({"name": "matrix"})),
        _ => None,
    }
}

fn rank(role: &str) -> u8 {
    match role {
        "viewer" => 1,
        "operator" => 2,
        "admin" => 3,
        _ => 0,
    }
}

#[tokio::test]
async fn every_route_refuses_callers_below_its_role_and_admits_those_at_or_above_it() {
    let app = Harness::new(vec![row("line1/hmi", "1.4.0", D1)]).await;
    let routes: Vec<(Method, &str)> = lem_panel::routes::ROUTES
        .iter()
        .map(|(m, p, _)| (m.clone(), *p))
        .collect();
    assert_eq!(
        routes.len(),
        EXPECTED.len(),
        "the expected table covers every route"
    );
    let mut unexpected = Vec::new();
    for caller in ["anonymous", "viewer", "operator", "admin", "expired"] {
        for (method, path, needed) in EXPECTED {
            let cookie = match caller {
                "anonymous" => None,
                "expired" => {
                    let c = app.login("admin").await;
                    app.clock.advance_ms(31 * 60 * 1000);
                    Some(c)
                }
                user => Some(app.login(user).await),
            };
            let method = Method::from_bytes(method.as_bytes()).expect("method");
            let reply = app
                .call(
                    method.clone(),
                    path,
                    cookie.as_deref(),
                    body_for(method.as_str(), path),
                )
                .await;
            let refused = matches!(
                reply.status,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
            );
            let allowed_by_model = match needed {
                None => true,
                Some(_) if matches!(caller, "anonymous" | "expired") => false,
                Some("any") => true,
                Some(role) => rank(caller) >= rank(role),
            };
            if allowed_by_model == refused {
                unexpected.push(format!(
                    "{caller} {method} {path} -> {} {}",
                    reply.status, reply.text
                ));
            }
            if !allowed_by_model && !matches!(caller, "anonymous" | "expired") {
                assert_eq!(reply.code(), "forbidden", "{caller} {method} {path}");
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "unexpected results:\n{}",
        unexpected.join("\n")
    );
}

#[tokio::test]
async fn cross_site_requests_are_refused_before_any_device_call() {
    let app = Harness::new(vec![row("line1/hmi", "1.4.0", D1)]).await;
    let cookie = app.login("admin").await;
    let body = json!({"name": "line1/hmi", "digest": D1, "expectedTags": ["1.4.0"]});
    let path = "/api/v1/devices/edge-1/deletions";
    let attempts = [
        // A forged HTML form post: no custom header, form content type.
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, "panel.local")
            .header("origin", "https://evil.example"),
        // A cross-site fetch that adds the header.
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, "panel.local")
            .header(shared::CSRF_HEADER, "1")
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site"),
        // Same origin but without the app's header.
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, "panel.local")
            .header("sec-fetch-site", "same-origin"),
    ];
    for attempt in attempts {
        let reply = app.send(attempt, Some(&cookie), Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
        assert_eq!(reply.code(), "csrf_rejected");
    }
    let get = app.get(path, &cookie).await;
    assert_eq!(
        get.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "GET never changes state"
    );
    assert_eq!(
        app.device.total_calls(),
        0,
        "no device call for any refused request"
    );
}

#[tokio::test]
async fn three_deletes_in_a_row_from_the_app_all_work() {
    let rows = vec![row("a", "1", D1), row("b", "1", D1), row("c", "1", D1)];
    let app = Harness::new(rows).await;
    let cookie = app.login("admin").await;
    for name in ["a", "b", "c"] {
        let reply = app
            .post(
                "/api/v1/devices/edge-1/deletions",
                &cookie,
                json!({"name": name, "digest": D1, "expectedTags": ["1"]}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }
    assert_eq!(app.device.calls(Op::Delete), 3);
}

#[tokio::test]
async fn sessions_expire_when_idle_and_at_their_absolute_limit() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("viewer").await;
    app.clock.advance_ms(29 * 60 * 1000);
    assert_eq!(
        app.get("/api/v1/session", &cookie).await.status,
        StatusCode::OK,
        "29 idle minutes are fine"
    );
    app.clock.advance_ms(30 * 60 * 1000);
    assert_eq!(
        app.get("/api/v1/session", &cookie).await.status,
        StatusCode::UNAUTHORIZED,
        "30 idle minutes end it"
    );
    let busy = app.login("viewer").await;
    for _ in 0..48 {
        app.clock.advance_ms(15 * 60 * 1000);
        let status = app.get("/api/v1/session", &busy).await.status;
        if status == StatusCode::UNAUTHORIZED {
            return;
        }
    }
    panic!("an active session outlived the 12-hour absolute limit");
}

#[tokio::test]
async fn logout_and_disabling_a_user_take_effect_on_the_next_request() {
    let app = Harness::new(vec![]).await;
    let viewer = app.login("viewer").await;
    let admin = app.login("admin").await;
    let reply = app
        .call(Method::DELETE, "/api/v1/session", Some(&admin), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(
        reply.headers[header::SET_COOKIE]
            .to_str()
            .expect("ascii")
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.get("/api/v1/session", &admin).await.status,
        StatusCode::UNAUTHORIZED
    );
    let admin = app.login("admin").await;
    let reply = app
        .call(
            Method::PATCH,
            "/api/v1/users/viewer",
            Some(&admin),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        app.get("/api/v1/session", &viewer).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = app
        .call(
            Method::POST,
            "/api/v1/session",
            None,
            Some(json!({"username": "viewer", "password": crate::harness::password_of("viewer")})),
        )
        .await;
    assert_eq!(
        login.status,
        StatusCode::UNAUTHORIZED,
        "a disabled user cannot log in"
    );
}
