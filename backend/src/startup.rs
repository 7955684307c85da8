//! Turning a configuration into a running state: logging, database, devices, web app, jobs
//! left over from a previous run, and the first admin account.

use std::path::Path;
use std::sync::Arc;

use shared::api::Role;

use crate::auth::password;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::db::{Db, DbError};
use crate::devices::Devices;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::web::WebApp;

/// Why the panel could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Configuration problem.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Database problem.
    #[error("{0}")]
    Db(#[from] DbError),
    /// Anything else, in words.
    #[error("{0}")]
    Other(String),
}

/// Sets up `tracing`: `RUST_LOG` filter (default `info`), text or JSON lines.
pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Opens the database and marks jobs a previous process left running as interrupted.
pub fn open_database(path: &Path, clock: &dyn Clock) -> Result<Db, StartupError> {
    let db = Db::open(path)?;
    let interrupted = db.interrupt_unfinished_jobs(clock.now_ms())?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "jobs from a previous run were still running; marked interrupted"
        );
    }
    Ok(db)
}

/// The state for a configuration: database, device clients, web app.
pub fn build_state(config: Config, config_dir: &Path) -> Result<AppState, StartupError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let metrics = Arc::new(Metrics::default());
    let db = open_database(&config.database, clock.as_ref())?;
    let devices = Devices::from_config(&config, config_dir, &metrics)?;
    let base = config.base_with_slash();
    let web = match &config.web_dir {
        Some(dir) => WebApp::from_dir(dir, &base).map_err(|e| {
            StartupError::Other(format!("cannot read web_dir {}: {e}", dir.display()))
        })?,
        None => WebApp::embedded(&base),
    };
    if !web.built {
        tracing::warn!(
            "this build has no web app embedded (run ./x build); the API works, the browser sees a notice"
        );
    }
    if config.devices.is_empty() {
        tracing::warn!("no devices are configured; add [[devices]] to the config file");
    }
    Ok(AppState::new(config, db, devices, clock, metrics, web))
}

/// Creates the first admin if there are no users: the password comes from
/// `LEM_PANEL_ADMIN_PASSWORD` / `LEM_PANEL_ADMIN_PASSWORD_FILE` or is generated and printed
/// once. Either way it is a one-time password.
pub async fn ensure_first_admin(
    state: &AppState,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(), StartupError> {
    if state.db.user_count().await? > 0 {
        return Ok(());
    }
    let given = match (
        env("LEM_PANEL_ADMIN_PASSWORD"),
        env("LEM_PANEL_ADMIN_PASSWORD_FILE"),
    ) {
        (Some(p), _) => Some(p),
        (None, Some(file)) => Some(
            std::fs::read_to_string(&file)
                .map_err(|e| {
                    StartupError::Other(format!(
                        "cannot read LEM_PANEL_ADMIN_PASSWORD_FILE {file}: {e}"
                    ))
                })?
                .trim()
                .to_owned(),
        ),
        (None, None) => None,
    };
    let generated = given.is_none();
    let one_time = given.unwrap_or_else(password::generate);
    shared::api::validate_password(&one_time)
        .map_err(|e| StartupError::Other(format!("LEM_PANEL_ADMIN_PASSWORD {e}")))?;
    let hash = password::hash(one_time.clone())
        .await
        .map_err(|e| StartupError::Other(e.to_string()))?;
    state
        .db
        .create_user(
            "admin".into(),
            hash,
            Role::Admin,
            true,
            state.clock.now_ms(),
        )
        .await?;
    if generated {
        // Printed once to the terminal, deliberately not through the log pipeline.
        println!("Created the first user: admin, one-time password: {one_time}");
        println!("Log in and choose a new password; this one is not shown again.");
    } else {
        println!(
            "Created the first user: admin, with the password from the environment (change it at first login)."
        );
    }
    Ok(())
}

/// Removes expired sessions every ten minutes (they are refused on use anyway; this keeps the
/// table small).
pub fn spawn_session_purge(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = state.clock.now_ms();
            let idle = i64::try_from(state.config.session.idle_timeout_minutes * 60_000)
                .unwrap_or(i64::MAX);
            let absolute = i64::try_from(state.config.session.absolute_timeout_hours * 3_600_000)
                .unwrap_or(i64::MAX);
            if let Err(error) = state
                .db
                .purge_sessions(now.saturating_sub(idle), now.saturating_sub(absolute))
                .await
            {
                tracing::warn!(%error, "could not purge expired sessions");
            }
        }
    });
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
