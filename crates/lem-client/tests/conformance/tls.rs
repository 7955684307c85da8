//! TLS policies (`pin`, `ca`, `system`, `insecure`): a refused peer receives no HTTP bytes, and
//! there is never a plain-HTTP fallback (BC-20).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::FutureExt;
use lem_client::{AuthMode, DeviceClient, DeviceError, RegistryApi, TlsFailure, TlsPolicy};
use lem_sim::Simulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::*;

fn client_with(sim: &Simulator, tls: TlsPolicy) -> DeviceClient {
    let mut config = config(sim, AuthMode::Basic);
    config.tls = tls;
    client(config)
}

/// Every operation fails with exactly `kind`, naming the simulator's certificate, and the
/// simulator saw one TCP connection per operation (no retry, no second plain connection), no
/// completed handshake and no HTTP request.
async fn assert_refused_without_http(sim: &Simulator, client: &DeviceClient, kind: TlsFailure) {
    let expected = DeviceError::Tls {
        endpoint: sim.addr().to_string(),
        kind,
        presented_sha256: Some(sim.fingerprint().to_owned()),
    };
    for result in run_all(client).await {
        assert_eq!(result, Err(expected.clone()));
    }
    let counters = sim.state().counters();
    assert_eq!(counters.requests, 0, "{counters:?}");
    assert_eq!(
        counters.list + counters.pull + counters.delete + counters.info,
        0
    );
    assert_eq!(counters.tls_handshakes, 0, "{counters:?}");
    assert_eq!(
        counters.tcp_connections, 4,
        "one attempt per operation: {counters:?}"
    );
}

#[tokio::test]
async fn a_matching_pin_is_trusted_and_the_peer_certificate_is_reported() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let client = client_with(&sim, pin(&sim));
    assert_eq!(
        client.peer_certificate(),
        None,
        "nothing seen before the first call"
    );
    for result in run_all(&client).await {
        result.expect("a pinned device works");
    }
    let facts = client.peer_certificate().expect("a certificate was seen");
    assert_eq!(facts.sha256, sim.fingerprint());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    let not_after = facts.not_after_ms.expect("an expiry");
    assert!(
        i128::from(not_after) > i128::try_from(now_ms).expect("fits"),
        "the certificate is still valid: {not_after}"
    );
    // rcgen's self-signed default runs to the year 4096; anything beyond 10000 would be nonsense.
    assert!(
        not_after < 253_402_300_800_000,
        "before the year 10000: {not_after}"
    );
    assert!(facts.subject.is_some());
}

#[tokio::test]
async fn a_pin_mismatch_is_refused_before_any_http_byte_and_names_the_presented_certificate() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    // Stands in for port 80: a client that fell back to plain HTTP would have to connect somewhere.
    let port_80 = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let client = client_with(&sim, TlsPolicy::Pin { sha256: [0x42; 32] });
    assert_refused_without_http(&sim, &client, TlsFailure::PinMismatch).await;
    assert!(
        port_80.accept().now_or_never().is_none(),
        "no plain-HTTP fallback"
    );
    let facts = client
        .peer_certificate()
        .expect("the presented certificate is recorded");
    assert_eq!(facts.sha256, sim.fingerprint());
}

#[tokio::test]
async fn bc20_a_self_signed_device_is_untrusted_under_the_system_policy_and_gets_no_http() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let port_80 = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let client = client_with(&sim, TlsPolicy::System);
    assert_refused_without_http(&sim, &client, TlsFailure::Untrusted).await;
    assert!(
        port_80.accept().now_or_never().is_none(),
        "no plain-HTTP fallback"
    );
    let error = client.list_images().await.expect_err("still refused");
    assert!(error.to_string().contains("not trusted"), "{error}");
}

#[tokio::test]
async fn bc20_the_device_certificate_in_a_ca_file_is_trusted() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let mut pem = tempfile::NamedTempFile::new().expect("temp file");
    pem.write_all(sim.cert_pem().as_bytes())
        .expect("write the PEM");
    let client = client_with(
        &sim,
        TlsPolicy::Ca {
            pem_file: pem.path().to_owned(),
        },
    );
    for result in run_all(&client).await {
        result.expect("a device whose certificate is in the CA file works");
    }
}

#[tokio::test]
async fn a_ca_file_with_another_devices_certificate_does_not_trust_this_one() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let other = start_sim(lem_sim::AuthMode::Basic).await;
    let mut pem = tempfile::NamedTempFile::new().expect("temp file");
    pem.write_all(other.cert_pem().as_bytes())
        .expect("write the PEM");
    let client = client_with(
        &sim,
        TlsPolicy::Ca {
            pem_file: pem.path().to_owned(),
        },
    );
    assert_refused_without_http(&sim, &client, TlsFailure::Untrusted).await;
}

#[tokio::test]
async fn bc20_insecure_works_over_https() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let capture = LogCapture::default();
    let guard = tracing::subscriber::set_default(capture.subscriber());
    let client = client_with(&sim, TlsPolicy::Insecure);
    drop(guard);
    assert!(
        capture.text().contains("TLS verification is OFF"),
        "building an insecure client warns: {}",
        capture.text()
    );
    for result in run_all(&client).await {
        result.expect("insecure accepts the self-signed certificate");
    }
    // The simulator only speaks TLS: a completed handshake and four requests prove HTTPS.
    let counters = sim.state().counters();
    assert_eq!(counters.tls_handshakes, 1, "{counters:?}");
    assert_eq!(counters.requests, 4, "{counters:?}");
}

#[tokio::test]
async fn bc20_a_plain_http_device_url_is_refused_before_any_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let mut config = lem_client::DeviceConfig::new(
        "plain",
        url::Url::parse(&format!("http://{addr}")).expect("url"),
        lem_client::SecretString::from(TOKEN),
        TlsPolicy::Insecure,
    );
    config.proxy = lem_client::ProxySetting::None;
    let error = DeviceClient::with_env(config, |_| None).expect_err("http:// is refused");
    assert!(matches!(error, DeviceError::Config(_)), "{error:?}");
    assert!(
        listener.accept().now_or_never().is_none(),
        "nothing connected"
    );
}

#[tokio::test]
async fn bc20_a_plain_http_server_at_the_device_address_only_ever_sees_a_tls_client_hello() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let accepted = Arc::new(AtomicUsize::new(0));
    let (sent, mut connections) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let counter = accepted.clone();
    // Answers every connection like a plain HTTP server would, and reports what each one sent.
    let server = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let sent = sent.clone();
            tokio::spawn(async move {
                let mut bytes = vec![0_u8; 4096];
                let n = stream.read(&mut bytes).await.unwrap_or(0);
                bytes.truncate(n);
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]")
                    .await;
                let mut rest = Vec::new();
                let _ = stream.read_to_end(&mut rest).await;
                bytes.extend_from_slice(&rest);
                let _ = sent.send(bytes);
            });
        }
    });
    let mut config = lem_client::DeviceConfig::new(
        "plain",
        url::Url::parse(&https_url(addr)).expect("url"),
        lem_client::SecretString::from(TOKEN),
        TlsPolicy::Insecure,
    );
    config.proxy = lem_client::ProxySetting::None;
    let client = client(config);
    let error = client.list_images().await.expect_err("no TLS, no answer");
    assert!(
        matches!(
            error,
            DeviceError::Tls {
                kind: TlsFailure::Handshake,
                ..
            }
        ),
        "{error:?}"
    );
    drop(client);
    // The server answered every attempt, so each was accepted before the client gave up.
    let attempts = accepted.load(Ordering::SeqCst);
    assert_eq!(attempts, 1, "one connection, no fallback and no retry");
    for _ in 0..attempts {
        let bytes = connections
            .recv()
            .await
            .expect("the connection is reported");
        assert_eq!(
            bytes.first(),
            Some(&0x16),
            "a TLS handshake record, not HTTP"
        );
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("GET "), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
        let basic = "Y29uZm9ybWFuY2UtYWRtaW4tdG9rZW46"; // base64("conformance-admin-token:")
        assert!(!text.contains(basic), "{text}");
    }
    server.abort();
}
