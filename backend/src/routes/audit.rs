//! Reading and exporting the audit trail (admins).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::api::{AuditAction, AuditResponse};

use crate::audit::{to_csv, to_jsonl};
use crate::db::AuditFilter;
use crate::error::ApiError;
use crate::state::AppState;

/// Audit filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Exact actor.
    pub actor: Option<String>,
    /// Exact action (e.g. `deletion`).
    pub action: Option<AuditAction>,
    /// Exact device id.
    pub device: Option<String>,
    /// From (Unix ms, inclusive).
    pub since: Option<i64>,
    /// Until (Unix ms, exclusive).
    pub until: Option<i64>,
    /// At most this many, newest first (default 1000).
    pub limit: Option<u32>,
    /// Export format: `jsonl` (default) or `csv`.
    pub format: Option<String>,
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        AuditFilter {
            actor: self.actor.clone().filter(|s| !s.is_empty()),
            action: self.action,
            device: self.device.clone().filter(|s| !s.is_empty()),
            since_ms: self.since,
            until_ms: self.until,
            limit: self.limit,
        }
    }
}

/// Records matching the filters, newest first.
#[utoipa::path(get, path = "/api/v1/audit", params(AuditQuery), responses((status = 200, body = AuditResponse)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<AuditResponse>, ApiError> {
    Ok(Json(AuditResponse {
        records: state.db.audit(query.filter()).await?,
    }))
}

/// The same records as a download: JSON lines or CSV.
#[utoipa::path(get, path = "/api/v1/audit/export", params(AuditQuery), responses((status = 200, description = "JSON lines or CSV file")))]
pub async fn export_audit(
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let mut filter = query.filter();
    filter.limit = Some(query.limit.unwrap_or(100_000));
    let records = state.db.audit(filter).await?;
    let (body, content_type, ext) = match query.format.as_deref() {
        None | Some("jsonl") => (to_jsonl(&records), "application/x-ndjson", "jsonl"),
        Some("csv") => (to_csv(&records), "text/csv; charset=utf-8", "csv"),
        Some(_) => {
            return Err(ApiError::validation(
                "format",
                "Format must be jsonl or csv",
            ));
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"lem-panel-audit.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}
