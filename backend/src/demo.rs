//! `lem-panel --demo`: a simulated device on a loopback port (pinned TLS, realistic images),
//! demo users for each role, and the panel serving it.

use std::time::Duration;

use lem_client::SecretString;
use lem_sim::{SimConfig, Simulator};
use shared::api::{AuthMode, Role, TlsMode};

use crate::auth::password;
use crate::cli::Cli;
use crate::config::{DeviceSettings, DeviceTimeouts};
use crate::startup::{self, StartupError};

/// Runs the demo until Ctrl-C / SIGTERM.
pub async fn run(cli: &Cli) -> Result<(), StartupError> {
    let token = password::generate();
    let sim = Simulator::start(SimConfig::new(token.clone()).pull_bytes_per_sec(200 * 1024 * 1024))
        .await
        .map_err(|e| StartupError::Other(format!("cannot start the simulated device: {e}")))?;
    let temp = std::env::temp_dir().join(format!("lem-panel-demo-{}", std::process::id()));
    let mut config = cli.load_config()?;
    if cli.database.is_none() {
        config.database = temp.join("demo.db");
    }
    config.devices = vec![DeviceSettings {
        id: "demo".into(),
        name: Some("Demo device (simulated)".into()),
        url: sim.url(),
        token: Some(SecretString::from(token)),
        token_file: None,
        auth: AuthMode::Basic,
        tls: TlsMode::Pin,
        sha256: Some(sim.fingerprint().to_owned()),
        ca_file: None,
        proxy: "none".into(),
        registry_host: Some(format!("{}", sim.addr())),
        max_response_mib: 64,
        timeouts: DeviceTimeouts::default(),
    }];
    config.validate()?;
    let listen = config.listen;
    let state = startup::build_state(config, std::path::Path::new("."))?;
    let mut logins = Vec::new();
    for role in [Role::Admin, Role::Operator, Role::Viewer] {
        let pass = password::generate();
        let hash = password::hash(pass.clone())
            .await
            .map_err(|e| StartupError::Other(e.to_string()))?;
        state
            .db
            .create_user(
                role.as_str().to_owned(),
                hash,
                role,
                false,
                state.clock.now_ms(),
            )
            .await?;
        logins.push((role, pass));
    }
    let app = crate::Application::bind(state.clone(), listen)
        .await
        .map_err(|e| {
            StartupError::Other(format!(
                "cannot listen on {listen}: {e} (use --listen 127.0.0.1:PORT)"
            ))
        })?;
    let addr = app
        .local_addr()
        .map_err(|e| StartupError::Other(e.to_string()))?;
    println!();
    println!(
        "lem-panel demo is running: http://{addr}{}",
        state.config.base_with_slash()
    );
    for (role, pass) in &logins {
        let can = match role {
            Role::Admin => "everything: import, delete, users, audit",
            Role::Operator => "list and import",
            Role::Viewer => "read-only",
        };
        println!("  user {:<8} password {pass}   ({can})", role.as_str());
    }
    println!(
        "simulated device: {} (TLS pinned to sha256 {})",
        sim.url(),
        sim.fingerprint()
    );
    println!(
        "database: {} (removed on exit)",
        state.config.database.display()
    );
    println!("Press Ctrl-C to stop.");
    let result = app
        .run_until(startup::shutdown_signal(), Duration::from_secs(5))
        .await;
    sim.shutdown().await;
    if cli.database.is_none() {
        let _ = std::fs::remove_dir_all(&temp);
    }
    result.map_err(|e| StartupError::Other(e.to_string()))
}
