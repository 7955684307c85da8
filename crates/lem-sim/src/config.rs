//! How a simulator is set up before it starts: listen address, credentials, data, speed, TLS.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::catalog::{CatalogImage, builtin_catalog};
use crate::faults::{Fault, Op};
use crate::rows::fixture_rows;

/// Which header carries the API token. The device accepts exactly one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// `Authorization: Basic base64("<token>:")`: user name = token, empty password (the
    /// registry page's wording).
    #[default]
    Basic,
    /// `X-AuthToken: <token>` (what the vendor's other docs and clients send).
    XAuthToken,
}

/// Where the server certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// A fresh self-signed certificate with these subject alt names (IP addresses become IP SANs).
    SelfSigned {
        /// DNS names and IP addresses the certificate is valid for.
        subject_alt_names: Vec<String>,
    },
    /// A certificate chain and private key read from PEM files.
    PemFiles {
        /// PEM file with the certificate (chain), leaf first.
        cert: PathBuf,
        /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
    /// A certificate chain and private key given as PEM text.
    Pem {
        /// PEM text with the certificate (chain), leaf first.
        cert_pem: String,
        /// PEM text with the private key.
        key_pem: String,
    },
}

impl Default for CertSource {
    fn default() -> Self {
        CertSource::SelfSigned {
            subject_alt_names: default_subject_alt_names(),
        }
    }
}

/// The names a real device's certificate might carry, plus the loopback ones tests connect to.
pub fn default_subject_alt_names() -> Vec<String> {
    [
        "lem-edge.example.local",
        "localhost",
        "127.0.0.1",
        "10.20.0.5",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The info answer of a healthy device, as on the vendor's page.
pub fn default_info() -> Value {
    json!({"state": true, "authState": true, "proxyState": true, "proxyUser": null})
}

/// Default pull speed: fast enough that tests never wait noticeably (2 GiB/s).
pub const DEFAULT_PULL_BYTES_PER_SEC: u64 = 2 * 1024 * 1024 * 1024;

/// Everything a simulator starts with. Build it with [`SimConfig::new`] and the chained setters.
#[derive(Clone)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free port (default `127.0.0.1:0`).
    pub listen: SocketAddr,
    /// The administrator token every operation accepts.
    pub token: String,
    /// Which header carries the token.
    pub auth_mode: AuthMode,
    /// Tokens that may list and read info but get 403 for pull and delete.
    pub read_only_tokens: Vec<String>,
    /// Initial list rows, served verbatim (default: the built-in fixture).
    pub rows: Vec<Value>,
    /// Images that a pull can copy (default: [`builtin_catalog`]).
    pub catalog: Vec<CatalogImage>,
    /// Simulated pull speed in bytes per second; 0 makes pulls instant.
    pub pull_bytes_per_sec: u64,
    /// Added to every request twice: before handling it and before answering.
    pub latency: Duration,
    /// Where the server certificate comes from.
    pub cert: CertSource,
    /// Also write the certificate PEM here at start.
    pub write_cert_pem: Option<PathBuf>,
    /// Faults active from the start.
    pub faults: Vec<(Op, Fault)>,
    /// The info answer.
    pub info: Value,
    /// How many recent requests are remembered for inspection.
    pub request_log_limit: usize,
    /// Start with TLS stalled: connections are accepted but never get a handshake.
    pub tls_stalled: bool,
}

impl SimConfig {
    /// Defaults with this administrator token: `127.0.0.1:0`, Basic auth, the fixture rows, the
    /// built-in catalog, 2 GiB/s pulls, no latency, a fresh self-signed certificate.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            token: token.into(),
            auth_mode: AuthMode::Basic,
            read_only_tokens: Vec::new(),
            rows: fixture_rows(),
            catalog: builtin_catalog(),
            pull_bytes_per_sec: DEFAULT_PULL_BYTES_PER_SEC,
            latency: Duration::ZERO,
            cert: CertSource::default(),
            write_cert_pem: None,
            faults: Vec::new(),
            info: default_info(),
            request_log_limit: 1000,
            tls_stalled: false,
        }
    }

    /// Sets the listen address.
    #[must_use]
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Sets which header carries the token.
    #[must_use]
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.auth_mode = mode;
        self
    }

    /// Adds a token that may only list and read info.
    #[must_use]
    pub fn read_only_token(mut self, token: impl Into<String>) -> Self {
        self.read_only_tokens.push(token.into());
        self
    }

    /// Replaces the initial rows.
    #[must_use]
    pub fn rows(mut self, rows: Vec<Value>) -> Self {
        self.rows = rows;
        self
    }

    /// Replaces the pull catalog.
    #[must_use]
    pub fn catalog(mut self, catalog: Vec<CatalogImage>) -> Self {
        self.catalog = catalog;
        self
    }

    /// Sets the pull speed in bytes per second (0 = instant).
    #[must_use]
    pub fn pull_bytes_per_sec(mut self, speed: u64) -> Self {
        self.pull_bytes_per_sec = speed;
        self
    }

    /// Sets the latency added before handling and again before answering each request.
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Sets where the certificate comes from.
    #[must_use]
    pub fn cert(mut self, source: CertSource) -> Self {
        self.cert = source;
        self
    }

    /// Writes the certificate PEM to this path at start.
    #[must_use]
    pub fn write_cert_pem(mut self, path: impl Into<PathBuf>) -> Self {
        self.write_cert_pem = Some(path.into());
        self
    }

    /// Adds a fault active from the start.
    #[must_use]
    pub fn fault(mut self, op: Op, fault: Fault) -> Self {
        self.faults.push((op, fault));
        self
    }

    /// Replaces the info answer.
    #[must_use]
    pub fn info(mut self, info: Value) -> Self {
        self.info = info;
        self
    }

    /// Sets how many recent requests are remembered (0 remembers none).
    #[must_use]
    pub fn request_log_limit(mut self, limit: usize) -> Self {
        self.request_log_limit = limit;
        self
    }

    /// Starts with TLS stalled (see [`crate::SimState::set_tls_stalled`]).
    #[must_use]
    pub fn tls_stalled(mut self, stalled: bool) -> Self {
        self.tls_stalled = stalled;
        self
    }
}

impl Default for SimConfig {
    /// The defaults of [`SimConfig::new`] with the token `lem-sim-token`.
    fn default() -> Self {
        Self::new("lem-sim-token")
    }
}

/// Tokens are secrets even in a simulator: logs and panics must not show them.
impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("listen", &self.listen)
            .field("token", &"<redacted>")
            .field("auth_mode", &self.auth_mode)
            .field("read_only_tokens", &self.read_only_tokens.len())
            .field("rows", &self.rows.len())
            .field("catalog", &self.catalog.len())
            .field("pull_bytes_per_sec", &self.pull_bytes_per_sec)
            .field("latency", &self.latency)
            .field("cert", &self.cert)
            .field("write_cert_pem", &self.write_cert_pem)
            .field("faults", &self.faults)
            .field("info", &self.info)
            .field("request_log_limit", &self.request_log_limit)
            .field("tls_stalled", &self.tls_stalled)
            .finish()
    }
}
