//! Imports over HTTPS, outcome side: a refused pull fails with the device's reason, and a
//! pull whose answer is lost (restart, hang, HTML page) is sent once and judged by re-listing —
//! or, when the device is still down for the re-list, ends `unknown` saying so. The restart
//! cases end with the token canary over responses, logs and files.

use std::time::Duration;

use lem_panel_tests::{TestApp, hostile, import_body, logs, short_timeouts};
use lem_sim::{Fault, FaultKind, Op};

use crate::{find_row, import_and_wait};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_source_image_fails_the_job_with_the_devices_reason() {
    let app = TestApp::start().await;
    app.login_as("operator").await;

    let job = import_and_wait(
        &app,
        &import_body(
            "docker.io",
            "library/no-such-image",
            "1.0",
            "nothing",
            "1.0",
        ),
    )
    .await;

    assert_eq!(job.body["state"], "failed", "{}", job.text);
    let message = job.body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("manifest unknown"),
        "the device's reason: {message}"
    );
    assert_eq!(app.device().calls(Op::Pull), 1, "never retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_restarting_after_it_pulled_gives_a_succeeded_job_found_by_re_listing_after_one_call()
 {
    let mark = logs::mark();
    let app = TestApp::builder()
        .sim(|sim| sim.fault(Op::Pull, Fault::once(FaultKind::DropAfterApply)))
        .start()
        .await;
    app.login_as("operator").await;

    let job = import_and_wait(
        &app,
        &import_body("docker.io", "redis", "7.4", "cache/redis", "7.4"),
    )
    .await;

    assert_eq!(job.body["state"], "succeeded", "{}", job.text);
    assert_eq!(app.device().calls(Op::Pull), 1, "never retried");
    hostile::assert_no_token_anywhere(&app, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_restarting_before_it_pulled_gives_an_unknown_job_after_one_call() {
    let mark = logs::mark();
    let app = TestApp::builder()
        .sim(|sim| sim.fault(Op::Pull, Fault::once(FaultKind::DropBeforeApply)))
        .start()
        .await;
    app.login_as("operator").await;

    let job = import_and_wait(
        &app,
        &import_body("docker.io", "redis", "7.4", "cache/redis", "7.4"),
    )
    .await;

    assert_eq!(job.body["state"], "unknown", "{}", job.text);
    assert!(
        job.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(app.device().calls(Op::Pull), 1, "never retried");
    assert!(find_row(&app.images().await, "cache/redis", "7.4").is_none());
    hostile::assert_no_token_anywhere(&app, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_that_ran_but_never_answered_times_out_once_and_is_found_by_re_listing() {
    let mark = logs::mark();
    let app = TestApp::builder()
        .device_timeouts(short_timeouts(1))
        .sim(|sim| sim.fault(Op::Pull, Fault::once(FaultKind::HangAfterApply)))
        .start()
        .await;
    app.login_as("operator").await;

    let job = import_and_wait(
        &app,
        &import_body("docker.io", "redis", "7.4", "cache/redis", "7.4"),
    )
    .await;

    assert_eq!(job.body["state"], "succeeded", "{}", job.text);
    assert_eq!(app.device().calls(Op::Pull), 1, "never retried");
    hostile::assert_no_token_anywhere(&app, mark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_answered_by_an_html_page_is_unknown_not_succeeded() {
    let app = TestApp::builder()
        .sim(|sim| {
            sim.fault(
                Op::Pull,
                Fault::once(FaultKind::Raw {
                    status: 200,
                    content_type: Some("text/html".into()),
                    body: "<!DOCTYPE html><html><body>Please sign in</body></html>".into(),
                }),
            )
        })
        .start()
        .await;
    app.login_as("operator").await;

    let job = import_and_wait(
        &app,
        &import_body("docker.io", "redis", "7.4", "cache/redis", "7.4"),
    )
    .await;

    assert_eq!(job.body["state"], "unknown", "{}", job.text);
    assert!(
        !job.text.to_ascii_lowercase().contains("<html"),
        "{}",
        job.text
    );
    assert_eq!(app.device().calls(Op::Pull), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_restarting_after_it_pulled_and_still_down_for_the_re_list_gives_an_unknown_job_naming_the_re_list()
 {
    let mark = logs::mark();
    let app = TestApp::builder()
        .sim(|sim| {
            sim.fault(Op::Pull, Fault::once(FaultKind::DropAfterApply))
                // The job's list before the pull is answered; then the device is down.
                .fault(Op::List, Fault::once(FaultKind::Latency(Duration::ZERO)))
                .fault(Op::List, Fault::always(FaultKind::DropBeforeApply))
        })
        .start()
        .await;
    app.login_as("operator").await;

    let job = import_and_wait(
        &app,
        &import_body("docker.io", "redis", "7.4", "cache/redis", "7.4"),
    )
    .await;

    assert_eq!(job.body["state"], "unknown", "{}", job.text);
    assert_eq!(job.body["error"]["code"], "device_error", "{}", job.text);
    let message = job.body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("re-listing the device failed"),
        "the reason names the failed re-list: {message}"
    );
    assert_eq!(app.device().calls(Op::Pull), 1, "never retried");
    assert!(
        app.device().calls(Op::List) >= 2,
        "the re-list was tried: {} lists",
        app.device().calls(Op::List)
    );

    // The device is back: re-listing shows the truth (the pull had run), still one pull.
    app.device().clear_faults(Op::List);
    assert!(find_row(&app.images().await, "cache/redis", "7.4").is_some());
    assert_eq!(app.device().calls(Op::Pull), 1);
    hostile::assert_no_token_anywhere(&app, mark);
}
