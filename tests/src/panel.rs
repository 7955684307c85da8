//! One running panel: its own thread and Tokio runtime, so that stopping it is like stopping
//! the process (background jobs die with it), bound to `127.0.0.1:0`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use lem_client::DeviceClient;
use lem_panel::Application;
use lem_panel::clock::{Clock, SystemClock};
use lem_panel::config::Config;
use lem_panel::devices::Devices;
use lem_panel::metrics::Metrics;
use lem_panel::startup::{self, StartupError};
use lem_panel::state::AppState;
use lem_panel::web::WebApp;
use shared::api::Role;
use tokio::sync::oneshot;

use crate::{USERS, password_of};

/// Requests still running when the panel is stopped get this long to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// A panel serving on its own runtime.
pub(crate) struct PanelInstance {
    pub(crate) addr: SocketAddr,
    pub(crate) state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    stopped: Option<oneshot::Receiver<()>>,
}

/// What the panel thread needs to build its state.
pub(crate) struct PanelSetup {
    pub(crate) config: Config,
    pub(crate) config_dir: PathBuf,
    pub(crate) proxy_env: Option<Vec<(String, String)>>,
}

/// Argon2 is deliberately slow: hash the test users' passwords once per test binary.
fn user_hashes() -> &'static [(String, Role, String)] {
    static HASHES: OnceLock<Vec<(String, Role, String)>> = OnceLock::new();
    HASHES.get_or_init(|| {
        USERS
            .iter()
            .map(|(name, role)| {
                let hash = lem_panel::auth::password::hash_blocking(&password_of(name))
                    .unwrap_or_else(|e| panic!("cannot hash a test password: {e}"));
                ((*name).to_owned(), *role, hash)
            })
            .collect()
    })
}

/// The state, assembled like `startup::build_state` does, but with the device client reading
/// proxy variables from `env` instead of the process environment.
fn state_with_env(setup: &PanelSetup, env: &[(String, String)]) -> Result<AppState, StartupError> {
    let config = setup.config.clone();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let metrics = Arc::new(Metrics::default());
    let db = startup::open_database(&config.database, clock.as_ref())?;
    let mut parts = Vec::new();
    for settings in &config.devices {
        let env = env.to_vec();
        let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let client = DeviceClient::with_env(settings.client_config(&setup.config_dir)?, lookup)
            .map_err(|e| StartupError::Other(e.to_string()))?;
        parts.push((
            settings.clone(),
            Arc::new(client) as Arc<dyn lem_client::RegistryApi>,
        ));
    }
    let devices = Devices::from_parts(parts, &config, &metrics);
    let web = match &config.web_dir {
        Some(dir) => WebApp::from_dir(dir, &config.base_with_slash())
            .map_err(|e| StartupError::Other(e.to_string()))?,
        None => WebApp::embedded(&config.base_with_slash()),
    };
    Ok(AppState::new(config, db, devices, clock, metrics, web))
}

async fn build(setup: &PanelSetup) -> Result<(AppState, Application), String> {
    let state = match &setup.proxy_env {
        None => startup::build_state(setup.config.clone(), &setup.config_dir),
        Some(env) => state_with_env(setup, env),
    }
    .map_err(|e| format!("the panel did not start: {e}"))?;
    for (name, role, hash) in user_hashes() {
        // On a restart the users are already there (`false` = name taken): fine.
        state
            .db
            .create_user(
                name.clone(),
                hash.clone(),
                *role,
                false,
                state.clock.now_ms(),
            )
            .await
            .map_err(|e| format!("cannot create user {name}: {e}"))?;
    }
    let app = Application::bind(state.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| format!("cannot bind the panel: {e}"))?;
    Ok((state, app))
}

impl PanelInstance {
    /// Builds the state, binds port 0 and serves, on a new thread with its own runtime.
    /// Returns once the listener is bound (connections are accepted from then on).
    pub(crate) async fn start(setup: PanelSetup) -> Result<Self, String> {
        let (ready_tx, ready_rx) = oneshot::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let (stopped_tx, stopped_rx) = oneshot::channel();
        std::thread::Builder::new()
            .name("lem-panel".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("lem-panel-worker")
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("no runtime: {e}")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let (state, app) = match build(&setup).await {
                        Ok(built) => built,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let addr = match app.local_addr() {
                        Ok(addr) => addr,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.to_string()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok((addr, state)));
                    let shutdown = async move {
                        let _ = shutdown_rx.await;
                    };
                    if let Err(e) = app.run_until(shutdown, SHUTDOWN_GRACE).await {
                        tracing::error!(error = %e, "the test panel stopped with an error");
                    }
                });
                // Like a process exit: whatever is still running (import jobs) is dropped.
                runtime.shutdown_timeout(Duration::from_millis(200));
                let _ = stopped_tx.send(());
            })
            .map_err(|e| format!("cannot start the panel thread: {e}"))?;
        let (addr, state) = ready_rx
            .await
            .map_err(|_| "the panel thread ended before it was ready".to_owned())??;
        Ok(Self {
            addr,
            state,
            shutdown: Some(shutdown_tx),
            stopped: Some(stopped_rx),
        })
    }

    /// Stops serving and waits until the panel's runtime (and every task on it) is gone.
    pub(crate) async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(stopped) = self.stopped.take() {
            let _ = stopped.await;
        }
    }
}

impl Drop for PanelInstance {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
