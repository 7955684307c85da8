//! [`TestApp`]: a simulated device and a panel configured for it, each test its own pair.

use std::net::SocketAddr;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use lem_client::SecretString;
use lem_panel::config::{Config, DeviceSettings};
use lem_panel::state::AppState;
use lem_sim::{SimConfig, SimState, Simulator};
use shared::api::{AuthMode, TlsMode};
use tempfile::TempDir;

use crate::client::{PanelClient, Target, Transcript, http_client};
use crate::options::{DeviceTls, TestAppOptions};
use crate::panel::{PanelInstance, PanelSetup};

/// A running simulator and a running panel whose one device is that simulator (over real
/// HTTPS), with a temporary database and the users `admin`, `operator` and `viewer`.
///
/// `TestApp` dereferences to its default [`PanelClient`], so `app.login_as("admin")` and
/// `app.images()` work directly; [`TestApp::new_client`] gives another, independent session.
pub struct TestApp {
    client: PanelClient,
    http: reqwest::Client,
    sim: Simulator,
    panel: Option<PanelInstance>,
    setup_config: Config,
    options: TestAppOptions,
    paths: Paths,
    transcript: Transcript,
    _dir: TempDir,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("panel", &self.client.panel_url())
            .field("sim", &self.sim.url())
            .finish_non_exhaustive()
    }
}

impl Deref for TestApp {
    type Target = PanelClient;

    fn deref(&self) -> &PanelClient {
        &self.client
    }
}

/// Where the panel keeps its files for one test app.
#[derive(Debug, Clone)]
struct Paths {
    dir: PathBuf,
    database: PathBuf,
}

fn sim_auth(mode: AuthMode) -> lem_sim::AuthMode {
    match mode {
        AuthMode::Basic => lem_sim::AuthMode::Basic,
        AuthMode::XAuthToken => lem_sim::AuthMode::XAuthToken,
    }
}

fn write_web_files(dir: &Path, files: &[(String, Vec<u8>)]) -> PathBuf {
    let web = dir.join("web");
    std::fs::create_dir_all(&web)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", web.display()));
    for (name, bytes) in files {
        let path = web.join(name);
        std::fs::write(&path, bytes)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
    web
}

fn device_settings(options: &TestAppOptions, sim: &Simulator, dir: &Path) -> DeviceSettings {
    let (tls, sha256, ca_file) = match &options.tls {
        DeviceTls::Pin => (TlsMode::Pin, Some(sim.fingerprint().to_owned()), None),
        DeviceTls::PinFingerprint(fp) => (TlsMode::Pin, Some(fp.clone()), None),
        DeviceTls::CaFile => {
            let path = dir.join("device-ca.pem");
            std::fs::write(&path, sim.cert_pem())
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            (TlsMode::Ca, None, Some(path))
        }
        DeviceTls::System => (TlsMode::System, None, None),
        DeviceTls::Insecure => (TlsMode::Insecure, None, None),
    };
    DeviceSettings {
        id: options.device_id.clone(),
        name: None,
        url: options.device_url.clone().unwrap_or_else(|| sim.url()),
        token: Some(SecretString::from(options.panel_token.clone())),
        token_file: None,
        auth: options.auth_mode,
        tls,
        sha256,
        ca_file,
        proxy: options.proxy.clone(),
        registry_host: None,
        max_response_mib: 64,
        timeouts: options.timeouts,
    }
}

impl TestApp {
    /// Options for a test app; finish with `.start().await`.
    pub fn builder() -> TestAppOptions {
        TestAppOptions::default()
    }

    /// A test app with the defaults: the 38-row fixture, Basic auth, pinned TLS, no proxy,
    /// default device timeouts, base path `/`, the embedded web app.
    pub async fn start() -> Self {
        Self::start_with(TestAppOptions::default()).await
    }

    pub(crate) async fn start_with(options: TestAppOptions) -> Self {
        crate::logs::install();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
        let mut sim_config = SimConfig::new(options.sim_token.clone())
            .auth_mode(sim_auth(options.auth_mode))
            .latency(options.latency);
        if let Some(rows) = &options.rows {
            sim_config = sim_config.rows(rows.clone());
        }
        if let Some(tweak) = &options.sim_tweak {
            sim_config = tweak(sim_config);
        }
        let sim = Simulator::start(sim_config)
            .await
            .unwrap_or_else(|e| panic!("the simulator did not start: {e}"));
        let paths = Paths {
            dir: dir.path().to_owned(),
            database: dir.path().join("panel.db"),
        };
        let mut config = Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_path: options.base_path.clone(),
            database: paths.database.clone(),
            web_dir: options
                .web_files
                .as_ref()
                .map(|files| write_web_files(dir.path(), files)),
            devices: vec![device_settings(&options, &sim, dir.path())],
            ..Config::default()
        };
        if let Some(tweak) = &options.config_tweak {
            tweak(&mut config);
        }
        config
            .validate()
            .unwrap_or_else(|e| panic!("the test configuration is invalid: {e}"));
        let http = http_client();
        let transcript = Transcript::default();
        let target = Target {
            origin: Arc::new(RwLock::new(String::new())),
            base: config.base_with_slash(),
            device: options.device_id.clone(),
        };
        let client = PanelClient::new(http.clone(), target, transcript.clone());
        let mut app = Self {
            client,
            http,
            sim,
            panel: None,
            setup_config: config,
            options,
            paths,
            transcript,
            _dir: dir,
        };
        app.start_panel().await;
        app
    }

    /// Starts the panel (again) on the same configuration and database file. Panics if it is
    /// already running or does not start; see [`TestApp::try_start_panel`].
    pub async fn start_panel(&mut self) {
        if let Err(e) = self.try_start_panel().await {
            panic!("{e}");
        }
    }

    /// Starts the panel (again) on the same configuration and database file.
    pub async fn try_start_panel(&mut self) -> Result<(), String> {
        assert!(self.panel.is_none(), "the panel is already running");
        let setup = PanelSetup {
            config: self.setup_config.clone(),
            config_dir: self.paths.dir.clone(),
            proxy_env: self.options.proxy_env.clone(),
        };
        let panel = PanelInstance::start(setup).await?;
        *self
            .client
            .target
            .origin
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = format!("http://{}", panel.addr);
        self.panel = Some(panel);
        Ok(())
    }

    /// Stops the panel like a process exit: requests in flight get a short grace period, then
    /// its runtime (background jobs included) is dropped. The simulator keeps running.
    pub async fn stop_panel(&mut self) {
        if let Some(panel) = self.panel.take() {
            panel.stop().await;
        }
    }

    /// Stops the panel and starts a new one on the same database (it gets a new port; every
    /// client of this app follows it).
    pub async fn restart_panel(&mut self) {
        self.stop_panel().await;
        self.start_panel().await;
    }

    /// The panel's URL with the base path and a trailing slash, e.g. `http://127.0.0.1:4711/`.
    pub fn panel_url(&self) -> String {
        self.client.panel_url()
    }

    /// The panel's address.
    pub fn panel_addr(&self) -> SocketAddr {
        self.running().addr
    }

    /// The running panel's state (database, devices, configuration).
    pub fn state(&self) -> &AppState {
        &self.running().state
    }

    fn running(&self) -> &PanelInstance {
        self.panel
            .as_ref()
            .unwrap_or_else(|| panic!("the panel is not running"))
    }

    /// The panel's configuration as the test app built it.
    pub fn config(&self) -> &Config {
        &self.setup_config
    }

    /// The simulated device.
    pub fn sim(&self) -> &Simulator {
        &self.sim
    }

    /// The simulated device's live state: rows, faults, counters, recorded requests.
    pub fn device(&self) -> &SimState {
        self.sim.state()
    }

    /// A new client with its own (empty) cookie jar: another browser.
    pub fn new_client(&self) -> PanelClient {
        PanelClient::new(
            self.http.clone(),
            self.client.target.clone(),
            self.transcript.clone(),
        )
    }

    /// The default client (the one `TestApp` dereferences to).
    pub fn client(&self) -> &PanelClient {
        &self.client
    }

    /// Every response any client of this app received: status, headers and body.
    pub fn transcript(&self) -> Vec<u8> {
        self.client.transcript().bytes()
    }

    /// The panel's SQLite database file.
    pub fn database_path(&self) -> &Path {
        &self.paths.database
    }

    /// The temporary directory holding the database and any written files.
    pub fn data_dir(&self) -> &Path {
        &self.paths.dir
    }

    /// The password of a test user (`admin`, `operator`, `viewer`).
    pub fn password(username: &str) -> String {
        crate::password_of(username)
    }

    /// Stops the panel and the simulator and waits for both.
    pub async fn shutdown(mut self) {
        self.stop_panel().await;
        let Self { sim, .. } = self;
        sim.shutdown().await;
    }
}
