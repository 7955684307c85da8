//! `lem-panel users …` and `lem-panel audit export`, against the same database the server uses.
//! A change made here is appended to the audit trail just like one made in the web app, so the
//! trail stays complete however a user was changed.

use std::io::Write;

use shared::api::{AuditAction, Role};

use super::{ExportFormat, UsersCommand};
use crate::audit::{self, AuditEvent, to_csv, to_jsonl};
use crate::auth::{RequestContext, password};
use crate::clock::Clock;
use crate::db::{AuditFilter, Db, UserChange};
use crate::startup::StartupError;

/// Who runs a command-line change, as the audit trail names them.
#[derive(Debug, Clone)]
pub struct CliActor {
    /// `cli:<login name>`, or `cli:local` when the login name is unknown.
    pub actor: String,
    /// Client address `local` and a fresh request id (`cli-…`) for this command.
    pub context: RequestContext,
}

impl CliActor {
    /// The actor from the login name in `USER` or `LOGNAME`.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Self {
        let login = ["USER", "LOGNAME"]
            .into_iter()
            .filter_map(env)
            .map(|name| name.trim().to_owned())
            .find(|name| !name.is_empty())
            .unwrap_or_else(|| "local".to_owned());
        Self {
            actor: format!("cli:{login}"),
            context: RequestContext {
                client_addr: "local".to_owned(),
                request_id: format!("cli-{}", hex::encode(rand::random::<[u8; 8]>())),
            },
        }
    }
}

fn other(message: impl Into<String>) -> StartupError {
    StartupError::Other(message.into())
}

fn missing(name: &str) -> StartupError {
    other(format!("no user named {name:?}"))
}

fn say(out: &mut dyn Write, line: std::fmt::Arguments<'_>) -> Result<(), StartupError> {
    writeln!(out, "{line}").map_err(|e| other(format!("cannot write the output: {e}")))
}

async fn hash_new_password(password: String) -> Result<String, StartupError> {
    shared::api::validate_password(&password).map_err(|e| other(format!("the password {e}")))?;
    password::hash(password)
        .await
        .map_err(|e| other(e.to_string()))
}

/// Runs one `users` subcommand. `read_password` supplies a new password when the command needs
/// one (its argument: whether `--password-stdin` was given); what the command reports is written
/// to `out`. Every change is appended to the audit trail.
pub async fn run_users(
    db: &Db,
    clock: &dyn Clock,
    actor: &CliActor,
    command: &UsersCommand,
    read_password: impl FnOnce(bool) -> Result<String, StartupError>,
    out: &mut dyn Write,
) -> Result<(), StartupError> {
    let (action, name, device, outcome) = match command {
        UsersCommand::Add {
            name,
            role,
            password_stdin,
        } => {
            shared::api::validate_username(name)
                .map_err(|e| other(format!("the user name {e}")))?;
            let hashed = hash_new_password(read_password(*password_stdin)?).await?;
            let role = Role::from(*role);
            if !db
                .create_user(name.clone(), hashed, role, false, clock.now_ms())
                .await?
            {
                return Err(other(format!("a user named {name:?} already exists")));
            }
            say(out, format_args!("added {name} ({})", role.as_str()))?;
            let outcome = format!("role {}", role.as_str());
            (AuditAction::UserCreated, name, None, outcome)
        }
        UsersCommand::Passwd {
            name,
            password_stdin,
        } => {
            let hashed = hash_new_password(read_password(*password_stdin)?).await?;
            if !db.set_password(name.clone(), hashed, false, None).await? {
                return Err(missing(name));
            }
            say(
                out,
                format_args!("password of {name} changed; their sessions have ended"),
            )?;
            let outcome = "ok; sessions ended".to_owned();
            (AuditAction::PasswordReset, name, None, outcome)
        }
        UsersCommand::Disable { name } | UsersCommand::Enable { name } => {
            let enabled = matches!(command, UsersCommand::Enable { .. });
            let change = UserChange {
                role: None,
                enabled: Some(enabled),
            };
            db.update_user(name.clone(), change)
                .await?
                .ok_or_else(|| missing(name))?;
            let (word, said) = if enabled {
                ("enabled", "enabled")
            } else {
                ("disabled", "disabled; their sessions have ended")
            };
            say(out, format_args!("{name} {said}"))?;
            (AuditAction::UserUpdated, name, None, word.to_owned())
        }
        UsersCommand::Role {
            name,
            role,
            device: None,
        } => {
            let role = Role::from(*role);
            let change = UserChange {
                role: Some(role),
                enabled: None,
            };
            db.update_user(name.clone(), change)
                .await?
                .ok_or_else(|| missing(name))?;
            say(out, format_args!("{name} is now {}", role.as_str()))?;
            let outcome = format!("role {}", role.as_str());
            (AuditAction::UserUpdated, name, None, outcome)
        }
        UsersCommand::Role {
            name,
            role,
            device: Some(device),
        } => {
            let role = Role::from(*role);
            db.user(name.clone()).await?.ok_or_else(|| missing(name))?;
            db.set_device_role(name.clone(), device.clone(), Some(role))
                .await?;
            say(
                out,
                format_args!("{name} is {} on device {device}", role.as_str()),
            )?;
            let outcome = format!("role {} on device {device}", role.as_str());
            (AuditAction::UserUpdated, name, Some(device), outcome)
        }
        UsersCommand::List => {
            for u in db.users().await? {
                let state = if u.enabled { "enabled" } else { "disabled" };
                say(
                    out,
                    format_args!("{:<24} {:<9} {state}", u.username, u.role.as_str()),
                )?;
            }
            return Ok(());
        }
    };
    let event = AuditEvent {
        actor: &actor.actor,
        action,
        device: device.map(String::as_str),
        target: Some(name.clone()),
        outcome,
    };
    audit::record(db, clock, &actor.context, event)
        .await
        .map_err(|e| {
            other(format!(
                "the change was made, but its audit record could not be written: {e}"
            ))
        })
}

/// The whole audit trail, newest first (as the web export), in an export format.
pub async fn export_audit(db: &Db, format: ExportFormat) -> Result<String, StartupError> {
    let records = db
        .audit(AuditFilter {
            limit: Some(u32::MAX),
            ..Default::default()
        })
        .await?;
    Ok(match format {
        ExportFormat::Jsonl => to_jsonl(&records),
        ExportFormat::Csv => to_csv(&records),
    })
}
