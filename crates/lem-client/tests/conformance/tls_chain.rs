//! Certificates issued by a CA in the `ca` file: a valid one is trusted, an expired one or one
//! for another host name is refused with its own failure kind; a pin ignores both.

use std::io::Write;

use lem_client::{AuthMode, DeviceError, RegistryApi, TlsFailure, TlsPolicy};
use lem_sim::{CertSource, Simulator};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, date_time_ymd};
use tempfile::NamedTempFile;

use crate::common::*;

/// A private CA as PEM, and a function issuing leaf certificates from it.
struct TestCa {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl TestCa {
    fn new() -> Self {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "lem-panel test CA");
        let cert = params.self_signed(&key).expect("CA certificate");
        Self { cert, key }
    }

    /// The simulator identity for a leaf with these names, optionally long expired.
    fn issue(&self, names: &[&str], expired: bool) -> CertSource {
        let key = KeyPair::generate().expect("leaf key");
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, "lem-edge.example.local");
        if expired {
            params.not_before = date_time_ymd(2000, 1, 1);
            params.not_after = date_time_ymd(2001, 1, 1);
        }
        let leaf = params.signed_by(&key, &self.cert, &self.key).expect("leaf");
        CertSource::Pem {
            cert_pem: format!("{}{}", leaf.pem(), self.cert.pem()),
            key_pem: key.serialize_pem(),
        }
    }

    fn pem_file(&self) -> NamedTempFile {
        let mut file = NamedTempFile::new().expect("temp file");
        file.write_all(self.cert.pem().as_bytes()).expect("write");
        file
    }
}

async fn sim_with(cert: CertSource) -> Simulator {
    start(sim_config(lem_sim::AuthMode::Basic).cert(cert)).await
}

fn ca_client(sim: &Simulator, ca: &NamedTempFile) -> lem_client::DeviceClient {
    let mut config = config(sim, AuthMode::Basic);
    config.tls = TlsPolicy::Ca {
        pem_file: ca.path().to_owned(),
    };
    client(config)
}

async fn assert_refused(sim: &Simulator, client: &lem_client::DeviceClient, kind: TlsFailure) {
    let error = client.list_images().await.expect_err("refused");
    assert_eq!(
        error,
        DeviceError::Tls {
            endpoint: sim.addr().to_string(),
            kind,
            presented_sha256: Some(sim.fingerprint().to_owned()),
        }
    );
    assert!(!error.outcome_unknown());
    assert_eq!(sim.state().counters().requests, 0);
}

#[tokio::test]
async fn a_device_certificate_issued_by_the_ca_in_the_ca_file_is_trusted() {
    let ca = TestCa::new();
    let sim = sim_with(ca.issue(&["127.0.0.1", "lem-edge.example.local"], false)).await;
    let file = ca.pem_file();
    for result in run_all(&ca_client(&sim, &file)).await {
        result.expect("a CA-issued certificate for the right name works");
    }
}

#[tokio::test]
async fn a_ca_issued_certificate_for_another_host_name_is_a_name_mismatch() {
    let ca = TestCa::new();
    let sim = sim_with(ca.issue(&["other.example.local"], false)).await;
    let file = ca.pem_file();
    let client = ca_client(&sim, &file);
    assert_refused(&sim, &client, TlsFailure::NameMismatch).await;
    let error = client.list_images().await.expect_err("refused");
    assert!(error.to_string().contains("host name"), "{error}");
}

#[tokio::test]
async fn an_expired_ca_issued_certificate_is_refused_as_expired() {
    let ca = TestCa::new();
    let sim = sim_with(ca.issue(&["127.0.0.1"], true)).await;
    let file = ca.pem_file();
    let client = ca_client(&sim, &file);
    assert_refused(&sim, &client, TlsFailure::Expired).await;
    let error = client.list_images().await.expect_err("refused");
    assert!(error.to_string().contains("expired"), "{error}");
}

#[tokio::test]
async fn a_pin_identifies_the_device_whatever_its_names_or_issuer() {
    let ca = TestCa::new();
    let sim = sim_with(ca.issue(&["other.example.local"], false)).await;
    let client = client(config(&sim, AuthMode::Basic));
    for result in run_all(&client).await {
        result.expect("the pin matches, the host name does not matter");
    }
}
