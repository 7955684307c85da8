//! The reading screens a user checks the device with: registry status in plain words with the
//! connection facts, the copyable pull commands, and the jobs list surviving a reload.

use lem_panel_tests::browser::{Window, tid};
use lem_panel_tests::{TestApp, import_body};

use super::{app, run, test_name};

/// Hex digits of a fingerprint, lower case (colons and case do not matter).
fn hex_only(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_shows_reachability_tls_mode_the_pinned_fingerprint_and_the_certificate_expiry()
 {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    let fingerprint = hex_only(app.sim().fingerprint());
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("viewer").await?;
        b.click(&tid("nav-status")).await?;
        b.wait_for_text(&tid("status-reachable"), "yes").await?;
        let panel = b.text(&tid("status-panel")).await?;
        assert!(
            panel.contains("Pinned certificate (SHA-256 fingerprint)"),
            "{panel}"
        );
        let codes = b
            .texts(&format!("{} .facts code", tid("status-panel")))
            .await?;
        assert!(
            codes.len() >= 2 && codes.iter().take(2).all(|c| hex_only(c) == fingerprint),
            "pinned and seen fingerprints are the simulator's {fingerprint}: {codes:?}"
        );
        let expires = b
            .attrs(
                &format!("{} .facts dd time", tid("status-panel")),
                "datetime",
            )
            .await?;
        assert!(expires.len() >= 2, "checked and expiry times: {expires:?}");
        // The simulator's certificate (rcgen's default) is valid until 4096.
        assert!(
            expires
                .iter()
                .all(|t| t[..4].parse::<u32>().is_ok_and(|year| year >= 2020)),
            "real dates, never 1970: {expires:?}"
        );
        let registry = b.text(&tid("registry-facts")).await?;
        assert!(!registry.is_empty());
        assert!(!b.exists(&tid("device-banner")).await?);
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_page_offers_pull_commands_for_four_tools_by_tag_and_by_digest_on_the_devices_registry_host()
 {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    let host = app.config().devices[0]
        .registry_host()
        .expect("the device's registry host");
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("viewer").await?;
        b.goto("images/alpine:3.19").await?;
        b.wait_for(&tid("detail-digest")).await?;
        let digest = b.text(&tid("detail-digest")).await?;
        let tools = b.attrs(&tid("pull-command"), "data-tool").await?;
        let commands = b
            .texts(&format!("{} code.command", tid("pull-command")))
            .await?;
        assert_eq!(commands.len(), 8, "{commands:#?}");
        for tool in ["docker", "podman", "nerdctl", "skopeo"] {
            assert_eq!(tools.iter().filter(|t| *t == tool).count(), 2, "{tools:?}");
        }
        assert!(
            commands.iter().all(|c| c.contains(&host)),
            "every command names the device's registry {host}: {commands:#?}"
        );
        assert_eq!(
            commands
                .iter()
                .filter(|c| c.contains(&format!("{host}/alpine:3.19")))
                .count(),
            4,
            "{commands:#?}"
        );
        assert_eq!(
            commands
                .iter()
                .filter(|c| c.contains(&format!("{host}/alpine@{digest}")))
                .count(),
            4,
            "{commands:#?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_list_comes_from_the_server_and_survives_a_reload() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("operator").await?;
        let body = import_body("docker.io", "library/alpine", "3.20", "alpine", "3.20");
        let (status, job) = b
            .fetch("POST", "api/v1/devices/edge-1/imports", Some(body))
            .await?;
        assert_eq!(status, 202, "{job}");
        b.click(&tid("nav-jobs")).await?;
        let done = format!(
            "{} {}[data-state=\"succeeded\"]",
            tid("jobs-table"),
            tid("job-row")
        );
        b.wait_for(&done).await?;
        let before = b.text(&done).await?;
        assert!(before.contains("operator"), "who started it: {before}");
        b.reload().await?;
        b.wait_for(&done).await?;
        assert_eq!(b.count(&tid("job-row")).await?, 1);
        assert!(b.text(&done).await?.contains("alpine"));
        Ok(())
    })
    .await;
}
