//! `GET api/v1/audit` filters: actor, action, device, and the time range (since inclusive,
//! until exclusive), each narrowing to exactly the matching records.

use lem_panel::db::AuditEntry;
use shared::api::AuditAction;

use crate::harness::{Harness, START_MS};

/// Seeded records: (minutes before the harness start, actor, action, device).
const SEEDED: &[(i64, &str, AuditAction, Option<&str>)] = &[
    (40, "alice", AuditAction::ImportStarted, Some("edge-1")),
    (30, "bob", AuditAction::ImportStarted, Some("edge-2")),
    (20, "alice", AuditAction::Deletion, Some("edge-2")),
    (10, "bob", AuditAction::LoginFailed, None),
];

/// A panel with the seeded records and an admin cookie (its login adds one record at start).
async fn seeded() -> (Harness, String) {
    let app = Harness::new(vec![]).await;
    for (minutes, actor, action, device) in SEEDED {
        let entry = AuditEntry {
            actor: (*actor).to_owned(),
            client_addr: "192.0.2.1".into(),
            action: *action,
            device: device.map(str::to_owned),
            target: Some("team/app:1".into()),
            outcome: "ok".into(),
            request_id: format!("seed-{minutes}"),
        };
        let at = START_MS - minutes * 60_000;
        app.state.db.append_audit(entry, at).await.expect("seed");
    }
    let cookie = app.login("admin").await;
    (app, cookie)
}

/// The request ids the filtered list returns, newest first.
async fn ids(app: &Harness, cookie: &str, query: &str) -> Vec<String> {
    let reply = app.get(&format!("/api/v1/audit?{query}"), cookie).await;
    assert_eq!(reply.status, axum::http::StatusCode::OK, "{}", reply.text);
    reply.body["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["requestId"].as_str().expect("id").to_owned())
        .filter(|id| id.starts_with("seed-"))
        .collect()
}

#[tokio::test]
async fn the_audit_list_can_be_filtered_by_actor() {
    let (app, cookie) = seeded().await;
    assert_eq!(
        ids(&app, &cookie, "actor=alice").await,
        ["seed-20", "seed-40"]
    );
    assert_eq!(
        ids(&app, &cookie, "actor=bob").await,
        ["seed-10", "seed-30"]
    );
    assert!(
        ids(&app, &cookie, "actor=ALICE").await.is_empty(),
        "exact match"
    );
    assert_eq!(
        ids(&app, &cookie, "actor=").await.len(),
        4,
        "empty means any"
    );
}

#[tokio::test]
async fn the_audit_list_can_be_filtered_by_action() {
    let (app, cookie) = seeded().await;
    assert_eq!(
        ids(&app, &cookie, "action=import_started").await,
        ["seed-30", "seed-40"]
    );
    assert_eq!(ids(&app, &cookie, "action=deletion").await, ["seed-20"]);
    let unknown = app.get("/api/v1/audit?action=bogus", &cookie).await;
    assert_eq!(unknown.status, axum::http::StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_audit_list_can_be_filtered_by_device() {
    let (app, cookie) = seeded().await;
    assert_eq!(
        ids(&app, &cookie, "device=edge-2").await,
        ["seed-20", "seed-30"]
    );
    assert_eq!(ids(&app, &cookie, "device=edge-1").await, ["seed-40"]);
    let combined = ids(&app, &cookie, "device=edge-2&actor=bob").await;
    assert_eq!(combined, ["seed-30"], "filters combine");
}

#[tokio::test]
async fn the_audit_list_can_be_filtered_by_time_since_inclusive_and_until_exclusive() {
    let (app, cookie) = seeded().await;
    let at = |minutes: i64| START_MS - minutes * 60_000;
    let since = format!("since={}", at(30));
    assert_eq!(
        ids(&app, &cookie, &since).await,
        ["seed-10", "seed-20", "seed-30"]
    );
    let until = format!("until={}", at(20));
    assert_eq!(ids(&app, &cookie, &until).await, ["seed-30", "seed-40"]);
    let range = format!("since={}&until={}", at(30), at(10));
    assert_eq!(ids(&app, &cookie, &range).await, ["seed-20", "seed-30"]);
    let after_seeds = app
        .get(&format!("/api/v1/audit?since={}", at(5)), &cookie)
        .await;
    let actions: Vec<&str> = after_seeds.body["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(actions, ["login_succeeded"], "only the admin's own login");
}

#[tokio::test]
async fn the_audit_export_applies_the_same_filters() {
    let (app, cookie) = seeded().await;
    let export = app
        .get(
            "/api/v1/audit/export?format=jsonl&actor=alice&device=edge-2",
            &cookie,
        )
        .await;
    let lines: Vec<&str> = export.text.lines().collect();
    assert_eq!(lines.len(), 1, "{}", export.text);
    assert!(
        lines[0].contains("\"requestId\":\"seed-20\""),
        "{}",
        lines[0]
    );
}
