//! The simulator's TLS identity: a generated or loaded certificate, its fingerprint, and the
//! rustls server configuration (ring provider, HTTP/1.1 only).

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::SimError;
use crate::config::CertSource;

/// The certificate the simulator presents and the rustls config that presents it.
pub(crate) struct TlsIdentity {
    pub(crate) cert_der: Vec<u8>,
    pub(crate) cert_pem: String,
    pub(crate) fingerprint: String,
    pub(crate) server_config: Arc<ServerConfig>,
}

impl TlsIdentity {
    pub(crate) fn load(source: &CertSource) -> Result<Self, SimError> {
        let (chain, key) = match source {
            CertSource::SelfSigned { subject_alt_names } => self_signed(subject_alt_names)?,
            CertSource::PemFiles { cert, key } => parse_pem(&read_file(cert)?, &read_file(key)?)?,
            CertSource::Pem { cert_pem, key_pem } => {
                parse_pem(cert_pem.as_bytes(), key_pem.as_bytes())?
            }
        };
        let leaf = chain.first().ok_or_else(|| SimError::Pem {
            what: "certificate".to_owned(),
            reason: "no CERTIFICATE block found".to_owned(),
        })?;
        let cert_der = leaf.as_ref().to_vec();
        let cert_pem = der_to_pem(&cert_der);
        let fingerprint = fingerprint_of(&cert_der);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        // The device's admin console speaks HTTP/1.1; offering h2 would test a path it lacks.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            cert_der,
            cert_pem,
            fingerprint,
            server_config: Arc::new(config),
        })
    }
}

type Chain = Vec<CertificateDer<'static>>;

fn self_signed(names: &[String]) -> Result<(Chain, PrivateKeyDer<'static>), SimError> {
    let certified = rcgen::generate_simple_self_signed(names.to_vec())?;
    let key = PrivateKeyDer::try_from(certified.key_pair.serialize_der()).map_err(|reason| {
        SimError::Pem {
            what: "generated private key".to_owned(),
            reason: reason.to_owned(),
        }
    })?;
    Ok((vec![certified.cert.der().clone()], key))
}

fn read_file(path: &Path) -> Result<Vec<u8>, SimError> {
    std::fs::read(path).map_err(|source| SimError::ReadFile {
        path: path.to_owned(),
        source,
    })
}

fn parse_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<(Chain, PrivateKeyDer<'static>), SimError> {
    let pem_error = |what: &str, err: rustls_pki_types::pem::Error| SimError::Pem {
        what: what.to_owned(),
        reason: err.to_string(),
    };
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Chain, _>>()
        .map_err(|err| pem_error("certificate", err))?;
    let key =
        PrivateKeyDer::from_pem_slice(key_pem).map_err(|err| pem_error("private key", err))?;
    Ok((chain, key))
}

/// SHA-256 of a DER certificate as lowercase hex pairs joined by colons (`ab:cd:…`), the form
/// the panel's pin setting uses.
pub fn fingerprint_of(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn der_to_pem(der: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in encoded.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_identity_round_trips_through_its_own_pem() {
        let identity = TlsIdentity::load(&CertSource::default()).expect("generate");
        assert_eq!(identity.fingerprint.len(), 32 * 3 - 1);
        let reparsed = CertificateDer::from_pem_slice(identity.cert_pem.as_bytes()).expect("pem");
        assert_eq!(reparsed.as_ref(), identity.cert_der.as_slice());
    }

    #[test]
    fn a_garbage_key_is_a_typed_error() {
        let identity = TlsIdentity::load(&CertSource::default()).expect("generate");
        let source = CertSource::Pem {
            cert_pem: identity.cert_pem,
            key_pem: "not a key".to_owned(),
        };
        assert!(matches!(
            TlsIdentity::load(&source),
            Err(SimError::Pem { .. })
        ));
    }
}
