//! Helpers shared by the conformance tests: simulators on port 0, client configurations, the
//! case fixtures, closed ports and a tracing capture.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::Duration;

use lem_client::{
    AuthMode, DeviceClient, DeviceConfig, DeviceError, ProxySetting, PullRequest, RegistryApi,
    SecretString, Timeouts, TlsPolicy, parse_fingerprint,
};
use lem_sim::{Fault, FaultKind, SimConfig, Simulator};
use serde_json::{Value, json};
use tracing_subscriber::util::SubscriberInitExt;
use url::Url;

/// The administrator token every simulator accepts unless a test says otherwise.
pub const TOKEN: &str = "conformance-admin-token";
/// A token that may list and read info but not pull or delete.
pub const READ_ONLY: &str = "conformance-read-only-token";

/// `D1` of the cases file.
pub const D1: &str = "sha256:c50f2833761e7c5a151a2c2fd72bdf64a8ee52de35016ae4141af24f1dc655f4";
/// `D2` of the cases file.
pub const D2: &str = "sha256:1d34d73bc040a8adf1f66d8548e2ea9f41c5327e863cd1818006638c7bcfdc03";
/// `D512` of the cases file.
pub const D512: &str = "sha512:fa045f7322fc68501dff8b3157c5a6ba52a2fde177340d5514f8467008cd25918b30a62bebff8cb6e5de9e592806d390ff44207e31270e2b4c20f88be39eac70";

/// A fault that answers exactly this status, content type and body, every time.
pub fn raw(status: u16, content_type: &str, body: &'static str) -> Fault {
    Fault::always(FaultKind::Raw {
        status,
        content_type: Some(content_type.to_owned()),
        body: bytes::Bytes::from_static(body.as_bytes()),
    })
}

/// The documented paths, without base.
pub const LIST_PATH: &str = "/admin/v1/registry/image";
pub const PULL_PATH: &str = "/admin/v1/registry/image/upload-remote";
pub const DELETE_PATH: &str = "/admin/v1/registry/image/";
pub const INFO_PATH: &str = "/admin/v1/registry/info";

/// Both auth modes, as (client setting, simulator setting).
pub const AUTH_MODES: [(AuthMode, lem_sim::AuthMode); 2] = [
    (AuthMode::Basic, lem_sim::AuthMode::Basic),
    (AuthMode::XAuthToken, lem_sim::AuthMode::XAuthToken),
];

/// A list row in the cases file's shape.
pub fn row(name: &str, tag: &str, digest: &str) -> Value {
    json!({"name": name, "tag": tag, "digest": digest, "timestamp": 1_700_000_000_000_u64, "size": 52_428_800})
}

/// The rows of BC-01: two tags sharing D1, one on D2, and the same digest under another name.
pub fn bc01_rows() -> Vec<Value> {
    vec![
        row("line1/hmi", "1.4.0", D1),
        row("line1/hmi", "latest", D1),
        row("line1/hmi", "1.3.9", D2),
        row("line2/hmi", "1.4.0", D1),
    ]
}

/// The vendor page's pull example (`python:3.9` from Docker Hub), which the simulator's catalog holds.
pub fn python_pull() -> PullRequest {
    PullRequest {
        external_url: "docker.io".into(),
        external_name: "python".into(),
        external_tag: "3.9".into(),
        internal_name: "python".into(),
        internal_tag: "3.9".into(),
    }
}

/// A simulator with the conformance tokens and the BC-01 rows.
pub async fn start_sim(mode: lem_sim::AuthMode) -> Simulator {
    start(sim_config(mode)).await
}

/// The default simulator configuration of these tests.
pub fn sim_config(mode: lem_sim::AuthMode) -> SimConfig {
    SimConfig::new(TOKEN)
        .auth_mode(mode)
        .read_only_token(READ_ONLY)
        .rows(bc01_rows())
}

/// Starts a simulator (bound to port 0 before this returns).
pub async fn start(config: SimConfig) -> Simulator {
    Simulator::start(config)
        .await
        .expect("the simulator starts")
}

/// The simulator's certificate as a pin.
pub fn pin(sim: &Simulator) -> TlsPolicy {
    TlsPolicy::Pin {
        sha256: parse_fingerprint(sim.fingerprint()).expect("the simulator's fingerprint parses"),
    }
}

/// A configuration for `base` (pinned to `sim`), no proxy, default timeouts.
pub fn config_at(sim: &Simulator, base: &str, auth: AuthMode) -> DeviceConfig {
    let mut config = DeviceConfig::new(
        "sim",
        Url::parse(base).expect("a valid base URL"),
        SecretString::from(TOKEN),
        pin(sim),
    );
    config.auth = auth;
    config.proxy = ProxySetting::None;
    config
}

/// A configuration for the simulator's own URL.
pub fn config(sim: &Simulator, auth: AuthMode) -> DeviceConfig {
    config_at(sim, &sim.url(), auth)
}

/// Builds a client that ignores the process environment.
pub fn client(config: DeviceConfig) -> DeviceClient {
    DeviceClient::with_env(config, |_| None).expect("the client builds")
}

/// Timeouts short enough for tests: `connect` for the connection, `call` for every operation.
pub fn short_timeouts(connect: Duration, call: Duration) -> Timeouts {
    Timeouts {
        connect,
        list: call,
        info: call,
        delete: call,
        pull: call,
    }
}

/// The four operations, run once each in the documented order, with their results as text
/// (`Ok(value Debug)` or the error itself).
pub async fn run_all(client: &DeviceClient) -> Vec<Result<String, DeviceError>> {
    vec![
        client.list_images().await.map(|v| format!("{v:?}")),
        client
            .pull_image(&python_pull())
            .await
            .map(|v| format!("{v:?}")),
        client
            .delete_image("line1/hmi", D1)
            .await
            .map(|v| format!("{v:?}")),
        client.registry_info().await.map(|v| format!("{v:?}")),
    ]
}

/// A local port that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address").port()
}

/// `https://127.0.0.1:<port>` for a bare listener.
pub fn https_url(addr: SocketAddr) -> String {
    format!("https://{addr}")
}

/// Everything a tracing subscriber wrote, shared with the subscriber's writer.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// The text written so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// A subscriber that writes every event at TRACE level (spans included) into this capture.
    /// `log` records (reqwest, rustls) reach it too, through the bridge [`install_log_bridge`]
    /// installs.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        install_log_bridge();
        let sink = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish()
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Routes `log` records into tracing (to whichever subscriber is current on the thread that
/// logs) by installing a silent global subscriber together with the `log` bridge, once.
/// Tests capture with thread-local subscribers, so parallel tests never see each other's output.
pub fn install_log_bridge() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only if something else set a global subscriber first; then `log` records are
        // simply not bridged, and the tests that need them say so.
        let _ = tracing_subscriber::registry().try_init();
    });
}
