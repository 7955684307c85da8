//! A tiny HTTPS client for the tests: real TLS (pinned to the simulator's certificate) and
//! HTTP/1.1 over one reusable connection, so tests can count handshakes and see dropped
//! connections.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use lem_sim::{SimConfig, Simulator, fingerprint_of};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

pub const TOKEN: &str = "test-admin-token";
pub const READ_ONLY: &str = "test-read-only-token";
pub const LIST: &str = "/admin/v1/registry/image";
pub const INFO: &str = "/admin/v1/registry/info";
pub const PULL_PYTHON: &str = "/admin/v1/registry/image/upload-remote?externalUrl=docker.io&externalName=python&externalTag=3.9&internalName=mirror%2Fpython&internalTag=3.9";
pub const ALPINE_LATEST_DIGEST: &str =
    "sha256:6bd2275da52e3a69ffbe28739e65cdb0ac1167f9a8d9d16e129ab83f0a189c19";

/// Long enough for a loaded 2-core machine to answer; short enough that "never answers" tests
/// stay quick.
pub const PATIENCE: Duration = Duration::from_millis(400);

/// The credentials a request carries.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    None,
    Basic(&'a str),
    XAuthToken(&'a str),
}

/// An answer read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

pub async fn start(config: SimConfig) -> Simulator {
    Simulator::start(config)
        .await
        .expect("the simulator starts")
}

pub async fn start_default() -> Simulator {
    start(SimConfig::new(TOKEN).read_only_token(READ_ONLY)).await
}

/// Accepts exactly the certificate with this SHA-256 fingerprint (still checking signatures),
/// which is what the panel's `pin` mode does.
#[derive(Debug)]
struct Pinned {
    fingerprint: String,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if fingerprint_of(end_entity) == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("fingerprint mismatch".to_owned()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// One client connection (one TLS handshake) that can carry many requests.
pub struct Conn {
    sender: SendRequest<Empty<Bytes>>,
}

impl Conn {
    pub async fn open(sim: &Simulator) -> Conn {
        Conn::open_pinned(sim.addr(), sim.fingerprint())
            .await
            .expect("connects")
    }

    pub async fn open_pinned(
        addr: std::net::SocketAddr,
        fingerprint: &str,
    ) -> Result<Conn, std::io::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned {
                fingerprint: fingerprint.to_owned(),
                provider,
            }))
            .with_no_client_auth();
        let tcp = TcpStream::connect(addr).await?;
        let name = ServerName::try_from("lem-edge.example.local").expect("name");
        let tls = TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await?;
        let (sender, connection) = http1::handshake(TokioIo::new(tls))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(connection);
        Ok(Conn { sender })
    }

    /// Sends one request and reads the whole answer; an error means the connection broke.
    pub async fn send(
        &mut self,
        method: &str,
        target: &str,
        auth: Auth<'_>,
    ) -> Result<Reply, hyper::Error> {
        let mut builder = Request::builder()
            .method(method)
            .uri(target)
            .header("host", "lem-edge.example.local");
        match auth {
            Auth::None => {}
            Auth::Basic(token) => {
                let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{token}:"));
                builder = builder.header("authorization", format!("Basic {encoded}"));
            }
            Auth::XAuthToken(token) => builder = builder.header("x-authtoken", token),
        }
        self.sender.ready().await?;
        let response = self
            .sender
            .send_request(builder.body(Empty::new()).expect("request"))
            .await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Reply {
            status: parts.status.as_u16(),
            content_type: parts
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            headers: parts.headers,
            body,
        })
    }
}

/// One request on a fresh connection, with the administrator token over Basic auth.
pub async fn call(sim: &Simulator, method: &str, target: &str) -> Reply {
    call_as(sim, method, target, Auth::Basic(TOKEN)).await
}

/// One request on a fresh connection with the given credentials.
pub async fn call_as(sim: &Simulator, method: &str, target: &str, auth: Auth<'_>) -> Reply {
    Conn::open(sim)
        .await
        .send(method, target, auth)
        .await
        .expect("an answer")
}

/// `DELETE /image/?name=…&digest=…` built with a real encoder.
pub fn delete_target(name: &str, digest: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("name", name)
        .append_pair("digest", digest)
        .finish();
    format!("/admin/v1/registry/image/?{query}")
}

/// Waits for a condition the server reaches shortly after the client has moved on (e.g. it
/// notices a failed handshake), polling with a deadline instead of a fixed sleep.
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The rows with this name, as (tag, digest) pairs.
pub fn tags_of(rows: &[Value], name: &str) -> Vec<(String, String)> {
    rows.iter()
        .filter(|r| r["name"] == name)
        .map(|r| {
            (
                r["tag"].as_str().unwrap_or_default().to_owned(),
                r["digest"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}
