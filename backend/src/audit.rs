//! Writing the audit trail: one append-only record per audited action. Control characters in
//! user-supplied text are escaped so a record can never forge extra lines in an export.

use shared::api::AuditAction;

use crate::auth::RequestContext;
use crate::clock::Clock;
use crate::db::{AuditEntry, Db};
use crate::error::ApiError;

/// Escapes control characters (`\n` → `\\n`, others → `\\u{..}`) and caps the length.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars().take(1024) {
        match ch {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// One audit record about to be written.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    /// Who.
    pub actor: &'a str,
    /// What.
    pub action: AuditAction,
    /// Device id.
    pub device: Option<&'a str>,
    /// Target.
    pub target: Option<String>,
    /// Outcome.
    pub outcome: String,
}

/// Appends a record; it is committed before this returns.
pub async fn record(
    db: &Db,
    clock: &dyn Clock,
    context: &RequestContext,
    event: AuditEvent<'_>,
) -> Result<(), ApiError> {
    let entry = AuditEntry {
        actor: escape(event.actor),
        client_addr: escape(&context.client_addr),
        action: event.action,
        device: event.device.map(escape),
        target: event.target.as_deref().map(escape),
        outcome: escape(&event.outcome),
        request_id: escape(&context.request_id),
    };
    db.append_audit(entry, clock.now_ms()).await?;
    Ok(())
}

/// Like [`record`], for outcomes recorded after the fact: a failure is logged, not returned
/// (the action already happened and cannot be undone).
pub async fn record_outcome(
    db: &Db,
    clock: &dyn Clock,
    context: &RequestContext,
    event: AuditEvent<'_>,
) {
    if let Err(error) = record(db, clock, context, event).await {
        tracing::error!(%error, "could not write an audit record");
    }
}

/// Records as JSON lines (one object per line).
pub fn to_jsonl(records: &[shared::api::AuditRecord]) -> String {
    records
        .iter()
        .filter_map(|r| serde_json::to_string(r).ok())
        .map(|line| line + "\n")
        .collect()
}

/// Records as CSV, with a header. Fields are quoted, and a leading `=`, `+`, `-` or `@` is
/// prefixed with `'` so a spreadsheet never runs a cell as a formula.
pub fn to_csv(records: &[shared::api::AuditRecord]) -> String {
    fn cell(text: &str) -> String {
        let guarded = if text.starts_with(['=', '+', '-', '@']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        format!("\"{}\"", guarded.replace('"', "\"\""))
    }
    let mut out =
        String::from("id,at_utc,actor,client_addr,action,device,target,outcome,request_id\n");
    for r in records {
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(r.at_ms) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        let fields = [
            r.id.to_string(),
            at,
            r.actor.clone(),
            r.client_addr.clone(),
            r.action.as_str().to_owned(),
            r.device.clone().unwrap_or_default(),
            r.target.clone().unwrap_or_default(),
            r.outcome.clone(),
            r.request_id.clone(),
        ];
        out.push_str(&fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_forge_lines() {
        assert_eq!(
            escape("evil\nadmin login_succeeded"),
            "evil\\nadmin login_succeeded"
        );
        assert_eq!(escape("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape("bidi\u{202e}x"), "bidi\\u{202e}x");
        assert_eq!(escape("plain name:tag"), "plain name:tag");
    }
}
