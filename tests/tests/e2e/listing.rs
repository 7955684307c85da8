//! Listing over HTTPS: every row, one device call, odd device answers turned into clear
//! errors or flagged rows, never HTML or an empty registry by mistake.

use std::time::Duration;

use lem_panel_tests::{D1, D2, TestApp, row};
use lem_sim::{Fault, FaultKind, Op, synthetic_rows};
use serde_json::json;

use crate::rows;

fn raw(status: u16, content_type: &str, body: &'static str) -> Fault {
    Fault::always(FaultKind::Raw {
        status,
        content_type: Some(content_type.to_owned()),
        body: body.into(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc04_all_5000_rows_come_back_from_one_device_list_call() {
    let _alone = crate::timing_sensitive().await;
    let app = TestApp::builder().rows(synthetic_rows(5000)).start().await;
    app.login_as("viewer").await;

    let images = app.images().await;

    assert_eq!(images.status, 200, "{}", images.text);
    assert_eq!(rows(&images).len(), 5000, "no cap at 100 or 1000");
    assert_eq!(
        app.device().calls(Op::List),
        1,
        "one device call per refresh, none per row"
    );
    assert_eq!(app.device().counters().requests, 1);
    assert!(
        images.elapsed < Duration::from_secs(2),
        "5000 rows took {:?}",
        images.elapsed
    );
    let line07 = rows(&images)
        .iter()
        .filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with("line07/")))
        .count();
    assert!(line07 > 0, "the UI can filter on line07/ itself");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc06_an_html_502_page_from_a_proxy_becomes_a_502_naming_status_and_content_type() {
    let page = "<html><body><h1>502 Bad Gateway</h1><p>upstream gone</p></body></html>";
    let app = TestApp::builder()
        .sim(move |sim| sim.fault(Op::List, raw(502, "text/html", page)))
        .start()
        .await;
    app.login_as("viewer").await;

    let failed = app.images().await;

    assert_eq!(failed.status, 502, "{}", failed.text);
    assert_eq!(failed.code(), "device_bad_response", "{}", failed.text);
    assert!(failed.message().contains("502"), "{}", failed.message());
    assert!(
        failed.message().contains("text/html"),
        "{}",
        failed.message()
    );
    assert!(
        !failed.text.to_ascii_lowercase().contains("<html"),
        "{}",
        failed.text
    );
    assert!(!failed.text.contains("upstream gone"), "{}", failed.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc06_a_200_html_login_page_is_a_502_and_never_an_empty_registry() {
    let page = "<!DOCTYPE html><html><body>Please sign in</body></html>";
    let app = TestApp::builder()
        .sim(move |sim| sim.fault(Op::List, raw(200, "text/html", page)))
        .start()
        .await;
    app.login_as("viewer").await;

    let failed = app.images().await;

    assert_eq!(failed.status, 502, "{}", failed.text);
    assert_eq!(failed.code(), "device_bad_response", "{}", failed.text);
    assert!(failed.message().contains("200"), "{}", failed.message());
    assert!(
        failed.message().contains("text/html"),
        "{}",
        failed.message()
    );
    assert!(
        !failed.text.to_ascii_lowercase().contains("<html"),
        "{}",
        failed.text
    );
    assert!(!failed.text.contains("Please sign in"), "{}", failed.text);
    assert!(failed.body.get("images").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc17_a_millisecond_timestamp_comes_back_unchanged_as_timestamp_ms() {
    let app = TestApp::builder()
        .rows(vec![row("line1/hmi", "1.4.0", D1)])
        .start()
        .await;
    app.login_as("viewer").await;

    let images = app.images().await;

    let listed = &rows(&images)[0];
    assert_eq!(listed["timestampMs"], json!(1_700_000_000_000_i64));
    assert_eq!(listed["flags"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc19_an_empty_list_is_an_empty_registry_not_an_error() {
    let app = TestApp::builder().rows(Vec::new()).start().await;
    app.login_as("viewer").await;

    let images = app.images().await;

    assert_eq!(images.status, 200, "{}", images.text);
    assert_eq!(images.body["images"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc19_a_null_list_is_an_empty_registry_not_an_error() {
    let app = TestApp::builder()
        .sim(|sim| sim.fault(Op::List, raw(200, "application/json", "null")))
        .start()
        .await;
    app.login_as("viewer").await;

    let images = app.images().await;

    assert_eq!(images.status, 200, "{}", images.text);
    assert_eq!(images.body["images"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc19_byte_identical_rows_show_once_and_the_other_digest_stays_separate() {
    let identical = row("line1/hmi", "1.4.0", D1);
    let app = TestApp::builder()
        .rows(vec![
            identical.clone(),
            identical,
            row("line1/hmi", "1.4.0", D2),
        ])
        .start()
        .await;
    app.login_as("viewer").await;

    let images = app.images().await;

    assert_eq!(images.status, 200, "{}", images.text);
    let listed = rows(&images);
    assert_eq!(listed.len(), 2, "{}", images.text);
    assert_eq!(listed[0]["digest"], D1);
    assert_eq!(listed[0]["flags"], json!(["duplicate"]));
    assert_eq!(listed[1]["digest"], D2);
    assert_eq!(listed[1]["flags"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc06_a_truncated_json_list_is_a_502_bad_response_not_a_short_list() {
    let app = TestApp::builder()
        .sim(|sim| sim.fault(Op::List, Fault::always(FaultKind::TruncatedJson)))
        .start()
        .await;
    app.login_as("viewer").await;

    let failed = app.images().await;

    assert_eq!(failed.status, 502, "{}", failed.text);
    assert_eq!(failed.code(), "device_bad_response", "{}", failed.text);
    assert!(failed.body.get("images").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_larger_than_the_configured_cap_is_refused_as_a_bad_response() {
    let app = TestApp::builder()
        .config(|config| config.devices[0].max_response_mib = 1)
        .sim(|sim| {
            sim.fault(
                Op::List,
                Fault::always(FaultKind::Oversize(3 * 1024 * 1024)),
            )
        })
        .start()
        .await;
    app.login_as("viewer").await;

    let failed = app.images().await;

    assert_eq!(failed.status, 502, "{}", failed.text);
    assert_eq!(failed.code(), "device_bad_response", "{}", failed.text);
    assert_eq!(app.healthz().await.status, 200);
}
