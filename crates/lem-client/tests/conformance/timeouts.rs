//! Time limits (BC-05): a hung or stalled device fails in bounded time (a timeout once
//! connected, "unreachable" when the connection itself does not complete), a slow but healthy
//! one still succeeds with the default limits.

use std::time::{Duration, Instant};

use lem_client::{AuthMode, DeviceError, RegistryApi, TimeoutStage, Timeouts};
use lem_sim::{Fault, FaultKind, Op};

use crate::common::*;

const CONNECT: Duration = Duration::from_secs(1);
const CALL: Duration = Duration::from_secs(1);
const SLACK: Duration = Duration::from_secs(1);

fn assert_timeout(
    result: Result<String, DeviceError>,
    stage: TimeoutStage,
    after: Duration,
    elapsed: Duration,
) {
    let error = result.expect_err("times out");
    assert!(
        matches!(&error, DeviceError::Timeout { stage: s, after: a, .. } if *s == stage && *a == after),
        "{error:?}"
    );
    assert!(elapsed < after + SLACK, "took {elapsed:?}, limit {after:?}");
    assert!(
        elapsed + Duration::from_millis(50) >= after,
        "gave up early: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_device_that_never_answers_times_out_within_the_call_limit() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let mut config = config(&sim, AuthMode::Basic);
    config.timeouts = short_timeouts(CONNECT, CALL);
    let client = client(config);
    sim.state()
        .set_fault(Op::List, Fault::always(FaultKind::Hang));
    let started = Instant::now();
    let result = client.list_images().await.map(|v| format!("{v:?}"));
    assert_timeout(result, TimeoutStage::Response, CALL, started.elapsed());
    assert_eq!(
        sim.state().calls(Op::List),
        1,
        "a timeout is not a connect failure: no retry"
    );

    sim.state()
        .set_fault(Op::Info, Fault::always(FaultKind::Hang));
    let started = Instant::now();
    let result = client.registry_info().await.map(|v| format!("{v:?}"));
    assert_timeout(result, TimeoutStage::Response, CALL, started.elapsed());
}

#[tokio::test]
async fn bc05a_a_device_stalled_before_the_tls_handshake_is_unreachable_after_the_connect_limit_and_only_reads_retry()
 {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    sim.state().set_tls_stalled(true);
    let mut config = config(&sim, AuthMode::Basic);
    // The call limit is longer: the connect limit is what must end each attempt.
    config.timeouts = short_timeouts(CONNECT, Duration::from_secs(5));
    let client = client(config);
    let endpoint = sim.addr().to_string();
    for (op, attempts) in [("list", 3u32), ("pull", 1), ("delete", 1), ("info", 3)] {
        let before = sim.state().counters().tcp_connections;
        let started = Instant::now();
        let result = match op {
            "list" => client.list_images().await.map(|v| format!("{v:?}")),
            "pull" => client
                .pull_image(&python_pull())
                .await
                .map(|v| format!("{v:?}")),
            "delete" => client
                .delete_image("line1/hmi", D1)
                .await
                .map(|v| format!("{v:?}")),
            _ => client.registry_info().await.map(|v| format!("{v:?}")),
        };
        let elapsed = started.elapsed();
        let error = result.expect_err("the device never completes the handshake");
        let DeviceError::Unreachable {
            endpoint: named,
            reason,
        } = &error
        else {
            panic!("{op}: a connect timeout is a failure to reach the device: {error:?}");
        };
        assert_eq!(named, &endpoint, "{op}: names host:port");
        assert!(
            reason.contains("did not answer within 1 s"),
            "{op}: says what it waited for: {reason}"
        );
        assert!(
            error.to_string().contains(&endpoint),
            "{op}: the message names host:port: {error}"
        );
        assert!(!error.outcome_unknown(), "{op}: nothing was sent");
        // Each attempt waits the connect limit; reads pause 150 ms, then 300 ms, between them.
        let pauses = if attempts > 1 { 450 } else { 0 };
        let expected = CONNECT * attempts + Duration::from_millis(pauses);
        assert!(
            elapsed + Duration::from_millis(50) >= expected,
            "{op}: gave up early: {elapsed:?}"
        );
        assert!(
            elapsed < expected + SLACK,
            "{op}: took {elapsed:?}, expected {expected:?}"
        );
        assert_eq!(
            sim.state().counters().tcp_connections - before,
            u64::from(attempts),
            "{op}: list and info retry a connect failure twice, pull and delete never"
        );
    }
    let counters = sim.state().counters();
    assert_eq!(
        (counters.tls_handshakes, counters.requests),
        (0, 0),
        "{counters:?}"
    );
}

#[tokio::test]
async fn bc05b_a_device_answering_after_3_seconds_succeeds_with_the_default_timeouts() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let config = config(&sim, AuthMode::Basic);
    assert_eq!(config.timeouts, Timeouts::default());
    assert!(
        config.timeouts.list >= Duration::from_secs(10),
        "not set below a few seconds"
    );
    let client = client(config);
    sim.state().set_fault(
        Op::List,
        Fault::once(FaultKind::Latency(Duration::from_secs(3))),
    );
    let started = Instant::now();
    let list = client
        .list_images()
        .await
        .expect("a slow device still answers");
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert_eq!(list.images.len(), 4);
}

#[tokio::test]
async fn a_device_dripping_its_body_times_out_within_the_call_limit() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let mut config = config(&sim, AuthMode::Basic);
    config.timeouts = short_timeouts(CONNECT, CALL);
    let client = client(config);
    sim.state().set_fault(
        Op::List,
        Fault::always(FaultKind::Drip(Duration::from_millis(50))),
    );
    let started = Instant::now();
    let result = client.list_images().await.map(|v| format!("{v:?}"));
    assert_timeout(result, TimeoutStage::Response, CALL, started.elapsed());
}
