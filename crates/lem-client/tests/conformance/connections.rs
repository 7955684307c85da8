//! Connection handling: reads retry a failed connection at most twice, writes never; a pool
//! keeps one TLS connection for sequential calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lem_client::{AuthMode, DeviceClient, DeviceError, RegistryApi};
use lem_sim::Op;
use tokio::net::TcpListener;

use crate::common::*;

/// Runs one operation by name.
async fn run(client: &DeviceClient, op: Op) -> Result<(), DeviceError> {
    match op {
        Op::List => client.list_images().await.map(drop),
        Op::Pull => client.pull_image(&python_pull()).await,
        Op::Delete => client.delete_image("line1/hmi", D1).await,
        Op::Info => client.registry_info().await.map(drop),
    }
}

fn expected_attempts(op: Op) -> usize {
    match op {
        Op::List | Op::Info => 3,
        Op::Pull | Op::Delete => 1,
    }
}

#[tokio::test]
async fn reads_retry_a_refused_connection_twice_and_writes_never() {
    let port = closed_port();
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config_at(
        &sim,
        &format!("https://127.0.0.1:{port}"),
        AuthMode::Basic,
    ));
    for op in Op::ALL {
        // The funnel logs the attempt count with the final failure; read it back.
        let capture = LogCapture::default();
        let guard = tracing::subscriber::set_default(capture.subscriber());
        let started = Instant::now();
        let error = run(&client, op).await.expect_err("refused");
        let elapsed = started.elapsed();
        drop(guard);
        assert!(
            matches!(error, DeviceError::Unreachable { .. }),
            "{op}: {error:?}"
        );
        let log = capture.text();
        let failures: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("device call failed"))
            .collect();
        assert_eq!(failures.len(), 1, "{op}: {log}");
        let attempts = expected_attempts(op);
        assert!(
            failures[0].contains(&format!("attempt={attempts}")),
            "{op}: {log}"
        );
        if attempts > 1 {
            // Backoff between the attempts (150 ms, then 300 ms).
            assert!(elapsed >= Duration::from_millis(450), "{op}: {elapsed:?}");
        }
    }
}

/// A TCP listener that accepts connections and closes them at once (a device whose TLS endpoint
/// resets every connection), counting them.
async fn slamming_listener() -> (
    std::net::SocketAddr,
    Arc<AtomicUsize>,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (addr, accepted, task)
}

#[tokio::test]
async fn a_connection_closed_during_the_handshake_is_retried_at_most_twice_for_reads_only() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let (addr, accepted, task) = slamming_listener().await;
    let client = client(config_at(&sim, &https_url(addr), AuthMode::Basic));
    for op in Op::ALL {
        let before = accepted.load(Ordering::SeqCst);
        let error = run(&client, op)
            .await
            .expect_err("the connection is closed");
        // The listener accepted every attempt before the client saw it fail.
        let attempts = accepted.load(Ordering::SeqCst) - before;
        assert_eq!(attempts, expected_attempts(op), "{op}: {error:?}");
        assert!(
            matches!(error, DeviceError::Unreachable { .. }),
            "{op}: {error:?}"
        );
        assert!(!error.outcome_unknown(), "no request was sent: {error:?}");
    }
    task.abort();
}

#[tokio::test]
async fn fifty_sequential_list_calls_share_one_tls_handshake() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    for _ in 0..50 {
        client.list_images().await.expect("list");
    }
    let counters = sim.state().counters();
    assert_eq!(counters.list, 50);
    assert_eq!(counters.tls_handshakes, 1, "{counters:?}");
    assert_eq!(counters.tcp_connections, 1, "{counters:?}");
}

#[tokio::test]
async fn error_answers_keep_the_connection_reusable() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client(config(&sim, AuthMode::Basic));
    for _ in 0..5 {
        client.list_images().await.expect("list");
        let error = client.delete_image("nobody", D2).await.expect_err("404");
        assert!(matches!(error, DeviceError::NotFound { .. }), "{error:?}");
    }
    assert_eq!(sim.state().counters().tls_handshakes, 1);
}
