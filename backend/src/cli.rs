//! The `lem-panel` command line: serve (default), `--demo`, user management and audit export.

mod users;

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use shared::api::Role;

use crate::config::Config;
use crate::db::Db;
use crate::startup::{self, StartupError};

pub use users::{CliActor, export_audit, run_users};

/// Web console for the Docker registry of Litmus Edge Manager devices.
#[derive(Debug, Parser)]
#[command(name = "lem-panel", version, about)]
pub struct Cli {
    /// Configuration file (TOML). Environment: LEM_PANEL_CONFIG.
    #[arg(long, env = "LEM_PANEL_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address to listen on (overrides `listen`).
    #[arg(long, global = true)]
    pub listen: Option<SocketAddr>,
    /// Serve everything under this path, e.g. /registry (overrides `base_path`).
    #[arg(long, global = true)]
    pub base_path: Option<String>,
    /// SQLite database file (overrides `database`).
    #[arg(long, global = true)]
    pub database: Option<PathBuf>,
    /// Serve the web app from this directory instead of the embedded copy.
    #[arg(long, global = true)]
    pub web_dir: Option<PathBuf>,
    /// Start a simulated device and demo users, and serve the panel for it.
    #[arg(long)]
    pub demo: bool,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    pub log_json: bool,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage panel users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Read the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Load and validate the configuration, then exit.
    CheckConfig,
}

/// `lem-panel users …`
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user (password prompted, or read from stdin with --password-stdin).
    Add {
        /// User name.
        name: String,
        /// Role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (ends their sessions).
    Passwd {
        /// User name.
        name: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user (ends their sessions).
    Disable {
        /// User name.
        name: String,
    },
    /// Enable a disabled user.
    Enable {
        /// User name.
        name: String,
    },
    /// Set a user's role, globally or on one device.
    Role {
        /// User name.
        name: String,
        /// Role.
        #[arg(value_enum)]
        role: RoleArg,
        /// Only on this device (a per-device override).
        #[arg(long)]
        device: Option<String>,
    },
    /// List users.
    List,
}

/// `lem-panel audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write the audit trail as JSON lines or CSV.
    Export {
        /// Format.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Output file (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// A role on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Viewer.
    Viewer,
    /// Operator.
    Operator,
    /// Admin.
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Operator => Role::Operator,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header.
    Csv,
}

impl Cli {
    /// Loads the configuration and applies the command-line overrides.
    pub fn load_config(&self) -> Result<Config, StartupError> {
        let mut config = Config::load(self.config.as_deref(), |name| std::env::var(name).ok())?;
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(base) = &self.base_path {
            config.base_path = base.clone();
        }
        if let Some(db) = &self.database {
            config.database = db.clone();
        }
        if let Some(dir) = &self.web_dir {
            config.web_dir = Some(dir.clone());
        }
        config.validate()?;
        Ok(config)
    }

    fn config_dir(&self) -> PathBuf {
        self.config
            .as_deref()
            .and_then(|p| p.parent())
            .map_or_else(|| PathBuf::from("."), PathBuf::from)
    }
}

/// Entry point for `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    startup::init_logging(cli.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lem-panel: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lem-panel: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), StartupError> {
    if cli.demo {
        return crate::demo::run(&cli).await;
    }
    match &cli.command {
        None | Some(Command::Serve) => serve(&cli).await,
        Some(Command::CheckConfig) => {
            let config = cli.load_config()?;
            crate::devices::Devices::from_config(&config, &cli.config_dir(), &Default::default())?;
            println!("configuration OK: {} device(s)", config.devices.len());
            Ok(())
        }
        Some(Command::Users(command)) => users(&cli, command).await,
        Some(Command::Audit(AuditCommand::Export { format, output })) => {
            let db = Db::open(&cli.load_config()?.database)?;
            let text = export_audit(&db, *format).await?;
            match output {
                Some(path) => std::fs::write(path, text).map_err(|e| {
                    StartupError::Other(format!("cannot write {}: {e}", path.display()))
                })?,
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}

async fn serve(cli: &Cli) -> Result<(), StartupError> {
    let config = cli.load_config()?;
    let listen = config.listen;
    if !listen.ip().is_loopback() && !config.secure_cookies() {
        tracing::warn!(%listen, "listening beyond loopback without Secure cookies: put the panel behind HTTPS and set public_url = \"https://…\"");
    }
    let state = startup::build_state(config, &cli.config_dir())?;
    startup::ensure_first_admin(&state, |name| std::env::var(name).ok()).await?;
    startup::spawn_session_purge(&state);
    let app = crate::Application::bind(state.clone(), listen)
        .await
        .map_err(|e| StartupError::Other(format!("cannot listen on {listen}: {e}")))?;
    let addr = app
        .local_addr()
        .map_err(|e| StartupError::Other(e.to_string()))?;
    println!(
        "lem-panel listening on http://{addr}{}",
        state.config.base_with_slash()
    );
    app.run_until(startup::shutdown_signal(), Duration::from_secs(14))
        .await
        .map_err(|e| StartupError::Other(e.to_string()))
}

fn read_password(from_stdin: bool) -> Result<String, StartupError> {
    let io = |e: std::io::Error| StartupError::Other(format!("cannot read the password: {e}"));
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(io)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ").map_err(io)?;
        let again = rpassword::prompt_password("Again: ").map_err(io)?;
        if first != again {
            return Err(StartupError::Other("the two passwords differ".into()));
        }
        first
    };
    Ok(password)
}

async fn users(cli: &Cli, command: &UsersCommand) -> Result<(), StartupError> {
    let db = Db::open(&cli.load_config()?.database)?;
    let actor = CliActor::from_env(|name| std::env::var(name).ok());
    let mut out = std::io::stdout().lock();
    run_users(
        &db,
        &crate::clock::SystemClock,
        &actor,
        command,
        read_password,
        &mut out,
    )
    .await
}
