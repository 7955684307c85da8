//! Listing, status, and the mapping of every device failure to a panel answer.

use std::time::Duration;

use axum::http::StatusCode;
use lem_client::{BadResponseKind, DeviceError, TimeoutStage, TlsFailure};
use serde_json::json;

use crate::harness::{D1, D2, D512, Harness, Op, row};

#[tokio::test]
async fn the_list_is_translated_with_shared_digests_and_a_fetch_time() {
    let app = Harness::new(vec![
        row("line1/hmi", "1.4.0", D1),
        row("line1/hmi", "latest", D1),
        row("line1/hmi", "2.0.0", D512),
    ])
    .await;
    let cookie = app.login("viewer").await;
    let reply = app.get("/api/v1/devices/edge-1/images", &cookie).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["fetchedAtMs"], crate::harness::START_MS);
    assert_eq!(
        reply.body["images"][0]["sharedDigestTags"],
        json!(["latest"])
    );
    assert_eq!(
        reply.body["images"][2]["digest"], D512,
        "BC-15: sha512 listed unchanged"
    );
    assert_eq!(
        app.device.calls(Op::List),
        1,
        "one device call per refresh, none per row"
    );
}

#[tokio::test]
async fn every_list_asks_the_device_and_shows_what_it_answered_this_time_never_an_earlier_answer() {
    let app = Harness::new(vec![row("line1/hmi", "1.4.0", D1)]).await;
    let cookie = app.login("viewer").await;
    let first = app.get("/api/v1/devices/edge-1/images", &cookie).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);

    // The same answer again: the same rows, a new fetch time, and a device call all the same.
    app.clock.advance_ms(7_000);
    let again = app.get("/api/v1/devices/edge-1/images", &cookie).await;
    assert_eq!(again.body["images"], first.body["images"]);
    assert_eq!(again.body["fetchedAtMs"], crate::harness::START_MS + 7_000);
    assert_eq!(app.device.calls(Op::List), 2);

    // A changed answer is translated anew.
    app.device
        .rows
        .lock()
        .expect("lock")
        .push(row("line1/hmi", "latest", D1));
    let changed = app.get("/api/v1/devices/edge-1/images", &cookie).await;
    assert_eq!(changed.body["images"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        changed.body["images"][0]["sharedDigestTags"],
        json!(["latest"])
    );

    // A failure is a failure, whatever the device said before.
    app.device.fail_next(Op::List, DeviceError::Unauthorized);
    let failed = app.get("/api/v1/devices/edge-1/images", &cookie).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{}", failed.text);
    assert!(failed.body.get("images").is_none(), "{}", failed.text);

    // And back to the first answer: not confused with the second.
    app.device.rows.lock().expect("lock").pop();
    let back = app.get("/api/v1/devices/edge-1/images", &cookie).await;
    assert_eq!(back.body["images"], first.body["images"]);
    assert_eq!(app.device.calls(Op::List), 5);
}

#[tokio::test]
async fn bc19_an_empty_or_null_list_is_an_empty_registry_not_an_error() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("viewer").await;
    let reply = app.get("/api/v1/devices/edge-1/images", &cookie).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["images"], json!([]));
}

#[tokio::test]
async fn devices_are_listed_without_their_tokens() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("operator").await;
    let reply = app.get("/api/v1/devices", &cookie).await;
    assert_eq!(reply.body["devices"][0]["id"], "edge-1");
    assert_eq!(reply.body["devices"][0]["role"], "operator");
    assert_eq!(reply.body["devices"][0]["registryHost"], "10.20.0.5:5000");
    assert!(!reply.text.contains("LEMTOKEN"), "{}", reply.text);
}

fn failures() -> Vec<(DeviceError, StatusCode, &'static str, &'static str)> {
    let endpoint = "10.20.0.5:8446".to_owned();
    vec![
        (
            DeviceError::Unreachable {
                endpoint: endpoint.clone(),
                reason: "connection refused".into(),
            },
            StatusCode::BAD_GATEWAY,
            "device_unreachable",
            "10.20.0.5:8446",
        ),
        (
            DeviceError::Proxy {
                proxy: "127.0.0.1:9".into(),
                reason: "connection refused".into(),
            },
            StatusCode::BAD_GATEWAY,
            "device_proxy",
            "proxy 127.0.0.1:9",
        ),
        (
            DeviceError::Tls {
                endpoint: endpoint.clone(),
                kind: TlsFailure::Untrusted,
                presented_sha256: Some("ab:cd".into()),
            },
            StatusCode::BAD_GATEWAY,
            "device_tls",
            "self-signed",
        ),
        (
            DeviceError::Tls {
                endpoint: endpoint.clone(),
                kind: TlsFailure::PinMismatch,
                presented_sha256: None,
            },
            StatusCode::BAD_GATEWAY,
            "device_tls",
            "pinned",
        ),
        (
            DeviceError::Timeout {
                endpoint: endpoint.clone(),
                stage: TimeoutStage::Response,
                after: Duration::from_secs(30),
            },
            StatusCode::GATEWAY_TIMEOUT,
            "device_timeout",
            "30 seconds",
        ),
        (
            DeviceError::Unauthorized,
            StatusCode::BAD_GATEWAY,
            "device_auth",
            "token",
        ),
        (
            DeviceError::Forbidden,
            StatusCode::BAD_GATEWAY,
            "device_forbidden",
            "permission",
        ),
        (
            DeviceError::BadRequest {
                message: Some("bad name".into()),
            },
            StatusCode::BAD_REQUEST,
            "device_bad_request",
            "bad name",
        ),
        (
            DeviceError::NotFound { message: None },
            StatusCode::NOT_FOUND,
            "device_not_found",
            "does not exist",
        ),
        (
            DeviceError::Unsupported {
                status: 405,
                message: Some("delete disabled".into()),
            },
            StatusCode::BAD_GATEWAY,
            "device_unsupported",
            "does not support",
        ),
        (
            DeviceError::Server {
                status: 500,
                message: Some("bad auth [redacted]".into()),
            },
            StatusCode::BAD_GATEWAY,
            "device_error",
            "HTTP 500",
        ),
        (
            DeviceError::Refused {
                code: "E".into(),
                message: Some("no".into()),
                details: None,
            },
            StatusCode::BAD_GATEWAY,
            "device_refused",
            "reported failure",
        ),
        (
            DeviceError::BadResponse {
                status: 502,
                content_type: Some("text/html".into()),
                problem: BadResponseKind::Html,
            },
            StatusCode::BAD_GATEWAY,
            "device_bad_response",
            "HTML page instead of JSON (HTTP 502, text/html)",
        ),
        (
            DeviceError::BadResponse {
                status: 200,
                content_type: Some("text/html".into()),
                problem: BadResponseKind::Html,
            },
            StatusCode::BAD_GATEWAY,
            "device_bad_response",
            "(HTTP 200",
        ),
        (
            DeviceError::ConnectionLost { endpoint },
            StatusCode::BAD_GATEWAY,
            "device_unreachable",
            "closed before it answered",
        ),
    ]
}

#[tokio::test]
async fn every_device_failure_maps_to_its_own_status_code_and_message_and_never_to_401() {
    let app = Harness::new(vec![row("a", "1", D1)]).await;
    let cookie = app.login("viewer").await;
    for (error, status, code, phrase) in failures() {
        app.device.fail_next(Op::List, error.clone());
        let reply = app.get("/api/v1/devices/edge-1/images", &cookie).await;
        assert_eq!(
            (reply.status, reply.code()),
            (status, code),
            "{error:?}: {}",
            reply.text
        );
        let message = reply.body["error"]["message"].as_str().expect("message");
        assert!(message.contains(phrase), "{phrase:?} not in {message:?}");
        assert!(
            !reply.text.contains('<'),
            "no markup passed on: {}",
            reply.text
        );
    }
    // BC-23: after all that the browser session is intact.
    assert_eq!(
        app.get("/api/v1/session", &cookie).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn bc23_a_revoked_device_token_says_to_ask_an_admin() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("viewer").await;
    app.device.fail_next(Op::List, DeviceError::Unauthorized);
    let reply = app.get("/api/v1/devices/edge-1/images", &cookie).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert!(
        reply.body["error"]["hint"]
            .as_str()
            .expect("hint")
            .contains("Ask an admin")
    );
}

#[tokio::test]
async fn registry_status_reports_the_device_fields_and_connection_facts_or_why_it_failed() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("viewer").await;
    let ok = app.get("/api/v1/devices/edge-1/registry", &cookie).await;
    assert_eq!(ok.body["reachable"], true);
    assert_eq!(ok.body["registry"]["enabled"], true);
    assert_eq!(ok.body["tlsMode"], "pin");
    assert_eq!(ok.body["certificate"]["sha256"], "ab:cd");
    assert!(ok.body["roundTripMs"].is_u64());
    app.device.fail_next(
        Op::Info,
        DeviceError::Unreachable {
            endpoint: "10.20.0.5:8446".into(),
            reason: "connection refused".into(),
        },
    );
    let down = app.get("/api/v1/devices/edge-1/registry", &cookie).await;
    assert_eq!(down.status, StatusCode::OK);
    assert_eq!(down.body["reachable"], false);
    assert_eq!(down.body["error"]["code"], "device_unreachable");
}

#[tokio::test]
async fn an_unknown_device_is_a_json_404() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("viewer").await;
    let reply = app.get("/api/v1/devices/nope/images", &cookie).await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let _ = D2;
}
