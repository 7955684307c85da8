//! BC-24: the device token (and the device's own secrets) never reach a browser, a log line or
//! the database — not on success, not on error paths, not at TRACE level, in either auth mode.

use lem_panel_tests::{
    CANARY_BASIC, CANARY_TOKEN, FIXTURE_ROWS, PROXY_PASSWORD_CANARY, TestApp, import_body, logs,
    transcript,
};
use lem_sim::{Fault, FaultKind, Op};
use serde_json::json;
use shared::api::AuthMode;

use crate::{job_id, rows};

const CANARY_BODY: &str = r#"{"error":"bad auth LEMTOKEN-canary-9d1e"}"#;
const ALPINE: &str = "sha256:88e8b2ad6c94d9e1c06c64e93358f495214e06e8ef1396cbcaff94236f2bec09";
const PYTHON_39: &str = "sha256:ddf3e328f78494805eeb0c43b6754178a941ae93b26949e493368af633c9c8a2";

fn answers_500_with_the_token() -> Fault {
    Fault::once(FaultKind::Raw {
        status: 500,
        content_type: Some("application/json".into()),
        body: CANARY_BODY.into(),
    })
}

/// Fails naming which secret appeared where, with some context.
fn assert_no_secret(place: &str, haystack: &[u8]) {
    for secret in [CANARY_TOKEN, CANARY_BASIC, PROXY_PASSWORD_CANARY] {
        let found = haystack
            .windows(secret.len())
            .position(|w| w == secret.as_bytes());
        if let Some(at) = found {
            let start = at.saturating_sub(200);
            let end = (at + secret.len() + 200).min(haystack.len());
            panic!(
                "{secret} found in {place}: …{}…",
                String::from_utf8_lossy(&haystack[start..end])
            );
        }
    }
}

/// The simulator runs in this process and logs the faults it was given (which contain the
/// canary on purpose); only what the panel and its device client log counts here.
fn panel_log_lines(captured: &str) -> String {
    captured
        .lines()
        .filter(|line| !line.contains(" lem_sim::") && !line.contains(" lem_sim:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fetches the index page and every file it references under the base path (the JS and WASM
/// when the web app is built), so that they are part of the searched transcript.
async fn fetch_the_web_app(app: &TestApp) {
    let index = app.get("").await;
    assert!(
        index.status.is_success() || index.status == 503,
        "{}",
        index.status
    );
    let base = app.config().base_with_slash();
    let files = index
        .text
        .split(['"', '\''])
        .filter_map(|part| part.strip_prefix(base.as_str()))
        .filter(|file| {
            let name = file.rsplit('/').next().unwrap_or_default();
            name.contains('.') && !file.contains(' ') && !file.starts_with("api/")
        })
        .map(str::to_owned)
        .collect::<Vec<_>>();
    for file in files {
        // Recorded in the transcript, which is searched afterwards.
        app.get(&file).await;
    }
}

/// List, info, pull and delete, each succeeding.
async fn every_operation_succeeds(app: &TestApp) {
    assert_eq!(rows(&app.images().await).len(), FIXTURE_ROWS);
    let status = app.registry_status().await;
    assert_eq!(status.status, 200, "{}", status.text);
    let registry = status.body["registry"].as_object().expect("registry info");
    let mut keys: Vec<&str> = registry.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["authRequired", "enabled", "proxyConfigured", "proxyUser"],
        "unknown fields dropped"
    );
    let started = app
        .import(&import_body(
            "docker.io",
            "alpine",
            "3.20",
            "bc24/alpine",
            "3.20",
        ))
        .await;
    assert_eq!(
        app.wait_for_job(job_id(&started)).await.body["state"],
        "succeeded"
    );
    assert_eq!(
        app.delete("bc24/alpine", ALPINE, &["3.20"]).await.status,
        200
    );
}

/// List, info, pull and delete, each answered with a 500 whose body echoes the token, and a
/// refused pull whose envelope carries it.
async fn every_operation_fails_with_the_token_in_the_answer(app: &TestApp) {
    app.device()
        .set_fault(Op::List, answers_500_with_the_token());
    let list = app.images().await;
    assert_eq!(list.status, 502, "{}", list.text);
    assert_eq!(list.code(), "device_error");
    assert!(
        list.message().contains("bad auth"),
        "the device's words reach the user: {}",
        list.message()
    );

    app.device()
        .set_fault(Op::Info, answers_500_with_the_token());
    let info = app.registry_status().await;
    assert_eq!(info.body["reachable"], false, "{}", info.text);

    app.device()
        .set_fault(Op::Pull, answers_500_with_the_token());
    let failed = app
        .import(&import_body(
            "docker.io",
            "alpine",
            "3.20",
            "bc24/failing",
            "1",
        ))
        .await;
    let failed = app.wait_for_job(job_id(&failed)).await;
    assert_ne!(failed.body["state"], "succeeded", "{}", failed.text);

    app.device()
        .set_fault(Op::Delete, answers_500_with_the_token());
    let delete = app.delete("python", PYTHON_39, &["3.9"]).await;
    assert_eq!(delete.status, 502, "{}", delete.text);

    app.device().set_fault(
        Op::Pull,
        Fault::once(FaultKind::ErrorEnvelope {
            message: format!("token {CANARY_TOKEN} rejected"),
            details: format!("Basic {CANARY_BASIC}"),
        }),
    );
    let refused = app
        .import(&import_body(
            "docker.io",
            "alpine",
            "3.20",
            "bc24/refused",
            "1",
        ))
        .await;
    let refused = app.wait_for_job(job_id(&refused)).await;
    assert_eq!(refused.body["state"], "failed", "{}", refused.text);
}

/// Everything else a browser can read: the app, devices, jobs, users, audit, metrics, API doc.
async fn read_every_other_view(app: &TestApp) {
    fetch_the_web_app(app).await;
    for reply in [
        app.devices().await,
        app.jobs().await,
        app.users().await,
        app.audit().await,
        app.export_audit("csv").await,
        app.export_audit("jsonl").await,
        app.metrics().await,
        app.openapi().await,
        app.session().await,
    ] {
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
}

async fn the_token_stays_secret(mode: AuthMode, device: &str) {
    let mut app = TestApp::builder()
        .auth_mode(mode)
        .device_id(device)
        .sim(|sim| {
            sim.info(json!({
                "state": true, "authState": true, "proxyState": true, "proxyUser": "edge-proxy",
                "proxyPassword": PROXY_PASSWORD_CANARY,
            }))
        })
        .start()
        .await;
    app.login_as("admin").await;

    every_operation_succeeds(&app).await;
    every_operation_fails_with_the_token_in_the_answer(&app).await;
    read_every_other_view(&app).await;

    assert_no_secret("this test's panel responses", &app.transcript());
    assert_no_secret(
        "any panel response in this test binary",
        &transcript::all_responses(),
    );
    let captured = logs::captured();
    assert!(
        captured.contains(device),
        "the capture sees this test's panel"
    );
    assert!(
        captured.contains(CANARY_TOKEN),
        "the capture would see a leak: the simulator's own fault log carries the canary"
    );
    assert_no_secret("the logs", panel_log_lines(&captured).as_bytes());
    assert_database_files_hold_no_secret(&app);
    // Stopped, the write-ahead log is folded into the main file: check that too.
    app.stop_panel().await;
    assert_database_files_hold_no_secret(&app);
}

fn assert_database_files_hold_no_secret(app: &TestApp) {
    assert!(app.database_path().exists());
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = format!("{}{suffix}", app.database_path().display());
        if let Ok(bytes) = std::fs::read(&path) {
            assert_no_secret(&path, &bytes);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc24_a_basic_auth_token_never_appears_in_responses_logs_or_the_database_even_on_errors() {
    the_token_stays_secret(AuthMode::Basic, "bc24-basic").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc24_an_x_auth_token_never_appears_in_responses_logs_or_the_database_even_on_errors() {
    the_token_stays_secret(AuthMode::XAuthToken, "bc24-x-auth-token").await;
}
