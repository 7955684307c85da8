//! How a [`crate::TestApp`] is set up: the simulated device, and the panel's configuration
//! for it (TLS mode, proxy, timeouts, auth mode, base path, web files).

use std::sync::Arc;
use std::time::Duration;

use lem_panel::config::{Config, DeviceTimeouts};
use lem_sim::SimConfig;
use serde_json::Value;
use shared::api::AuthMode;

use crate::fixtures::CANARY_TOKEN;

/// How the panel checks the simulator's certificate (`tls` in `[[devices]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceTls {
    /// `tls = "pin"` with the simulator's real fingerprint (the default).
    Pin,
    /// `tls = "pin"` with this fingerprint instead (e.g. a wrong one).
    PinFingerprint(String),
    /// `tls = "ca"` with the simulator's certificate written to a PEM file.
    CaFile,
    /// `tls = "system"`: system roots only (the self-signed simulator is not trusted).
    System,
    /// `tls = "insecure"`: no verification.
    Insecure,
}

type SimTweak = Arc<dyn Fn(SimConfig) -> SimConfig + Send + Sync>;
type ConfigTweak = Arc<dyn Fn(&mut Config) + Send + Sync>;

/// Everything a test may change before [`crate::TestApp::start`]. Build it with
/// [`crate::TestApp::builder`] and the chained setters.
#[derive(Clone)]
pub struct TestAppOptions {
    pub(crate) sim_token: String,
    pub(crate) panel_token: String,
    pub(crate) auth_mode: AuthMode,
    pub(crate) rows: Option<Vec<Value>>,
    pub(crate) latency: Duration,
    pub(crate) sim_tweak: Option<SimTweak>,
    pub(crate) device_id: String,
    pub(crate) device_url: Option<String>,
    pub(crate) tls: DeviceTls,
    pub(crate) proxy: String,
    pub(crate) proxy_env: Option<Vec<(String, String)>>,
    pub(crate) timeouts: DeviceTimeouts,
    pub(crate) base_path: String,
    pub(crate) web_files: Option<Vec<(String, Vec<u8>)>>,
    pub(crate) config_tweak: Option<ConfigTweak>,
}

impl std::fmt::Debug for TestAppOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestAppOptions")
            .field("device_id", &self.device_id)
            .field("tls", &self.tls)
            .field("proxy", &self.proxy)
            .field("base_path", &self.base_path)
            .finish_non_exhaustive()
    }
}

impl Default for TestAppOptions {
    fn default() -> Self {
        Self {
            sim_token: CANARY_TOKEN.to_owned(),
            panel_token: CANARY_TOKEN.to_owned(),
            auth_mode: AuthMode::Basic,
            rows: None,
            latency: Duration::ZERO,
            sim_tweak: None,
            device_id: "edge-1".to_owned(),
            device_url: None,
            tls: DeviceTls::Pin,
            proxy: "none".to_owned(),
            proxy_env: None,
            timeouts: DeviceTimeouts::default(),
            base_path: "/".to_owned(),
            web_files: None,
            config_tweak: None,
        }
    }
}

impl TestAppOptions {
    /// The token the simulator accepts (default: the canary). Different from
    /// [`TestAppOptions::panel_token`] means "the device revoked the panel's token".
    #[must_use]
    pub fn sim_token(mut self, token: impl Into<String>) -> Self {
        self.sim_token = token.into();
        self
    }

    /// The token the panel is configured with (default: the canary).
    #[must_use]
    pub fn panel_token(mut self, token: impl Into<String>) -> Self {
        self.panel_token = token.into();
        self
    }

    /// The device auth mode, on both sides (simulator and panel).
    #[must_use]
    pub fn auth_mode(mut self, mode: AuthMode) -> Self {
        self.auth_mode = mode;
        self
    }

    /// The simulator's initial list rows (default: the 38-row fixture).
    #[must_use]
    pub fn rows(mut self, rows: Vec<Value>) -> Self {
        self.rows = Some(rows);
        self
    }

    /// Latency the simulator adds before handling and again before answering each request.
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Any other simulator setting (faults, catalog, info, read-only tokens, stalled TLS…).
    #[must_use]
    pub fn sim(mut self, tweak: impl Fn(SimConfig) -> SimConfig + Send + Sync + 'static) -> Self {
        self.sim_tweak = Some(Arc::new(tweak));
        self
    }

    /// The device id in the panel configuration (default `edge-1`). A unique id lets a test
    /// find its own lines in the shared log capture.
    #[must_use]
    pub fn device_id(mut self, id: impl Into<String>) -> Self {
        self.device_id = id.into();
        self
    }

    /// Point the device at this URL instead of the simulator (e.g. a closed port). TLS
    /// settings still use the simulator's certificate.
    #[must_use]
    pub fn device_url(mut self, url: impl Into<String>) -> Self {
        self.device_url = Some(url.into());
        self
    }

    /// How the panel checks the simulator's certificate (default: pinned).
    #[must_use]
    pub fn tls(mut self, tls: DeviceTls) -> Self {
        self.tls = tls;
        self
    }

    /// The device's `proxy` setting: `none` (default), `system` or a proxy URL.
    #[must_use]
    pub fn device_proxy(mut self, proxy: impl Into<String>) -> Self {
        self.proxy = proxy.into();
        self
    }

    /// The environment the device client reads proxy variables from (`HTTPS_PROXY`,
    /// `NO_PROXY`, …) when `proxy = "system"`, instead of the real process environment.
    #[must_use]
    pub fn proxy_env(mut self, vars: &[(&str, &str)]) -> Self {
        self.proxy_env = Some(
            vars.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        self
    }

    /// Per-operation device time limits, in seconds.
    #[must_use]
    pub fn device_timeouts(mut self, timeouts: DeviceTimeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The panel's base path (default `/`), e.g. `/registry`.
    #[must_use]
    pub fn base_path(mut self, base: impl Into<String>) -> Self {
        self.base_path = base.into();
        self
    }

    /// Serve the web app from a directory holding exactly these files (name, content) instead
    /// of the embedded build. `index.html` may use `/__LEM_BASE__/` for the base path.
    #[must_use]
    pub fn web_files(mut self, files: &[(&str, &[u8])]) -> Self {
        self.web_files = Some(
            files
                .iter()
                .map(|(name, bytes)| ((*name).to_owned(), bytes.to_vec()))
                .collect(),
        );
        self
    }

    /// Any other panel setting (limits, sessions, login throttling…), applied last.
    #[must_use]
    pub fn config(mut self, tweak: impl Fn(&mut Config) + Send + Sync + 'static) -> Self {
        self.config_tweak = Some(Arc::new(tweak));
        self
    }

    /// Starts the simulator and the panel with these options.
    pub async fn start(self) -> crate::TestApp {
        crate::TestApp::start_with(self).await
    }
}

/// Short device timeouts for fault tests: `connect` and `list`/`info`/`delete` in seconds,
/// pull a little longer.
pub fn short_timeouts(seconds: u64) -> DeviceTimeouts {
    DeviceTimeouts {
        connect: seconds,
        list: seconds,
        info: seconds,
        delete: seconds,
        pull: seconds.saturating_mul(2),
    }
}
