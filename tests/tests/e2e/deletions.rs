//! Deleting over HTTPS: keyed by (name, digest), one device call, verified by a re-list, and
//! validated before anything reaches the device. A device restarting mid-delete is called once
//! and judged by the re-list, or reported as unverified (or unknown) while it is still down; the
//! restart cases end with the token canary over responses, logs and files.

use std::time::Duration;

use device_view::recorded_deletes;
use lem_panel_tests::{D1, D2, D512, TestApp, hostile, logs, row, row_with};
use lem_sim::{Fault, FaultKind, Op};
use serde_json::json;

use crate::{find_row, references, rows};

/// BC-01's device list.
fn bc01_rows() -> Vec<serde_json::Value> {
    vec![
        row_with("line1/hmi", "1.4.0", D1, 1_700_000_000_000, 52_428_800),
        row_with("line1/hmi", "latest", D1, 1_700_000_000_000, 52_428_800),
        row_with("line1/hmi", "1.3.9", D2, 1_690_000_000_000, 51_380_224),
        row_with("line2/hmi", "1.4.0", D1, 1_700_000_000_000, 52_428_800),
    ]
}

/// What the device saw of each delete request.
mod device_view {
    use lem_panel_tests::TestApp;
    use lem_sim::Op;

    /// (names, digests, raw query) of every delete request the device received.
    pub fn recorded_deletes(app: &TestApp) -> Vec<(Vec<String>, Vec<String>, String)> {
        app.device()
            .requests()
            .into_iter()
            .filter(|r| r.op == Some(Op::Delete))
            .map(|r| {
                let names = r
                    .query_values("name")
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                let digests = r
                    .query_values("digest")
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                (names, digests, r.raw_query.clone().unwrap_or_default())
            })
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc01_deleting_line1_hmi_1_4_0_sends_one_delete_by_name_and_digest_and_keeps_the_other_rows()
 {
    let app = TestApp::builder().rows(bc01_rows()).start().await;
    app.login_as("admin").await;
    let before = app.images().await;
    // What the confirmation shows: the tags that go with the digest, and only those.
    let target = find_row(&before, "line1/hmi", "1.4.0").expect("listed");
    assert_eq!(target["sharedDigestTags"], json!(["latest"]));
    assert_eq!(
        find_row(&before, "line2/hmi", "1.4.0").expect("listed")["sharedDigestTags"],
        json!([])
    );
    app.device().reset_counters();

    let deleted = app.delete("line1/hmi", D1, &["1.4.0", "latest"]).await;

    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body["outcome"], "removed");
    assert_eq!(deleted.body["removedTags"], json!(["1.4.0", "latest"]));
    assert_eq!(app.device().calls(Op::Delete), 1);
    let deletes = recorded_deletes(&app);
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].0, vec!["line1/hmi"]);
    assert_eq!(deletes[0].1, vec![D1]);
    let after = references(&app.images().await);
    assert_eq!(after, vec!["line1/hmi:1.3.9", "line2/hmi:1.4.0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc03_a_device_that_refuses_deletion_gets_one_attempt_and_the_row_stays() {
    let body = r#"{"errors":[{"code":"UNSUPPORTED","message":"delete disabled"}]}"#;
    let app = TestApp::builder()
        .rows(vec![row("line1/hmi", "1.4.0", D1)])
        .sim(move |sim| {
            sim.fault(
                Op::Delete,
                Fault::always(FaultKind::Raw {
                    status: 405,
                    content_type: Some("application/json".into()),
                    body: body.into(),
                }),
            )
        })
        .start()
        .await;
    app.login_as("admin").await;

    let refused = app.delete("line1/hmi", D1, &["1.4.0"]).await;

    assert!(!refused.is_success(), "{}", refused.text);
    assert_eq!(refused.code(), "device_unsupported", "{}", refused.text);
    assert!(
        refused.message().contains("does not support"),
        "{}",
        refused.message()
    );
    assert!(
        !refused.text.contains("\"errors\""),
        "raw device JSON passed on: {}",
        refused.text
    );
    assert_eq!(
        app.device().calls(Op::Delete),
        1,
        "exactly one attempt, no retry"
    );
    assert!(
        find_row(&app.images().await, "line1/hmi", "1.4.0").is_some(),
        "the row stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc12_a_valid_delete_reaches_the_device_as_exactly_one_encoded_name_and_digest() {
    let app = TestApp::builder()
        .rows(vec![
            row("line1/hmi", "1.4.0", D1),
            row("line1/hmi", "1.3.9", D2),
        ])
        .start()
        .await;
    app.login_as("admin").await;

    let deleted = app.delete("line1/hmi", D1, &["1.4.0"]).await;

    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let deletes = recorded_deletes(&app);
    assert_eq!(deletes.len(), 1);
    let (names, digests, raw) = &deletes[0];
    assert_eq!(names, &vec!["line1/hmi".to_owned()]);
    assert_eq!(digests, &vec![D1.to_owned()]);
    assert!(
        raw.contains("line1%2Fhmi"),
        "the name is encoded as one component: {raw}"
    );
    assert_eq!(raw.matches('&').count(), 1, "exactly two parameters: {raw}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc12_bc15_smuggled_parameters_and_malformed_digests_get_400_without_any_device_call() {
    let app = TestApp::builder()
        .rows(vec![row("line1/hmi", "1.4.0", D1)])
        .start()
        .await;
    app.login_as("admin").await;
    app.device().reset_counters();
    let cases = [
        (format!("line1/hmi&digest={D2}"), D1.to_owned(), "name"),
        ("line1/hmi".to_owned(), format!("{D1}&name=other"), "digest"),
        ("../../admin".to_owned(), D1.to_owned(), "name"),
        ("line1/hmi#x".to_owned(), D1.to_owned(), "name"),
        (
            "line1/hmi".to_owned(),
            D1.to_uppercase().replace("SHA256", "sha256"),
            "digest",
        ),
        ("line1/hmi".to_owned(), "sha256:c50f".to_owned(), "digest"),
        (
            "line1/hmi".to_owned(),
            D1.trim_start_matches("sha256:").to_owned(),
            "digest",
        ),
    ];
    for (name, digest, field) in cases {
        let refused = app.delete(&name, &digest, &["1.4.0"]).await;
        assert_eq!(refused.status, 400, "{name} @ {digest}: {}", refused.text);
        assert_eq!(refused.code(), "validation", "{}", refused.text);
        assert_eq!(
            refused.field(),
            field,
            "{name} @ {digest}: {}",
            refused.text
        );
    }
    assert_eq!(app.device().counters().requests, 0, "no device call at all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc15_a_sha512_row_is_listed_and_its_delete_forwards_the_digest_unchanged() {
    let app = TestApp::builder()
        .rows(vec![
            row("line1/hmi", "2.0.0", D512),
            row("line1/hmi", "1.4.0", D1),
        ])
        .start()
        .await;
    app.login_as("admin").await;
    let images = app.images().await;
    let listed = find_row(&images, "line1/hmi", "2.0.0").expect("listed");
    assert_eq!(listed["digest"], D512);
    assert_eq!(listed["flags"], json!([]), "a sha512 digest is not odd");

    let deleted = app.delete("line1/hmi", D512, &["2.0.0"]).await;

    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body["outcome"], "removed");
    assert_eq!(recorded_deletes(&app)[0].1, vec![D512]);
    assert_eq!(references(&app.images().await), vec!["line1/hmi:1.4.0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc19_after_deleting_d2_the_remaining_row_keeps_d1() {
    let identical = row("line1/hmi", "1.4.0", D1);
    let app = TestApp::builder()
        .rows(vec![
            identical.clone(),
            identical,
            row("line1/hmi", "1.4.0", D2),
        ])
        .start()
        .await;
    app.login_as("admin").await;

    let deleted = app.delete("line1/hmi", D2, &["1.4.0"]).await;

    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body["outcome"], "removed", "{}", deleted.text);
    let after = app.images().await;
    let remaining = rows(&after);
    assert_eq!(remaining.len(), 1, "{}", after.text);
    assert_eq!(remaining[0]["digest"], D1);
    assert_eq!(app.device().calls(Op::Delete), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_deletes_and_then_drops_the_connection_is_judged_by_the_re_list_after_one_call()
 {
    let mark = logs::mark();
    let app = TestApp::builder()
        .rows(vec![
            row("line1/hmi", "1.4.0", D1),
            row("line1/hmi", "1.3.9", D2),
        ])
        .sim(|sim| sim.fault(Op::Delete, Fault::once(FaultKind::DropAfterApply)))
        .start()
        .await;
    app.login_as("admin").await;

    let deleted = app.delete("line1/hmi", D1, &["1.4.0"]).await;

    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body["outcome"], "removed", "{}", deleted.text);
    assert_eq!(app.device().calls(Op::Delete), 1, "never retried");
    hostile::assert_no_token_anywhere(&app, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_drops_the_connection_before_deleting_reports_the_failure_after_one_call() {
    let mark = logs::mark();
    let app = TestApp::builder()
        .rows(vec![row("line1/hmi", "1.4.0", D1)])
        .sim(|sim| sim.fault(Op::Delete, Fault::once(FaultKind::DropBeforeApply)))
        .start()
        .await;
    app.login_as("admin").await;

    let failed = app.delete("line1/hmi", D1, &["1.4.0"]).await;

    assert_eq!(failed.status, 502, "{}", failed.text);
    assert_eq!(failed.code(), "device_unreachable", "{}", failed.text);
    assert_eq!(app.device().calls(Op::Delete), 1, "never retried");
    assert!(find_row(&app.images().await, "line1/hmi", "1.4.0").is_some());
    hostile::assert_no_token_anywhere(&app, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_that_ran_but_never_answered_times_out_once_and_is_judged_by_the_re_list() {
    let mark = logs::mark();
    let app = TestApp::builder()
        .device_timeouts(lem_panel_tests::short_timeouts(1))
        .rows(vec![
            row("line1/hmi", "1.4.0", D1),
            row("line1/hmi", "1.3.9", D2),
        ])
        .sim(|sim| sim.fault(Op::Delete, Fault::once(FaultKind::HangAfterApply)))
        .start()
        .await;
    app.login_as("admin").await;

    let deleted = app.delete("line1/hmi", D1, &["1.4.0"]).await;

    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body["outcome"], "removed", "{}", deleted.text);
    assert_eq!(app.device().calls(Op::Delete), 1, "never retried");
    hostile::assert_no_token_anywhere(&app, mark);
}

/// A device whose list answers once (the check before the delete) and then is down.
fn down_after_one_list(sim: lem_sim::SimConfig) -> lem_sim::SimConfig {
    sim.fault(Op::List, Fault::once(FaultKind::Latency(Duration::ZERO)))
        .fault(Op::List, Fault::always(FaultKind::DropBeforeApply))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_restarting_after_it_deleted_and_answered_is_reported_unverified_while_it_is_down()
{
    let mark = logs::mark();
    let app = TestApp::builder()
        .rows(vec![
            row("line1/hmi", "1.4.0", D1),
            row("line1/hmi", "1.3.9", D2),
        ])
        .sim(down_after_one_list)
        .start()
        .await;
    app.login_as("admin").await;

    let deleted = app.delete("line1/hmi", D1, &["1.4.0"]).await;

    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body["outcome"], "unverified", "{}", deleted.text);
    assert!(
        deleted.text.contains("could not re-list"),
        "the reason names the failed re-list: {}",
        deleted.text
    );
    assert_eq!(app.device().calls(Op::Delete), 1, "never retried");

    // The device is back: re-listing shows the truth.
    app.device().clear_faults(Op::List);
    assert_eq!(references(&app.images().await), vec!["line1/hmi:1.3.9"]);
    assert_eq!(app.device().calls(Op::Delete), 1);
    hostile::assert_no_token_anywhere(&app, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_restarting_mid_delete_and_still_down_for_the_re_list_reports_the_lost_answer_after_one_call()
 {
    let mark = logs::mark();
    let app = TestApp::builder()
        .rows(vec![
            row("line1/hmi", "1.4.0", D1),
            row("line1/hmi", "1.3.9", D2),
        ])
        .sim(|sim| {
            down_after_one_list(sim).fault(Op::Delete, Fault::once(FaultKind::DropAfterApply))
        })
        .start()
        .await;
    app.login_as("admin").await;

    let failed = app.delete("line1/hmi", D1, &["1.4.0"]).await;

    // Neither removed nor refused: the answer was lost and nothing could be checked.
    assert_eq!(failed.status, 502, "{}", failed.text);
    assert_eq!(failed.code(), "device_unreachable", "{}", failed.text);
    assert!(
        failed.text.contains("Check the image list"),
        "the user is told to check the list: {}",
        failed.text
    );
    assert_eq!(app.device().calls(Op::Delete), 1, "never retried");

    // The device is back: re-listing shows the truth (the delete had run).
    app.device().clear_faults(Op::List);
    assert_eq!(references(&app.images().await), vec!["line1/hmi:1.3.9"]);
    assert_eq!(app.device().calls(Op::Delete), 1);
    hostile::assert_no_token_anywhere(&app, mark);
}
