//! TLS, connections and counters: what a client's transport layer and the benchmarks rely on.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use lem_sim::{CertSource, Op, SimConfig, Simulator, fingerprint_of};

#[tokio::test]
async fn the_fingerprint_and_pem_describe_the_certificate_clients_see() {
    let sim = start_default().await;
    assert_eq!(sim.fingerprint(), fingerprint_of(sim.cert_der()));
    assert_eq!(sim.fingerprint().len(), 95);
    assert!(
        sim.fingerprint()
            .bytes()
            .all(|b| b == b':' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert!(sim.cert_pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
    // The client helper pins this fingerprint, so a successful call proves it matches.
    assert_eq!(call(&sim, "GET", INFO).await.status, 200);
    assert_eq!(
        sim.url(),
        format!("https://127.0.0.1:{}", sim.addr().port())
    );
}

#[tokio::test]
async fn a_keep_alive_connection_serves_many_requests_with_one_handshake() {
    let sim = start_default().await;
    let mut conn = Conn::open(&sim).await;
    for _ in 0..5 {
        assert_eq!(
            conn.send("GET", LIST, Auth::Basic(TOKEN))
                .await
                .expect("answer")
                .status,
            200
        );
    }
    assert_eq!(
        conn.send("GET", "/nowhere", Auth::Basic(TOKEN))
            .await
            .expect("answer")
            .status,
        404
    );
    assert_eq!(
        conn.send("GET", INFO, Auth::None)
            .await
            .expect("answer")
            .status,
        401
    );
    let counters = sim.state().counters();
    assert_eq!(counters.tls_handshakes, 1);
    assert_eq!(counters.tcp_connections, 1);
    assert_eq!(counters.requests, 7);
    assert_eq!(counters.list, 5);
    assert_eq!(counters.info, 1);
}

#[tokio::test]
async fn a_client_that_rejects_the_certificate_counts_as_a_failed_handshake_and_sends_nothing() {
    let sim = start_default().await;
    let wrong_pin = "00:".repeat(31) + "00";
    assert!(Conn::open_pinned(sim.addr(), &wrong_pin).await.is_err());
    eventually("the failed handshake is counted", || {
        sim.state().counters().tls_handshake_failures == 1
    })
    .await;
    assert_eq!(sim.state().counters().tls_handshakes, 0);
    assert_eq!(sim.state().counters().requests, 0);
}

#[tokio::test]
async fn with_tls_stalled_connections_are_accepted_but_the_handshake_never_starts() {
    let sim = start(SimConfig::new(TOKEN).tls_stalled(true)).await;
    let attempt =
        tokio::time::timeout(PATIENCE, Conn::open_pinned(sim.addr(), sim.fingerprint())).await;
    assert!(attempt.is_err(), "the handshake must hang");
    assert_eq!(sim.state().counters().tcp_connections, 1);
    assert_eq!(sim.state().counters().tls_handshakes, 0);
    sim.state().set_tls_stalled(false);
    assert_eq!(call(&sim, "GET", INFO).await.status, 200);
    sim.state().set_tls_stalled(true);
    let again =
        tokio::time::timeout(PATIENCE, Conn::open_pinned(sim.addr(), sim.fingerprint())).await;
    assert!(again.is_err(), "stalled again at run time");
}

#[tokio::test]
async fn the_global_latency_is_added_before_handling_and_before_answering() {
    let sim = start(SimConfig::new(TOKEN).latency(Duration::from_millis(60))).await;
    let mut conn = Conn::open(&sim).await;
    let before = Instant::now();
    conn.send("GET", INFO, Auth::Basic(TOKEN))
        .await
        .expect("answer");
    assert!(
        before.elapsed() >= Duration::from_millis(120),
        "{:?}",
        before.elapsed()
    );
    sim.state().set_latency(Duration::ZERO);
    assert_eq!(sim.state().latency(), Duration::ZERO);
}

#[tokio::test]
async fn resetting_the_counters_zeroes_them_and_forgets_the_requests() {
    let sim = start_default().await;
    call(&sim, "GET", LIST).await;
    call(&sim, "GET", INFO).await;
    assert_eq!(sim.state().requests().len(), 2);
    sim.state().reset_counters();
    assert_eq!(sim.state().counters(), lem_sim::Counters::default());
    assert!(sim.state().requests().is_empty());
    call(&sim, "GET", INFO).await;
    assert_eq!(sim.state().calls(Op::Info), 1);
    assert_eq!(sim.state().calls(Op::List), 0);
}

#[tokio::test]
async fn a_certificate_can_be_loaded_from_pem_files_and_written_out() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let generated =
        rcgen::generate_simple_self_signed(vec!["device.test".to_owned()]).expect("a certificate");
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let written = dir.path().join("written.pem");
    std::fs::write(&cert, generated.cert.pem()).expect("write");
    std::fs::write(&key, generated.key_pair.serialize_pem()).expect("write");
    let config = SimConfig::new(TOKEN)
        .cert(CertSource::PemFiles { cert, key })
        .write_cert_pem(&written);
    let sim = start(config).await;
    assert_eq!(sim.cert_der(), generated.cert.der().as_ref());
    assert_eq!(
        std::fs::read_to_string(&written).expect("read"),
        sim.cert_pem()
    );
    assert_eq!(call(&sim, "GET", INFO).await.status, 200);
}

#[tokio::test]
async fn a_bad_subject_alt_name_or_a_busy_port_is_a_typed_error() {
    let bad = SimConfig::new(TOKEN).cert(CertSource::SelfSigned {
        subject_alt_names: vec!["dévice.local".to_owned()],
    });
    assert!(Simulator::start(bad).await.is_err());
    let first = start_default().await;
    let busy = Simulator::start(SimConfig::new(TOKEN).listen(first.addr())).await;
    assert!(matches!(busy, Err(lem_sim::SimError::Bind { .. })));
}

#[tokio::test]
async fn shutting_down_closes_connections_that_were_left_hanging() {
    let sim = start_default().await;
    sim.state()
        .set_fault(Op::List, lem_sim::Fault::always(lem_sim::FaultKind::Hang));
    let mut conn = Conn::open(&sim).await;
    let pending =
        tokio::spawn(async move { conn.send("GET", LIST, Auth::Basic(TOKEN)).await.is_err() });
    tokio::time::timeout(Duration::from_secs(5), sim.shutdown())
        .await
        .expect("shutdown finishes");
    let broke = tokio::time::timeout(Duration::from_secs(5), pending)
        .await
        .expect("the client sees the close");
    assert!(broke.expect("the task ran"));
}

/// Kills the child when the test ends, even when an assertion fails.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_address_and_fingerprint_and_serves_the_fixture() {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_lem-sim"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--auth",
                "x-auth-token",
                "--synthetic",
                "12",
            ])
            .env("LEM_SIM_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let lines = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .take(2)
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .expect("joined")
    .expect("two lines");
    let addr = lines[0]
        .strip_prefix("lem-sim listening on https://")
        .expect("the address line");
    let fingerprint = lines[1].rsplit(' ').next().expect("the fingerprint line");
    let mut conn = Conn::open_pinned(addr.parse().expect("an address"), fingerprint)
        .await
        .expect("connects");
    let reply = conn
        .send("GET", LIST, Auth::XAuthToken(TOKEN))
        .await
        .expect("answer");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json().as_array().map(Vec::len), Some(12));
    let refused = conn
        .send("GET", LIST, Auth::Basic(TOKEN))
        .await
        .expect("answer");
    assert_eq!(refused.status, 401);
}
