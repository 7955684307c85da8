//! `lem-sim`: a faithful simulator of the Litmus Edge Manager device's registry HTTP API
//! (`/admin/v1/registry/...`) over HTTPS, with fault injection and counters for tests.
//!
//! Start one in-process on port 0 with [`Simulator::start`], point a client at
//! [`Simulator::url`], pin [`Simulator::fingerprint`], and steer it at run time through
//! [`Simulator::state`] (rows, catalog, faults, latency, counters, recorded requests).
//!
//! ```no_run
//! use lem_sim::{AuthMode, Fault, FaultKind, Op, SimConfig, Simulator};
//!
//! # async fn example() -> Result<(), lem_sim::SimError> {
//! let sim = Simulator::start(SimConfig::new("token").auth_mode(AuthMode::XAuthToken)).await?;
//! let base_url = sim.url(); // https://127.0.0.1:PORT
//! let pin = sim.fingerprint().to_owned(); // ab:cd:...
//! sim.state().set_fault(Op::Pull, Fault::once(FaultKind::DropAfterApply));
//! // ... run the client under test against `base_url`, pinned to `pin` ...
//! assert_eq!(sim.state().calls(Op::Pull), 0);
//! sim.shutdown().await;
//! # let _ = (base_url, pin);
//! # Ok(())
//! # }
//! ```

mod answer;
mod auth;
mod catalog;
mod config;
mod error;
mod faults;
mod handlers;
mod rows;
mod server;
mod service;
mod state;
mod stats;
mod tls;
mod validate;

use std::net::SocketAddr;
use std::path::Path;

use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use catalog::{CatalogImage, builtin_catalog};
pub use config::{
    AuthMode, CertSource, DEFAULT_PULL_BYTES_PER_SEC, SimConfig, default_info,
    default_subject_alt_names,
};
pub use error::SimError;
pub use faults::{Fault, FaultKind, Op, parse_fault_spec};
pub use rows::{fixture_rows, parse_rows, synthetic_rows};
pub use state::SimState;
pub use stats::{Counters, RecordedRequest};
pub use tls::fingerprint_of;

use server::Server;
use tls::TlsIdentity;

/// A running simulator. Dropping it stops the server; [`Simulator::shutdown`] also waits.
#[derive(Debug)]
pub struct Simulator {
    addr: SocketAddr,
    state: SimState,
    cert_der: Vec<u8>,
    cert_pem: String,
    fingerprint: String,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl Simulator {
    /// Prepares the certificate, binds the listen address and starts serving. When this
    /// returns, connections to [`Simulator::addr`] are already accepted. Needs a Tokio runtime.
    pub async fn start(config: SimConfig) -> Result<Self, SimError> {
        let identity = TlsIdentity::load(&config.cert)?;
        if let Some(path) = &config.write_cert_pem {
            write_pem(path, &identity.cert_pem)?;
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
        let state = SimState::new(&config);
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let server = Server {
            acceptor: TlsAcceptor::from(identity.server_config),
            state: state.clone(),
            cancel: cancel.clone(),
            tracker: tracker.clone(),
        };
        tracker.spawn(server.accept_loop(listener));
        tracing::info!(%addr, auth = ?config.auth_mode, "lem-sim started");
        Ok(Self {
            addr,
            state,
            cert_der: identity.cert_der,
            cert_pem: identity.cert_pem,
            fingerprint: identity.fingerprint,
            cancel,
            tracker,
        })
    }

    /// The bound address (with the real port when port 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL a client configures, e.g. `https://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// SHA-256 of the DER certificate, lowercase hex pairs joined by colons.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The server certificate as PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The server certificate as DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The live state: rows, catalog, faults, latency, counters and recorded requests.
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Stops accepting, closes every connection (hung ones included) and waits for that.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn write_pem(path: &Path, pem: &str) -> Result<(), SimError> {
    std::fs::write(path, pem).map_err(|source| SimError::WriteCertificate {
        path: path.to_owned(),
        source,
    })
}
