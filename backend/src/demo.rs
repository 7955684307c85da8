//! `lem-panel --demo`: a simulated device on a loopback port (pinned TLS, realistic images),
//! demo users for each role, and the panel serving it.

use std::time::Duration;

use lem_client::SecretString;
use lem_sim::{SimConfig, Simulator};
use shared::api::{AuthMode, Role, TlsMode};

use crate::auth::password;
use crate::cli::Cli;
use crate::config::{DeviceSettings, DeviceTimeouts};
use crate::db::{Db, UserChange};
use crate::startup::{self, StartupError};

/// The simulated device's id.
const DEVICE_ID: &str = "demo";

/// Gives the demo users `admin`, `operator` and `viewer` fresh passwords (returned, to print)
/// and their role of the same name on `device`, creating them or resetting them when the
/// database already has them (`--demo --database existing.db`): the printed passwords must work.
pub async fn demo_users(
    db: &Db,
    device: &str,
    now_ms: i64,
) -> Result<Vec<(Role, String)>, StartupError> {
    let mut logins = Vec::new();
    for role in [Role::Admin, Role::Operator, Role::Viewer] {
        let pass = password::generate();
        let hash = password::hash(pass.clone())
            .await
            .map_err(|e| StartupError::Other(e.to_string()))?;
        let name = role.as_str().to_owned();
        let created = db
            .create_user(name.clone(), hash.clone(), role, false, now_ms)
            .await?;
        if !created {
            // Ends the user's old sessions too.
            db.set_password(name.clone(), hash, false, None).await?;
            let change = UserChange {
                role: Some(role),
                enabled: Some(true),
            };
            db.update_user(name.clone(), change).await?;
            db.set_device_role(name, device.to_owned(), None).await?;
        }
        logins.push((role, pass));
    }
    Ok(logins)
}

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
        id: DEVICE_ID.into(),
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
    let logins = demo_users(&state.db, DEVICE_ID, state.clock.now_ms()).await?;
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
    // Only a database the demo made itself is removed; one given with --database is kept.
    let fate = if cli.database.is_none() {
        "removed on exit"
    } else {
        "kept"
    };
    println!("database: {} ({fate})", state.config.database.display());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn demo_users_already_in_the_database_get_the_printed_passwords_and_their_roles_back() {
        let db = Db::in_memory().expect("db");
        let old = password::hash("an old password".into())
            .await
            .expect("hash");
        for name in ["admin", "operator"] {
            assert!(
                db.create_user(name.into(), old.clone(), Role::Viewer, true, 1)
                    .await
                    .expect("user")
            );
        }
        let change = UserChange {
            role: None,
            enabled: Some(false),
        };
        db.update_user("admin".into(), change)
            .await
            .expect("disable");
        db.set_device_role("operator".into(), "demo".into(), Some(Role::Viewer))
            .await
            .expect("override");

        let logins = demo_users(&db, "demo", 2).await.expect("demo users");

        assert_eq!(logins.len(), 3);
        for (role, pass) in logins {
            let user = db
                .user(role.as_str().into())
                .await
                .expect("db")
                .expect("user");
            let works = password::verify(Some(user.password_hash), pass)
                .await
                .expect("verify");
            assert!(works, "{}: the printed password works", role.as_str());
            assert_eq!(user.summary.role, role);
            assert!(user.summary.enabled, "{}", role.as_str());
            assert!(!user.summary.must_change_password, "{}", role.as_str());
            let overrides = db.device_roles(role.as_str().into()).await.expect("roles");
            assert!(overrides.is_empty(), "{}: {overrides:?}", role.as_str());
        }
    }
}
