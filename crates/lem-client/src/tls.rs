//! TLS policy: one rustls verifier per device, built from its `pin` / `ca` / `system` /
//! `insecure` setting. Every verifier still checks the handshake signature (the peer must hold
//! the certificate's key) and records the certificate it was shown, so the status page can
//! report its fingerprint and expiry and a refusal can name what the device presented.
//!
//! reqwest's `add_root_certificate` cannot trust a self-signed device certificate (webpki
//! refuses a CA certificate used as the server's own: `CaUsedAsEndEntity`), hence these
//! verifiers.

use std::fmt;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::config::{TlsPolicy, format_fingerprint};
use crate::error::DeviceError;

/// The certificate a device last presented to this client (DER), whether or not it was accepted.
#[derive(Clone, Default)]
pub struct PeerCertificate(Arc<Mutex<Option<Vec<u8>>>>);

impl PeerCertificate {
    fn record(&self, der: &[u8]) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(der.to_vec());
        }
    }

    /// The last certificate seen, if any.
    pub fn get(&self) -> Option<Vec<u8>> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }
}

impl fmt::Debug for PeerCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PeerCertificate")
    }
}

/// SHA-256 fingerprint of a DER certificate, as `ab:cd:…`.
pub fn fingerprint(der: &[u8]) -> String {
    format_fingerprint(&Sha256::digest(der))
}

/// Facts about a certificate for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    /// SHA-256 fingerprint (`ab:cd:…`).
    pub sha256: String,
    /// Subject distinguished name, as text.
    pub subject: Option<String>,
    /// Expiry, Unix milliseconds.
    pub not_after_ms: Option<i64>,
}

/// Reads fingerprint, subject and expiry from a DER certificate.
pub fn certificate_facts(der: &[u8]) -> CertificateFacts {
    let parsed = x509_parser::parse_x509_certificate(der).ok();
    CertificateFacts {
        sha256: fingerprint(der),
        subject: parsed.as_ref().map(|(_, c)| c.subject().to_string()),
        not_after_ms: parsed
            .as_ref()
            .map(|(_, c)| c.validity().not_after.timestamp().saturating_mul(1000)),
    }
}

/// The rustls client configuration for a policy, and the slot where the verifier records the
/// presented certificate.
pub(crate) fn client_config(
    policy: &TlsPolicy,
) -> Result<(rustls::ClientConfig, PeerCertificate), DeviceError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let peer = PeerCertificate::default();
    let check = match policy {
        TlsPolicy::Pin { sha256 } => Check::Pin(*sha256),
        TlsPolicy::Insecure => Check::AnyCertificate,
        TlsPolicy::System => Check::WebPki(webpki_verifier(system_roots()?, &provider)?),
        TlsPolicy::Ca { pem_file } => {
            let extra = read_pem_certificates(pem_file)?;
            let mut roots = system_roots().unwrap_or_else(|_| RootCertStore::empty());
            for cert in &extra {
                // A self-signed leaf may not be a valid trust anchor; it is matched exactly below.
                let _ = roots.add(cert.clone());
            }
            Check::Ca {
                exact: extra.into_iter().map(|c| c.to_vec()).collect(),
                webpki: webpki_verifier(roots, &provider)?,
            }
        }
    };
    let verifier = PolicyVerifier {
        check,
        algorithms: provider.signature_verification_algorithms,
        peer: peer.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DeviceError::Config(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok((config, peer))
}

fn system_roots() -> Result<RootCertStore, DeviceError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(DeviceError::Config(
            "no system CA certificates found (install the ca-certificates package, or use tls = \"pin\")".into(),
        ));
    }
    Ok(roots)
}

fn webpki_verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, DeviceError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| DeviceError::Config(format!("TLS trust store: {e}")))
}

fn read_pem_certificates(
    path: &std::path::Path,
) -> Result<Vec<CertificateDer<'static>>, DeviceError> {
    let text = std::fs::read(path).map_err(|e| {
        DeviceError::Config(format!("cannot read the CA file {}: {e}", path.display()))
    })?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut text.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| {
            DeviceError::Config(format!(
                "the CA file {} is not valid PEM: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(DeviceError::Config(format!(
            "the CA file {} holds no certificate",
            path.display()
        )));
    }
    Ok(certs)
}

enum Check {
    Pin([u8; 32]),
    Ca {
        exact: Vec<Vec<u8>>,
        webpki: Arc<WebPkiServerVerifier>,
    },
    WebPki(Arc<WebPkiServerVerifier>),
    AnyCertificate,
}

struct PolicyVerifier {
    check: Check,
    algorithms: WebPkiSupportedAlgorithms,
    peer: PeerCertificate,
}

impl fmt::Debug for PolicyVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PolicyVerifier")
    }
}

/// The error a pin mismatch produces inside rustls; recognised again when classifying.
#[derive(Debug)]
pub(crate) struct PinMismatch;

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("certificate does not match the pinned fingerprint")
    }
}

impl std::error::Error for PinMismatch {}

impl ServerCertVerifier for PolicyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.peer.record(end_entity);
        match &self.check {
            Check::Pin(expected) => {
                if Sha256::digest(end_entity.as_ref()).as_slice() == expected {
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(rustls::Error::InvalidCertificate(
                        rustls::CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch))),
                    ))
                }
            }
            Check::Ca { exact, webpki } => {
                if exact.iter().any(|c| c.as_slice() == end_entity.as_ref()) {
                    Ok(ServerCertVerified::assertion())
                } else {
                    webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                }
            }
            Check::WebPki(webpki) => {
                webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            }
            Check::AnyCertificate => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
