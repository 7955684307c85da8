//! The HTTP surface itself: JSON 404s, headers, limits, base path, the OpenAPI document.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use utoipa::OpenApi;

use crate::harness::{Harness, Reply};

#[tokio::test]
async fn unknown_api_paths_get_a_json_404_not_the_app() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("viewer").await;
    for path in [
        "/api/v1/nope",
        "/api/v2/devices",
        "/api/anything/index.html",
    ] {
        let reply = app.get(path, &cookie).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{path}"
        );
    }
}

/// Asserts the security headers every response must carry.
pub fn assert_security_headers(reply: &Reply, what: &str) {
    let csp = reply
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{what} ({}): no CSP", reply.status));
    for directive in [
        "script-src 'self' 'wasm-unsafe-eval'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{what}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        assert_eq!(
            reply.headers.get(name).map(|v| v.as_bytes()),
            Some(value.as_bytes()),
            "{what}: {name}"
        );
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = Harness::new(vec![]).await;
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/api/v1/session"),
        (Method::GET, "/api/v1/nope"),
        (Method::POST, "/api/v1/session"),
        (Method::GET, "/healthz"),
    ] {
        let reply = app.call(method, path, None, None).await;
        assert_security_headers(&reply, path);
        if path.starts_with("/api/") {
            assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store", "{path}");
            assert!(
                reply.headers[header::CONTENT_TYPE]
                    .to_str()
                    .expect("ascii")
                    .starts_with("application/json"),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn oversized_non_json_and_malformed_bodies_get_the_envelope() {
    let app = Harness::new(vec![]).await;
    let big = "x".repeat(70 * 1024);
    let too_large = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/session")
                .header(shared::CSRF_HEADER, "1")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, big.len()),
            None,
            Some(json!(big)),
        )
        .await;
    assert_eq!(
        (too_large.status, too_large.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/session")
        .header(shared::CSRF_HEADER, "1")
        .header(header::CONTENT_TYPE, "application/json");
    let invalid = app.send(request, None, None).await;
    assert_eq!(
        (invalid.status, invalid.code()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    let plain = app
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/session")
                .header(shared::CSRF_HEADER, "1")
                .header(header::CONTENT_TYPE, "text/plain"),
            None,
            None,
        )
        .await;
    assert_eq!(plain.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let wrong_method = app.call(Method::PUT, "/api/v1/devices", None, None).await;
    assert_eq!(
        (wrong_method.status, wrong_method.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    let _ = Body::empty();
}

#[tokio::test]
async fn bc10_paths_that_look_like_files_reach_the_app() {
    let app = Harness::new(vec![]).await;
    for path in [
        "/images/tools/cfg:index.html",
        "/images/tools/cfg:v1.json",
        "/images/myuser/php-5.5:2.0.0-rc.1",
    ] {
        let reply = app.call(Method::GET, path, None, None).await;
        assert!(
            reply.headers[header::CONTENT_TYPE]
                .to_str()
                .expect("ascii")
                .starts_with("text/html"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_the_server_has() {
    let app = Harness::new(vec![]).await;
    let reply = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body["openapi"]
            .as_str()
            .expect("version")
            .starts_with("3.")
    );
    let documented: BTreeSet<String> = lem_panel::routes::ApiDoc::openapi()
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            let mut methods = Vec::new();
            for (name, op) in [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("PATCH", &item.patch),
                ("DELETE", &item.delete),
            ] {
                if op.is_some() {
                    methods.push(format!("{name} {path}"));
                }
            }
            methods
        })
        .collect();
    let served: BTreeSet<String> = lem_panel::routes::ROUTES
        .iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    assert_eq!(documented, served);
}

#[tokio::test]
async fn health_and_metrics_answer_without_a_session() {
    let app = Harness::new(vec![]).await;
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.text,
        "ok"
    );
    assert_eq!(
        app.call(Method::GET, "/readyz", None, None).await.status,
        StatusCode::OK
    );
    let cookie = app.login("viewer").await;
    app.get("/api/v1/devices/edge-1/images", &cookie).await;
    let metrics = app.call(Method::GET, "/metrics", None, None).await.text;
    assert!(metrics.contains("lem_panel_http_requests_total{method=\"GET\",route=\"/api/v1/devices/{device}/images\",status=\"200\"} 1"), "{metrics}");
    assert!(
        metrics.contains(
            "lem_panel_device_call_seconds_count{device=\"edge-1\",op=\"list\",outcome=\"ok\"} 1"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn large_answers_are_compressed_with_the_fastest_accepted_encoding_and_small_ones_not_at_all()
{
    let rows = (0..300)
        .map(|i| crate::harness::row("line1/hmi", &format!("1.0.{i}"), crate::harness::D1))
        .collect();
    let app = Harness::new(rows).await;
    let cookie = app.login("viewer").await;
    let get = |path: &'static str, accept: &'static str| {
        let builder = Request::builder()
            .uri(path)
            .header(header::HOST, "panel.local")
            .header(header::ACCEPT_ENCODING, accept);
        app.send(builder, Some(&cookie), None)
    };
    let encoding = |reply: &crate::harness::Reply| {
        reply
            .headers
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap_or("?").to_owned())
    };
    // What Chromium sends: zstd wins (level 1: fastest for a large list at a similar size).
    let list = get("/api/v1/devices/edge-1/images", "gzip, deflate, br, zstd").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(encoding(&list).as_deref(), Some("zstd"));
    let plain = zstd::stream::decode_all(&*list.bytes).expect("valid zstd");
    assert!(list.bytes.len() * 5 < plain.len(), "compressed at all");
    let plain: serde_json::Value = serde_json::from_slice(&plain).expect("JSON inside");
    assert_eq!(plain["images"].as_array().map(Vec::len), Some(300));
    let list = get("/api/v1/devices/edge-1/images", "gzip, deflate, br").await;
    assert_eq!(encoding(&list).as_deref(), Some("br"));
    // A few hundred bytes are not worth an encoder.
    let session = get("/api/v1/session", "gzip, deflate, br, zstd").await;
    assert_eq!(session.status, StatusCode::OK);
    assert_eq!(encoding(&session), None, "{}", session.text);
}
