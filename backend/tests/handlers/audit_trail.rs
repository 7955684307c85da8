//! One audit record per audited action, with every field filled: UTC time, actor, client
//! address, device, action, target, outcome and the request id of the request that caused it.

use axum::http::{Method, StatusCode};
use lem_panel::config::Config;
use serde_json::{Value, json};
use shared::api::AuditRecord;

use crate::harness::{D1, Harness, password_of, row};
use crate::setups::{Setup, alpine_import, from};

const CLIENT: &str = "192.0.2.10";

/// Sends a request from [`CLIENT`] with `request_id`.
async fn act(
    app: &Harness,
    method: Method,
    path: &str,
    id: &str,
    cookie: Option<&str>,
    body: Option<Value>,
) -> crate::harness::Reply {
    app.send(from(CLIENT, method, path, id), cookie, body).await
}

async fn login_from_client(app: &Harness, user: &str) -> String {
    let body = json!({"username": user, "password": password_of(user)});
    let reply = act(
        app,
        Method::POST,
        "/api/v1/session",
        "req-login",
        None,
        Some(body),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let set = reply.headers["set-cookie"].to_str().expect("ascii");
    set.split(';').next().expect("pair").to_owned()
}

/// The record of `action` a request wrote; fails unless there is exactly one, and unless
/// every record of the request is of an action expected for it.
async fn only(app: &Harness, request_id: &str, action: &str) -> AuditRecord {
    let all: Vec<AuditRecord> = app
        .state
        .db
        .audit(Default::default())
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.request_id == request_id)
        .collect();
    let allowed: &[&str] = if action.starts_with("import_") {
        &["import_started", "import_finished"]
    } else {
        &[action]
    };
    assert!(
        all.iter().all(|r| allowed.contains(&r.action.as_str())),
        "records of {request_id}: {all:?}"
    );
    let records: Vec<AuditRecord> = all
        .into_iter()
        .filter(|r| r.action.as_str() == action)
        .collect();
    assert_eq!(
        records.len(),
        1,
        "{action} records of {request_id}: {records:?}"
    );
    records.into_iter().next().expect("one")
}

/// Checks the fields every record has, at the harness clock's current time.
fn assert_complete(
    record: &AuditRecord,
    app: &Harness,
    actor: &str,
    device: Option<&str>,
    target: &[&str],
    outcome: &str,
) {
    use lem_panel::clock::Clock;
    assert_eq!(
        record.at_ms,
        app.clock.now_ms(),
        "UTC time from the clock: {record:?}"
    );
    assert_eq!(record.actor, actor, "{record:?}");
    assert_eq!(record.client_addr, CLIENT, "{record:?}");
    assert_eq!(record.device.as_deref(), device, "{record:?}");
    let text = record.target.as_deref().unwrap_or_default();
    for part in target {
        assert!(text.contains(part), "target {text:?} lacks {part:?}");
    }
    assert!(
        record.outcome.contains(outcome),
        "outcome {:?} lacks {outcome:?}",
        record.outcome
    );
}

#[tokio::test]
async fn a_lockout_writes_one_login_throttled_record_with_every_field() {
    let app = Harness::new(vec![]).await;
    for i in 0..5 {
        let body = json!({"username": "viewer", "password": "wrong password!"});
        let reply = act(
            &app,
            Method::POST,
            "/api/v1/session",
            &format!("req-fail-{i}"),
            None,
            Some(body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        only(&app, &format!("req-fail-{i}"), "login_failed").await;
    }
    let body = json!({"username": "viewer", "password": password_of("viewer")});
    let locked = act(
        &app,
        Method::POST,
        "/api/v1/session",
        "req-locked",
        None,
        Some(body),
    )
    .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    let record = only(&app, "req-locked", "login_throttled").await;
    assert_complete(&record, &app, "viewer", None, &[], "refused");
}

#[tokio::test]
async fn a_self_service_password_change_writes_one_record_with_every_field() {
    let app = Harness::new(vec![]).await;
    let cookie = login_from_client(&app, "operator").await;
    let body =
        json!({"currentPassword": password_of("operator"), "newPassword": "a fresh long password"});
    let reply = act(
        &app,
        Method::PUT,
        "/api/v1/session/password",
        "req-passwd",
        Some(&cookie),
        Some(body),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    let record = only(&app, "req-passwd", "password_changed").await;
    assert_complete(&record, &app, "operator", None, &["operator"], "ok");
}

#[tokio::test]
async fn an_admin_creating_re_roling_and_disabling_a_user_writes_one_record_each() {
    let app = Harness::new(vec![]).await;
    let admin = login_from_client(&app, "admin").await;
    let steps = [
        (
            Method::POST,
            "/api/v1/users",
            "req-create",
            json!({"username": "carol", "role": "viewer"}),
            "user_created",
            "role viewer",
        ),
        (
            Method::PATCH,
            "/api/v1/users/carol",
            "req-role",
            json!({"role": "operator"}),
            "user_updated",
            "role operator",
        ),
        (
            Method::PATCH,
            "/api/v1/users/carol",
            "req-disable",
            json!({"enabled": false}),
            "user_updated",
            "disabled",
        ),
    ];
    for (method, path, id, body, action, outcome) in steps {
        app.clock.advance_ms(1000);
        let reply = act(&app, method, path, id, Some(&admin), Some(body)).await;
        assert!(reply.status.is_success(), "{id}: {}", reply.text);
        let record = only(&app, id, action).await;
        assert_complete(&record, &app, "admin", None, &["carol"], outcome);
    }
}

#[tokio::test]
async fn an_import_writes_one_start_and_one_outcome_record_with_every_field() {
    let app = Harness::new(vec![]).await;
    let cookie = login_from_client(&app, "operator").await;
    let reply = act(
        &app,
        Method::POST,
        "/api/v1/devices/edge-1/imports",
        "req-import",
        Some(&cookie),
        Some(alpine_import()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    let id = reply.body["job"]["id"].as_i64().expect("id");
    app.finished_job(id, &cookie).await;
    let source = ["docker.io/library/alpine:3.20", "alpine:3.20"];
    let started = only(&app, "req-import", "import_started").await;
    assert_complete(
        &started,
        &app,
        "operator",
        Some("edge-1"),
        &source,
        &format!("job {id}"),
    );
    let finished = only(&app, "req-import", "import_finished").await;
    let digest = crate::harness::D2;
    assert_complete(
        &finished,
        &app,
        "operator",
        Some("edge-1"),
        &source,
        &format!("job {id} succeeded {digest}"),
    );
}

#[tokio::test]
async fn a_deletion_writes_one_record_with_its_verified_outcome_and_every_field() {
    let app = Harness::new(vec![
        row("line1/hmi", "1.4.0", D1),
        row("line1/hmi", "stable", D1),
    ])
    .await;
    let admin = login_from_client(&app, "admin").await;
    let body = json!({"name": "line1/hmi", "digest": D1, "expectedTags": ["1.4.0", "stable"]});
    let reply = act(
        &app,
        Method::POST,
        "/api/v1/devices/edge-1/deletions",
        "req-delete",
        Some(&admin),
        Some(body),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let record = only(&app, "req-delete", "deletion").await;
    assert_complete(
        &record,
        &app,
        "admin",
        Some("edge-1"),
        &["line1/hmi", D1, "1.4.0", "stable"],
        "removed",
    );
}

#[tokio::test]
async fn creating_and_revoking_an_api_token_write_one_record_each() {
    let mut config = Config::default();
    config.api_tokens.enabled = true;
    let (app, _) = Setup {
        config,
        ..Setup::default()
    }
    .build()
    .await;
    let cookie = login_from_client(&app, "viewer").await;
    let created = act(
        &app,
        Method::POST,
        "/api/v1/session/tokens",
        "req-token",
        Some(&cookie),
        Some(json!({"name": "ci"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["token"]["id"].as_i64().expect("id");
    let record = only(&app, "req-token", "api_token_created").await;
    assert_complete(
        &record,
        &app,
        "viewer",
        None,
        &[&format!("token {id}"), "ci"],
        "ok",
    );
    let path = format!("/api/v1/session/tokens/{id}");
    let revoked = act(
        &app,
        Method::DELETE,
        &path,
        "req-revoke",
        Some(&cookie),
        None,
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{}", revoked.text);
    let record = only(&app, "req-revoke", "api_token_revoked").await;
    assert_complete(
        &record,
        &app,
        "viewer",
        None,
        &[&format!("token {id}")],
        "ok",
    );
}
