//! A pin trusts a certificate, not a copy of it: the peer must also prove it holds the
//! certificate's private key (the handshake signature). A server that presents the pinned
//! certificate but signs with another key is refused before any HTTP byte; and a device name
//! that does not resolve is "unreachable", naming host and port.

use std::sync::Arc;

use lem_client::{DeviceConfig, DeviceError, ProxySetting, RegistryApi, SecretString, TlsPolicy};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::common::*;

/// Always presents one certificate with one signing key (matching or not).
#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// A one-connection TLS server presenting `cert` and signing with `key`: answers one HTTP
/// request with an empty list, and reports how many bytes of HTTP it received.
async fn serve_once(
    cert: CertificateDer<'static>,
    key: &rcgen::KeyPair,
) -> (String, oneshot::Receiver<usize>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signer = provider
        .key_provider
        .load_private_key(key_der)
        .expect("a usable key");
    let certified = Arc::new(CertifiedKey::new(vec![cert], signer));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Fixed(certified)));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = https_url(listener.local_addr().expect("address"));
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let mut received = 0;
        if let Ok((tcp, _)) = listener.accept().await
            && let Ok(mut tls) = acceptor.accept(tcp).await
        {
            let mut buf = [0u8; 4096];
            if let Ok(n) = tls.read(&mut buf).await {
                received = n;
                let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]";
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            }
        }
        let _ = tx.send(received);
    });
    (url, rx)
}

fn pinned_client(url: &str, cert: &CertificateDer<'_>) -> lem_client::DeviceClient {
    let mut config = DeviceConfig::new(
        "signature-test",
        url::Url::parse(url).expect("url"),
        SecretString::from(TOKEN),
        TlsPolicy::Pin {
            sha256: lem_client::parse_fingerprint(&lem_client::fingerprint(cert))
                .expect("a fingerprint"),
        },
    );
    config.proxy = ProxySetting::None;
    client(config)
}

#[tokio::test]
async fn a_peer_presenting_the_pinned_certificate_without_its_private_key_gets_no_http_request() {
    let pinned = rcgen::generate_simple_self_signed(vec!["lem-edge.example.local".to_owned()])
        .expect("certificate");
    let cert = pinned.cert.der().clone();

    // The control: the real key, the same server code, and the pin works.
    let (url, received) = serve_once(cert.clone(), &pinned.key_pair).await;
    let list = pinned_client(&url, &cert).list_images().await;
    assert_eq!(list.map(|l| l.images.len()), Ok(0));
    assert!(
        received.await.expect("server done") > 0,
        "the request arrived"
    );

    // The same certificate, signed for by another key: refused, no request sent.
    let impostor = rcgen::KeyPair::generate().expect("another key");
    let (url, received) = serve_once(cert.clone(), &impostor).await;
    let refused = pinned_client(&url, &cert).list_images().await;
    assert!(
        matches!(refused, Err(DeviceError::Tls { .. })),
        "{refused:?}"
    );
    assert_eq!(
        received.await.expect("server done"),
        0,
        "no HTTP byte arrived"
    );
}

#[tokio::test]
async fn a_device_name_that_does_not_resolve_is_unreachable_and_names_host_and_port() {
    let sim = start_sim(lem_sim::AuthMode::Basic).await;
    let config = config_at(
        &sim,
        "https://lem-device.invalid:8446",
        lem_client::AuthMode::Basic,
    );
    let result = client(config).registry_info().await;
    match result {
        Err(DeviceError::Unreachable { endpoint, .. }) => {
            assert_eq!(endpoint, "lem-device.invalid:8446");
        }
        other => panic!("expected unreachable, got {other:?}"),
    }
}
