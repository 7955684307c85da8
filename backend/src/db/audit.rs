//! The append-only audit trail (the schema refuses UPDATE and DELETE).

use rusqlite::{Row, params_from_iter, types::Value};
use shared::api::{AuditAction, AuditRecord};

use super::{Db, DbError};

/// A record to append (id and time are assigned here).
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Who.
    pub actor: String,
    /// Client address.
    pub client_addr: String,
    /// What.
    pub action: AuditAction,
    /// Device id, for device operations.
    pub device: Option<String>,
    /// What was acted on.
    pub target: Option<String>,
    /// How it ended.
    pub outcome: String,
    /// Request id.
    pub request_id: String,
}

/// Which records to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact actor.
    pub actor: Option<String>,
    /// Exact action.
    pub action: Option<AuditAction>,
    /// Exact device.
    pub device: Option<String>,
    /// At or after (Unix ms).
    pub since_ms: Option<i64>,
    /// Before (Unix ms).
    pub until_ms: Option<i64>,
    /// At most this many, newest first.
    pub limit: Option<u32>,
}

fn action_from(text: &str) -> Result<AuditAction, rusqlite::Error> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn record_from_row(row: &Row<'_>) -> Result<AuditRecord, rusqlite::Error> {
    Ok(AuditRecord {
        id: row.get(0)?,
        at_ms: row.get(1)?,
        actor: row.get(2)?,
        client_addr: row.get(3)?,
        action: action_from(&row.get::<_, String>(4)?)?,
        device: row.get(5)?,
        target: row.get(6)?,
        outcome: row.get(7)?,
        request_id: row.get(8)?,
    })
}

impl Db {
    /// Appends one record and returns its id. Committed (fsynced) before this returns.
    pub async fn append_audit(&self, entry: AuditEntry, now_ms: i64) -> Result<i64, DbError> {
        self.call(move |c| {
            c.execute(
                "INSERT INTO audit (at_ms, actor, client_addr, action, device, target, outcome, request_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    now_ms,
                    entry.actor,
                    entry.client_addr,
                    entry.action.as_str(),
                    entry.device,
                    entry.target,
                    entry.outcome,
                    entry.request_id
                ],
            )?;
            Ok(c.last_insert_rowid())
        })
        .await
    }

    /// Records matching the filter, newest first.
    pub async fn audit(&self, filter: AuditFilter) -> Result<Vec<AuditRecord>, DbError> {
        self.call(move |c| {
            let mut sql = String::from(
                "SELECT id, at_ms, actor, client_addr, action, device, target, outcome, request_id FROM audit WHERE 1 = 1",
            );
            let mut args: Vec<Value> = Vec::new();
            let mut add = |clause: &str, value: Value| {
                args.push(value);
                sql.push_str(&format!(" AND {clause} ?{}", args.len()));
            };
            if let Some(actor) = filter.actor {
                add("actor =", Value::Text(actor));
            }
            if let Some(action) = filter.action {
                add("action =", Value::Text(action.as_str().to_owned()));
            }
            if let Some(device) = filter.device {
                add("device =", Value::Text(device));
            }
            if let Some(since) = filter.since_ms {
                add("at_ms >=", Value::Integer(since));
            }
            if let Some(until) = filter.until_ms {
                add("at_ms <", Value::Integer(until));
            }
            sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", filter.limit.unwrap_or(1000).min(100_000)));
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(args), record_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}
