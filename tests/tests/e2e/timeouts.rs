//! BC-05: a hanging device costs each waiting request its time limit and nothing more, and
//! nothing else in the panel slows down; a slow but working device still answers. A device
//! whose connection never completes is unreachable (502), after at most two retries of a read.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use lem_panel_tests::{DeviceTimeouts, PanelClient, TestApp, TestAppOptions};
use lem_sim::{Fault, FaultKind, Op};

const LIST_TIMEOUT_SECS: u64 = 2;
const CONNECT_TIMEOUT_SECS: u64 = 1;
const SESSIONS: usize = 20;
const INDEX: &[u8] = b"<!doctype html><html><head><link rel=\"stylesheet\" href=\"/__LEM_BASE__/app-e2e.css\"></head><body></body></html>";
const STYLESHEET: &[u8] = b"body { margin: 0 }";

fn hanging_device() -> TestAppOptions {
    TestApp::builder()
        .device_timeouts(DeviceTimeouts {
            connect: CONNECT_TIMEOUT_SECS,
            list: LIST_TIMEOUT_SECS,
            ..DeviceTimeouts::default()
        })
        .web_files(&[("index.html", INDEX), ("app-e2e.css", STYLESHEET)])
}

/// Polls (short sleeps) until `ready` holds; panics after 10 s.
async fn until(what: &str, ready: impl Fn() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn logged_in_sessions(app: &TestApp) -> Vec<PanelClient> {
    let clients: Vec<PanelClient> = (0..SESSIONS).map(|_| app.new_client()).collect();
    join_all(clients.iter().map(|c| c.login_as("viewer"))).await;
    clients
}

/// While 20 list requests wait on the device: health, login and a static file answer fast.
async fn everything_else_stays_fast(app: &TestApp) {
    let fast = Duration::from_secs(1);
    let health = app.healthz().await;
    assert_eq!(health.status, 200);
    assert!(health.elapsed < fast, "/healthz took {:?}", health.elapsed);
    let login = app.new_client().login_as("operator").await;
    assert!(login.elapsed < fast, "login took {:?}", login.elapsed);
    let stylesheet = app.get("app-e2e.css").await;
    assert_eq!(stylesheet.status, 200);
    assert_eq!(stylesheet.bytes, STYLESHEET);
    assert!(
        stylesheet.elapsed < fast,
        "a static file took {:?}",
        stylesheet.elapsed
    );
    let session = app.session().await;
    assert!(
        session.elapsed < fast,
        "the session route took {:?}",
        session.elapsed
    );
}

/// What each of the 20 list requests must end with, and by when.
struct Expected {
    status: u16,
    code: &'static str,
    /// Part of the message: what the panel waited for.
    says: &'static str,
    limit: Duration,
}

/// A hung answer: the list's own limit.
const TIMED_OUT: Expected = Expected {
    status: 504,
    code: "device_timeout",
    says: "did not answer within 2 seconds",
    limit: Duration::from_secs(LIST_TIMEOUT_SECS + 1),
};

/// A connection that never completes: three connect attempts, 150 + 300 ms apart.
const UNREACHABLE: Expected = Expected {
    status: 502,
    code: "device_unreachable",
    says: "did not answer within 1 s",
    limit: Duration::from_millis(3 * CONNECT_TIMEOUT_SECS * 1000 + 450 + 1000),
};

async fn twenty_lists_fail_in_time_while_the_rest_stays_fast(
    app: &TestApp,
    in_flight: impl Fn() -> bool,
    expected: Expected,
) {
    let _alone = crate::timing_sensitive().await;
    let clients = logged_in_sessions(app).await;
    let requests: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::spawn(async move { client.images().await }))
        .collect();
    until("the 20 list calls to reach the device", in_flight).await;

    everything_else_stays_fast(app).await;

    let limit = expected.limit;
    let endpoint = app.sim().addr().to_string();
    for reply in join_all(requests).await {
        let reply = reply.expect("request task");
        assert_eq!(reply.status, expected.status, "{}", reply.text);
        assert_eq!(reply.code(), expected.code, "{}", reply.text);
        let message = reply.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected.says), "{message}");
        assert!(message.contains(&endpoint), "names host:port: {message}");
        assert!(
            reply.elapsed <= limit,
            "waited {:?}, limit {limit:?}",
            reply.elapsed
        );
    }
    assert_eq!(app.healthz().await.status, 200, "the panel is still up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc05_twenty_lists_on_a_device_that_never_answers_get_504_in_time_and_the_panel_stays_fast()
{
    let app = hanging_device()
        .sim(|sim| sim.fault(Op::List, Fault::always(FaultKind::Hang)))
        .start()
        .await;
    let device = app.device().clone();

    twenty_lists_fail_in_time_while_the_rest_stays_fast(
        &app,
        move || device.calls(Op::List) >= SESSIONS as u64,
        TIMED_OUT,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc05_twenty_lists_on_a_device_stalled_before_tls_get_502_unreachable_in_time_and_the_panel_stays_fast()
 {
    let app = hanging_device()
        .sim(|sim| sim.tls_stalled(true))
        .start()
        .await;
    let device = app.device().clone();

    twenty_lists_fail_in_time_while_the_rest_stays_fast(
        &app,
        move || device.counters().tcp_connections >= SESSIONS as u64,
        UNREACHABLE,
    )
    .await;
    let counters = app.device().counters();
    assert_eq!(counters.requests, 0, "{counters:?}");
    assert_eq!(
        counters.tcp_connections,
        3 * SESSIONS as u64,
        "each list tried to connect three times: {counters:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc05_a_device_that_needs_3_seconds_still_lists_with_the_default_timeouts() {
    let app = TestApp::builder()
        .sim(|sim| {
            sim.fault(
                Op::List,
                Fault::always(FaultKind::Latency(Duration::from_secs(3))),
            )
        })
        .start()
        .await;
    app.login_as("viewer").await;

    let images = app.images().await;

    assert_eq!(images.status, 200, "{}", images.text);
    assert!(images.elapsed >= Duration::from_secs(3));
    assert_eq!(app.device().calls(Op::List), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc05_a_device_that_sends_headers_then_drips_its_body_still_costs_only_the_time_limit() {
    let app = hanging_device()
        .sim(|sim| {
            sim.fault(
                Op::List,
                Fault::always(FaultKind::Drip(Duration::from_millis(200))),
            )
        })
        .start()
        .await;
    app.login_as("viewer").await;

    let reply = app.images().await;

    assert_eq!(reply.status, 504, "{}", reply.text);
    assert_eq!(reply.code(), "device_timeout", "{}", reply.text);
    assert!(
        reply.elapsed <= Duration::from_secs(LIST_TIMEOUT_SECS + 1),
        "{:?}",
        reply.elapsed
    );
}
