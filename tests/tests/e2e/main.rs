//! End-to-end tests: the panel over HTTP, the simulated device behind it over real HTTPS.
//! Each test starts its own simulator and panel (ports 0, a temporary database), so they run
//! in parallel. Tests named `bcNN_…` are the real-world failure cases of
//! `shared/cases/README.md`.

mod access;
mod base_path;
mod browser;
mod canary;
mod deletions;
mod first_start;
mod import_outcomes;
mod imports;
mod listing;
mod names;
mod restart;
mod robust_decoder;
mod robust_device_answers;
mod robust_hostile_input;
mod robust_load;
mod robust_panel_process;
mod robust_slow_devices;
mod thin_slice;
mod timeouts;
mod tls_and_proxy;

use lem_panel_tests::{Reply, TestApp};
use lem_sim::{Op, RecordedRequest};
use serde_json::Value;

/// The image rows of an images reply.
pub fn rows(reply: &Reply) -> &[Value] {
    reply.body["images"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
}

/// `name:tag` of every row of an images reply.
pub fn references(reply: &Reply) -> Vec<String> {
    rows(reply)
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["name"].as_str().unwrap_or("?"),
                r["tag"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// The row `name:tag` of an images reply, if listed.
pub fn find_row<'a>(reply: &'a Reply, name: &str, tag: &str) -> Option<&'a Value> {
    rows(reply)
        .iter()
        .find(|r| r["name"] == name && r["tag"] == tag)
}

/// The id of the job an import reply started.
pub fn job_id(reply: &Reply) -> i64 {
    reply.body["job"]["id"].as_i64().unwrap_or_else(|| {
        panic!(
            "no job in the import reply: {} {}",
            reply.status, reply.text
        )
    })
}

/// Every pull request the device received, oldest first.
pub fn pulls(app: &TestApp) -> Vec<RecordedRequest> {
    app.device()
        .requests()
        .into_iter()
        .filter(|r| r.op == Some(Op::Pull))
        .collect()
}

/// Starts an import (expecting 202) and waits until its job has finished.
pub async fn import_and_wait(app: &TestApp, body: &Value) -> Reply {
    let started = app.import(body).await;
    assert_eq!(started.status, 202, "{}", started.text);
    app.wait_for_job(job_id(&started)).await
}

/// The actions of an audit reply, newest first.
pub fn audit_actions(reply: &Reply) -> Vec<String> {
    reply.body["records"]
        .as_array()
        .map(|records| {
            records
                .iter()
                .map(|r| r["action"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Held exclusively by tests that assert response times, shared by tests that load the CPU.
static TIMING: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Tests that assert response times hold this while they run, so that they never measure
/// each other's load (20 simultaneous Argon2 logins would slow the next login of another test)
/// nor that of the CPU-heavy tests (see [`cpu_heavy`]).
pub async fn timing_sensitive() -> tokio::sync::RwLockWriteGuard<'static, ()> {
    TIMING.write().await
}

/// Tests that keep both cores busy for seconds (thousands of generated cases) hold this: they
/// run alongside each other and other tests, never during a timing-sensitive one.
pub async fn cpu_heavy() -> tokio::sync::RwLockReadGuard<'static, ()> {
    TIMING.read().await
}

/// [`cpu_heavy`] for tests without a runtime.
pub fn cpu_heavy_blocking() -> tokio::sync::RwLockReadGuard<'static, ()> {
    TIMING.blocking_read()
}
