//! BC-20 and BC-22: how the panel trusts the device's self-signed certificate, never falls
//! back to plain HTTP, and which proxy (if any) it reaches the device through.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lem_panel_tests::{DeviceTls, FIXTURE_ROWS, TestApp, logs};
use serde_json::json;
use tokio::net::TcpListener;

use crate::rows;

/// A port nothing listens on (bound, then released).
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A plain TCP listener on port 80 that counts connections, if this process may bind it.
async fn plain_http_listener() -> Option<Arc<AtomicUsize>> {
    let listener = TcpListener::bind("127.0.0.1:80").await.ok()?;
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    Some(count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc20_without_a_trusted_ca_the_self_signed_device_is_refused_with_a_hint_and_no_http_fallback()
 {
    let port_80 = plain_http_listener().await;
    let app = TestApp::builder().tls(DeviceTls::System).start().await;
    app.login_as("viewer").await;

    let refused = app.images().await;

    assert_eq!(refused.status, 502, "{}", refused.text);
    assert_eq!(refused.code(), "device_tls", "{}", refused.text);
    assert!(refused.hint().contains("pin"), "{}", refused.hint());
    assert!(refused.hint().contains("CA"), "{}", refused.hint());
    let status = app.registry_status().await;
    assert_eq!(status.body["reachable"], false);
    assert_eq!(status.body["error"]["code"], "device_tls");
    let counters = app.device().counters();
    assert_eq!(counters.requests, 0, "no HTTP request reached the device");
    assert_eq!(counters.tls_handshakes, 0);
    assert!(counters.tls_handshake_failures >= 1, "{counters:?}");
    match port_80 {
        Some(count) => assert_eq!(
            count.load(Ordering::SeqCst),
            0,
            "plain HTTP fallback on port 80"
        ),
        None => eprintln!("note: cannot bind 127.0.0.1:80 here; the port-80 check was skipped"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc20_a_pinned_certificate_and_a_ca_file_both_work() {
    for tls in [DeviceTls::Pin, DeviceTls::CaFile] {
        let app = TestApp::builder().tls(tls.clone()).start().await;
        app.login_as("viewer").await;
        let images = app.images().await;
        assert_eq!(images.status, 200, "{tls:?}: {}", images.text);
        assert_eq!(rows(&images).len(), FIXTURE_ROWS);
        app.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc20_a_wrong_pin_is_refused_before_any_http_byte() {
    let wrong = "ab".repeat(32);
    let app = TestApp::builder()
        .tls(DeviceTls::PinFingerprint(wrong))
        .start()
        .await;
    app.login_as("viewer").await;

    let refused = app.images().await;

    assert_eq!(refused.status, 502, "{}", refused.text);
    assert_eq!(refused.code(), "device_tls", "{}", refused.text);
    assert!(
        refused.message().contains(app.sim().fingerprint()),
        "{}",
        refused.message()
    );
    assert_eq!(app.device().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc20_insecure_mode_works_over_https_and_warns_exactly_once_at_startup() {
    let device = "bc20-insecure-device";
    let app = TestApp::builder()
        .tls(DeviceTls::Insecure)
        .device_id(device)
        .start()
        .await;
    app.login_as("viewer").await;

    let images = app.images().await;
    app.images().await;

    assert_eq!(images.status, 200, "{}", images.text);
    assert!(
        app.device().counters().tls_handshakes >= 1,
        "HTTPS, not plain HTTP"
    );
    let warnings = logs::captured()
        .lines()
        .filter(|l| {
            l.contains("WARN") && l.contains(device) && l.contains("TLS verification is OFF")
        })
        .count();
    assert_eq!(warnings, 1, "one startup warning about tls = insecure");
    let summary = app.devices().await;
    assert_eq!(
        summary.body["devices"][0]["tlsMode"], "insecure",
        "visible in the UI"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc22_a_device_proxy_on_a_closed_port_is_named_in_a_502() {
    let port = closed_port().await;
    let app = TestApp::builder()
        .device_proxy(format!("http://proxyuser:proxy-secret-7@127.0.0.1:{port}"))
        .start()
        .await;
    app.login_as("viewer").await;

    let failed = app.images().await;

    assert_eq!(failed.status, 502, "{}", failed.text);
    assert_eq!(failed.code(), "device_proxy", "{}", failed.text);
    assert!(
        failed.message().contains(&format!("127.0.0.1:{port}")),
        "{}",
        failed.message()
    );
    assert!(!failed.text.contains("proxy-secret-7"));
    assert!(
        !logs::captured().contains("proxy-secret-7"),
        "proxy credentials in the log"
    );
    assert_eq!(app.device().counters().tcp_connections, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc22_an_environment_proxy_is_used_unless_no_proxy_or_proxy_none_says_otherwise() {
    let port = closed_port().await;
    let proxy = format!("http://127.0.0.1:{port}");
    let through_proxy = TestApp::builder()
        .device_proxy("system")
        .proxy_env(&[("HTTPS_PROXY", &proxy)])
        .start()
        .await;
    through_proxy.login_as("viewer").await;
    let failed = through_proxy.images().await;
    assert_eq!(failed.status, 502, "{}", failed.text);
    assert_eq!(failed.code(), "device_proxy", "{}", failed.text);
    assert!(
        failed.message().contains(&format!("127.0.0.1:{port}")),
        "{}",
        failed.message()
    );
    through_proxy.shutdown().await;

    let bypassed = TestApp::builder()
        .device_proxy("system")
        .proxy_env(&[("HTTPS_PROXY", &proxy), ("NO_PROXY", "127.0.0.1")])
        .start()
        .await;
    bypassed.login_as("viewer").await;
    assert_eq!(
        bypassed.images().await.status,
        200,
        "NO_PROXY exempts the device"
    );
    bypassed.shutdown().await;

    let direct = TestApp::builder()
        .device_proxy("none")
        .proxy_env(&[("HTTPS_PROXY", &proxy)])
        .start()
        .await;
    direct.login_as("viewer").await;
    assert_eq!(
        direct.images().await.status,
        200,
        "proxy = none ignores the environment"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc22_the_status_view_shows_the_devices_own_proxy_state_and_user() {
    let app = TestApp::builder()
        .sim(|sim| sim.info(json!({"state": true, "authState": true, "proxyState": true, "proxyUser": "edge-proxy"})))
        .start()
        .await;
    app.login_as("viewer").await;

    let status = app.registry_status().await;

    assert_eq!(status.status, 200, "{}", status.text);
    assert_eq!(status.body["registry"]["proxyConfigured"], true);
    assert_eq!(status.body["registry"]["proxyUser"], "edge-proxy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_port_nobody_listens_on_is_a_502_naming_host_and_port_after_at_most_three_attempts()
 {
    let _alone = crate::timing_sensitive().await;
    let port = closed_port().await;
    let app = TestApp::builder()
        .device_url(format!("https://127.0.0.1:{port}"))
        .start()
        .await;
    app.login_as("viewer").await;

    let failed = app.images().await;

    assert_eq!(failed.status, 502, "{}", failed.text);
    assert_eq!(failed.code(), "device_unreachable", "{}", failed.text);
    assert!(
        failed.message().contains(&format!("127.0.0.1:{port}")),
        "{}",
        failed.message()
    );
    assert!(failed.message().contains("refused"), "{}", failed.message());
    assert!(
        failed.elapsed < std::time::Duration::from_secs(2),
        "two quick retries at most, took {:?}",
        failed.elapsed
    );
}
