//! `lem-sim`: run the LEM registry API simulator from the command line until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use lem_sim::{
    AuthMode, CertSource, DEFAULT_PULL_BYTES_PER_SEC, SimConfig, SimError, Simulator,
    parse_fault_spec, parse_rows, synthetic_rows,
};

/// Simulates a Litmus Edge Manager device's registry API over HTTPS.
#[derive(Debug, Parser)]
#[command(name = "lem-sim", version, about)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8446")]
    listen: SocketAddr,
    /// The administrator API token.
    #[arg(long, env = "LEM_SIM_TOKEN", hide_env_values = true)]
    token: String,
    /// Which header carries the token.
    #[arg(long, value_enum, default_value_t = AuthArg::Basic)]
    auth: AuthArg,
    /// A token that may list and read info but not pull or delete (repeatable).
    #[arg(long = "read-only-token", value_name = "T")]
    read_only_tokens: Vec<String>,
    /// JSON array in the device's list format to start with (default: the built-in fixture).
    #[arg(long, value_name = "FILE", conflicts_with = "synthetic")]
    fixture: Option<PathBuf>,
    /// Start with N generated rows instead of the fixture.
    #[arg(long, value_name = "N")]
    synthetic: Option<usize>,
    /// PEM certificate (chain) to serve instead of a generated one.
    #[arg(long, value_name = "FILE", requires = "key_file")]
    cert_file: Option<PathBuf>,
    /// PEM private key for --cert-file.
    #[arg(long, value_name = "FILE", requires = "cert_file")]
    key_file: Option<PathBuf>,
    /// Write the certificate PEM here (to trust or pin it in a client).
    #[arg(long, value_name = "PATH")]
    write_cert: Option<PathBuf>,
    /// Latency added before handling and again before answering each request.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
    /// Simulated pull speed (0 = instant).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_PULL_BYTES_PER_SEC)]
    pull_bytes_per_sec: u64,
    /// OP=KIND[:ARG][@N], e.g. list=hang, delete=status:405, pull=refuse@1 (repeatable).
    ///
    /// OP: list, pull, delete, info. KIND: latency:MS, hang, hang-after, status:CODE, truncated,
    /// error-envelope[:MESSAGE], wrong-content-type, oversize:BYTES, drip:MS, drip-all:MS,
    /// refuse (alias drop-before), drop-after, raw:STATUS[:CONTENT-TYPE[:BODY]]. @N: next N
    /// calls only.
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<String>,
    /// Accept TCP connections but never start the TLS handshake (a device hung at the socket level).
    #[arg(long)]
    stall_tls: bool,
    /// Subject alt name of the generated certificate (repeatable; replaces the defaults).
    #[arg(long = "san", value_name = "NAME")]
    sans: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AuthArg {
    /// `Authorization: Basic base64("<token>:")`.
    Basic,
    /// `X-AuthToken: <token>`.
    XAuthToken,
}

impl Cli {
    fn into_config(self) -> Result<SimConfig, SimError> {
        let rows = match (&self.fixture, self.synthetic) {
            (Some(path), _) => {
                let text = std::fs::read_to_string(path).map_err(|source| SimError::ReadFile {
                    path: path.clone(),
                    source,
                })?;
                parse_rows(&text)?
            }
            (None, Some(n)) => synthetic_rows(n),
            (None, None) => lem_sim::fixture_rows(),
        };
        let cert = match (self.cert_file, self.key_file) {
            (Some(cert), Some(key)) => CertSource::PemFiles { cert, key },
            _ if self.sans.is_empty() => CertSource::default(),
            _ => CertSource::SelfSigned {
                subject_alt_names: self.sans,
            },
        };
        let mut config = SimConfig::new(self.token)
            .listen(self.listen)
            .auth_mode(match self.auth {
                AuthArg::Basic => AuthMode::Basic,
                AuthArg::XAuthToken => AuthMode::XAuthToken,
            })
            .rows(rows)
            .cert(cert)
            .latency(Duration::from_millis(self.latency_ms))
            .pull_bytes_per_sec(self.pull_bytes_per_sec)
            .tls_stalled(self.stall_tls);
        config.read_only_tokens = self.read_only_tokens;
        config.write_cert_pem = self.write_cert;
        for spec in &self.faults {
            let (op, fault) = parse_fault_spec(spec)?;
            config = config.fault(op, fault);
        }
        Ok(config)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let started = match Cli::parse().into_config() {
        Ok(config) => Simulator::start(config).await,
        Err(err) => Err(err),
    };
    let simulator = match started {
        Ok(simulator) => simulator,
        Err(err) => {
            eprintln!("lem-sim: {err}");
            return ExitCode::FAILURE;
        }
    };
    // Scripts read these two lines to learn the port and the pin.
    println!("lem-sim listening on {}", simulator.url());
    println!(
        "lem-sim certificate sha256 fingerprint {}",
        simulator.fingerprint()
    );
    wait_for_signal().await;
    simulator.shutdown().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
                return;
            }
            Err(err) => tracing::warn!(error = %err, "cannot listen for SIGTERM; Ctrl-C only"),
        }
    }
    if let Err(err) = tokio::signal::ctrl_c().await {
        tracing::warn!(error = %err, "cannot listen for Ctrl-C; running until killed");
        std::future::pending::<()>().await;
    }
}
