//! Robustness under load: many concurrent clients (each its own connection) call list and
//! status on the real `lem-panel` process against the simulator. Zero unexpected answers
//! (only 200; a deliberate 503 shed is counted apart), bounded memory (RSS reported), and no
//! leaked connections: afterwards the panel holds no client socket and at most its device
//! pool's idle connections, and the device saw no more connections than the pool allows.
//!
//! CI runs 32 clients for 5 s: no more than the panel's device slots, so no request ever waits
//! for one and none may be shed. `LEM_ROBUST_LONG=1` runs the full 200 clients for 30 s: they
//! queue for the 32 slots, and a request that waited `device_queue_seconds` is shed with a 503.

use std::time::{Duration, Instant};

use lem_panel_tests::hostile::{
    self, CANARY_FORMS, assert_no_token, assert_no_token_in_files, long_run,
};
use lem_panel_tests::process::{PanelDir, PanelProcess, TcpSocket};
use lem_panel_tests::{CANARY_TOKEN, PanelClient};
use lem_sim::{SimConfig, Simulator};
use reqwest::Method;

/// The panel's default cap on device calls in flight (and its idle pool per device).
const DEVICE_POOL: usize = 32;
/// How long a request waits for a device slot before it is shed (the panel's default).
const DEVICE_QUEUE: Duration = Duration::from_secs(10);
/// Peak resident memory allowed for the panel process, in MiB.
const RSS_LIMIT_MIB: u64 = 512;

#[derive(Debug, Default)]
struct ClientTally {
    ok: usize,
    shed: usize,
    unexpected: Vec<String>,
    latencies: Vec<Duration>,
}

async fn hammer(client: PanelClient, device: String, until: Instant) -> ClientTally {
    let mut tally = ClientTally::default();
    let paths = [
        format!("api/v1/devices/{device}/images"),
        format!("api/v1/devices/{device}/registry"),
    ];
    let mut n = 0_usize;
    while Instant::now() < until {
        let path = &paths[n % 2];
        n += 1;
        let reply = client.try_request(Method::GET, path, None).await;
        if let Ok(reply) = &reply
            && CANARY_FORMS
                .iter()
                .any(|secret| hostile::find_in(&reply.bytes, secret).is_some())
        {
            tally
                .unexpected
                .push(format!("{path}: the token in the answer"));
        }
        match reply {
            Ok(reply) if reply.status == 200 => {
                tally.ok += 1;
                tally.latencies.push(reply.elapsed);
            }
            // A deliberate shed comes only after the wait for a device slot.
            Ok(reply)
                if reply.status == 503
                    && reply.code() == "unavailable"
                    && reply.elapsed >= DEVICE_QUEUE =>
            {
                tally.shed += 1;
            }
            Ok(reply) => tally
                .unexpected
                .push(format!("{path}: {} {}", reply.status, reply.text)),
            Err(e) => tally.unexpected.push(format!("{path}: {e}")),
        }
    }
    tally
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// (client connections into the panel, connections to the device) among `sockets`.
fn classify(sockets: &[TcpSocket], panel_port: u16, device_port: u16) -> (usize, usize) {
    let inbound = sockets
        .iter()
        .filter(|s| s.local_port == panel_port && s.remote_port != 0)
        .count();
    let to_device = sockets
        .iter()
        .filter(|s| s.remote_port == device_port)
        .count();
    (inbound, to_device)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_load_concurrent_clients_on_list_and_status_get_no_unexpected_error_with_bounded_memory_and_no_leaked_connection()
 {
    let _alone = crate::timing_sensitive().await;
    let (clients, seconds) = if long_run() {
        (200, 30)
    } else {
        (DEVICE_POOL, 5)
    };
    // Each client has one request (one device call) in flight at a time: up to one per slot,
    // none waits for a slot, so none can be shed.
    let can_shed = clients > DEVICE_POOL;
    let sim = Simulator::start(SimConfig::new(CANARY_TOKEN))
        .await
        .expect("the simulator starts");
    let device = "robust-load";
    let mut dir = PanelDir::new(&sim, device, "", "");
    dir.set_env("RUST_LOG", "info");
    let panel = PanelProcess::start(&dir).await;
    let (panel_port, device_port) = (panel.addr().port(), sim.addr().port());
    let cookie = {
        let login = panel.separate_client();
        login.login_as("viewer").await;
        for _ in 0..10 {
            assert_eq!(login.images().await.status, 200);
        }
        login.session_cookie()
    };
    let settle = |panel: &PanelProcess| {
        let sockets = panel.tcp_sockets();
        classify(&sockets, panel_port, device_port)
    };
    let mut before = settle(&panel);
    let waited = Instant::now();
    while before.0 > 0 && waited.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        before = settle(&panel);
    }
    let rss_before = panel.rss_kib().unwrap_or_default();
    let fds_before = panel.open_fds().unwrap_or_default();
    sim.state().reset_counters();

    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let client = panel.separate_client().unrecorded();
            client.set_session_cookie(cookie.clone());
            tokio::spawn(hammer(client, device.to_owned(), until))
        })
        .collect();
    let mut peak_sockets = (0, 0);
    while Instant::now() < until {
        // A client may briefly hold two connections (the pool takes its idle one back
        // asynchronously), so the peak can reach twice the clients.
        let (inbound, to_device) = classify(&panel.tcp_sockets(), panel_port, device_port);
        peak_sockets = (peak_sockets.0.max(inbound), peak_sockets.1.max(to_device));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut total = ClientTally::default();
    for worker in workers {
        let tally = worker.await.expect("a client task");
        total.ok += tally.ok;
        total.shed += tally.shed;
        total.unexpected.extend(tally.unexpected);
        total.latencies.extend(tally.latencies);
    }
    let elapsed = started.elapsed();
    let rss_peak = panel.peak_rss_kib().unwrap_or_default();
    let rss_after = panel.rss_kib().unwrap_or_default();
    // The clients are gone (their pools dropped with them): their connections close.
    let settled = Instant::now();
    let mut after = classify(&panel.tcp_sockets(), panel_port, device_port);
    while after.0 > 0 && settled.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = classify(&panel.tcp_sockets(), panel_port, device_port);
    }
    let fds_after = panel.open_fds().unwrap_or_default();
    let device_connections = sim.state().counters().tcp_connections;
    total.latencies.sort();

    println!(
        "robust load ({}): {clients} clients × {seconds} s: {} requests ({:.0}/s), {} unexpected, {} shed (503), \
         latency p50 {:?} p99 {:?} max {:?}; panel RSS {} MiB before, {} MiB peak, {} MiB after; \
         fds {fds_before} before ({} to the device), {fds_after} after; sockets at peak {} from clients, {} to the device; \
         after: {} from clients, {} to the device; device saw {device_connections} TCP connections",
        lem_panel_tests::process::binary().display(),
        total.ok + total.shed + total.unexpected.len(),
        (total.ok + total.shed) as f64 / elapsed.as_secs_f64(),
        total.unexpected.len(),
        total.shed,
        percentile(&total.latencies, 50.0),
        percentile(&total.latencies, 99.0),
        total.latencies.last().copied().unwrap_or_default(),
        rss_before / 1024,
        rss_peak / 1024,
        rss_after / 1024,
        before.1,
        peak_sockets.0,
        peak_sockets.1,
        after.0,
        after.1,
    );
    assert!(total.ok > clients, "only {} requests succeeded", total.ok);
    if !can_shed {
        assert_eq!(
            total.shed, 0,
            "{clients} clients never wait for one of the {DEVICE_POOL} device slots, yet requests were shed"
        );
    }
    assert!(
        total.unexpected.is_empty(),
        "{} unexpected answers, e.g. {:?}",
        total.unexpected.len(),
        &total.unexpected[..total.unexpected.len().min(5)]
    );
    assert!(
        rss_peak / 1024 < RSS_LIMIT_MIB,
        "peak RSS {} MiB",
        rss_peak / 1024
    );
    assert_eq!(after.0, 0, "client connections still open in the panel");
    assert!(
        after.1 <= DEVICE_POOL,
        "{} device connections kept",
        after.1
    );
    // Every other descriptor (database, log, listener, runtime) is back to where it was.
    assert!(
        fds_after - after.1 <= fds_before - before.1,
        "file descriptors: {fds_before} before ({} to the device), {fds_after} after ({} to the device)",
        before.1,
        after.1
    );
    assert!(
        device_connections <= 2 * DEVICE_POOL as u64,
        "the device saw {device_connections} connections: the pool does not reuse them"
    );
    assert_eq!(panel.client().healthz().await.status, 200);
    assert_no_token("the responses", &panel.transcript());
    drop(panel);
    assert_no_token("the panel's log", &dir.log());
    assert_no_token_in_files(dir.path());
}
