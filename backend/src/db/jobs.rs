//! Import jobs. Every state change is committed before the job moves on, so a restart finds
//! each job where it was; jobs found running at start are marked `interrupted`.

use rusqlite::{OptionalExtension, Row, params};
use shared::api::{ErrorDetail, ImportRequest, Job, JobStage, JobState};

use super::{Db, DbError};

/// A change to a job's progress.
#[derive(Debug, Clone)]
pub struct JobUpdate {
    /// New state.
    pub state: JobState,
    /// New stage (None clears it).
    pub stage: Option<JobStage>,
    /// Set when finished.
    pub finished_at_ms: Option<i64>,
    /// Digest the target had before.
    pub overwrote_digest: Option<String>,
    /// Digest after success.
    pub result_digest: Option<String>,
    /// Why it failed.
    pub error: Option<ErrorDetail>,
}

fn enum_to_text<T: serde::Serialize>(value: &T) -> Result<String, DbError> {
    match serde_json::to_value(value).map_err(|e| DbError::Corrupt(e.to_string()))? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(DbError::Corrupt(format!("not a string enum: {other}"))),
    }
}

fn text_to_enum<T: serde::de::DeserializeOwned>(text: String) -> Result<T, rusqlite::Error> {
    serde_json::from_value(serde_json::Value::String(text)).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

const JOB_COLUMNS: &str = "id, device, external_url, external_name, external_tag, internal_name, internal_tag, \
    state, stage, started_by, created_at_ms, finished_at_ms, overwrote_digest, result_digest, error_json";

fn job_from_row(row: &Row<'_>) -> Result<Job, rusqlite::Error> {
    let error_json: Option<String> = row.get(14)?;
    Ok(Job {
        id: row.get(0)?,
        device: row.get(1)?,
        request: ImportRequest {
            external_url: row.get(2)?,
            external_name: row.get(3)?,
            external_tag: row.get(4)?,
            internal_name: row.get(5)?,
            internal_tag: row.get(6)?,
        },
        state: text_to_enum(row.get(7)?)?,
        stage: row
            .get::<_, Option<String>>(8)?
            .map(text_to_enum)
            .transpose()?,
        started_by: row.get(9)?,
        created_at_ms: row.get(10)?,
        finished_at_ms: row.get(11)?,
        overwrote_digest: row.get(12)?,
        result_digest: row.get(13)?,
        error: error_json.and_then(|j| serde_json::from_str(&j).ok()),
    })
}

impl Db {
    /// Stores a new queued job and returns it.
    pub async fn create_job(
        &self,
        device: String,
        request: ImportRequest,
        started_by: String,
        now_ms: i64,
    ) -> Result<Job, DbError> {
        let queued = enum_to_text(&JobState::Queued)?;
        self.call(move |c| {
            c.execute(
                "INSERT INTO jobs (device, external_url, external_name, external_tag, internal_name, internal_tag, state, started_by, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![device, request.external_url, request.external_name, request.external_tag,
                        request.internal_name, request.internal_tag, queued, started_by, now_ms],
            )?;
            let id = c.last_insert_rowid();
            Ok(c.query_row(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"), [id], job_from_row)?)
        })
        .await
    }

    /// Applies an update and returns the job.
    pub async fn update_job(&self, id: i64, update: JobUpdate) -> Result<Option<Job>, DbError> {
        let state = enum_to_text(&update.state)?;
        let stage = update.stage.as_ref().map(enum_to_text).transpose()?;
        let error_json = update
            .error
            .as_ref()
            .map(|e| serde_json::to_string(e).map_err(|e| DbError::Corrupt(e.to_string())))
            .transpose()?;
        self.call(move |c| {
            c.execute(
                "UPDATE jobs SET state = ?2, stage = ?3, finished_at_ms = COALESCE(?4, finished_at_ms),
                    overwrote_digest = COALESCE(?5, overwrote_digest), result_digest = COALESCE(?6, result_digest),
                    error_json = COALESCE(?7, error_json)
                 WHERE id = ?1",
                params![id, state, stage, update.finished_at_ms, update.overwrote_digest, update.result_digest, error_json],
            )?;
            Ok(c.query_row(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"), [id], job_from_row).optional()?)
        })
        .await
    }

    /// One job.
    pub async fn job(&self, id: i64) -> Result<Option<Job>, DbError> {
        self.call(move |c| {
            Ok(c.query_row(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"),
                [id],
                job_from_row,
            )
            .optional()?)
        })
        .await
    }

    /// Jobs, newest first, optionally for one device.
    pub async fn jobs(&self, device: Option<String>, limit: u32) -> Result<Vec<Job>, DbError> {
        self.call(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE (?1 IS NULL OR device = ?1) ORDER BY id DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![device, limit], job_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    /// Marks jobs left queued or running by a previous process as interrupted; returns how many.
    pub fn interrupt_unfinished_jobs(&self, now_ms: i64) -> Result<usize, DbError> {
        self.call_blocking(|c| {
            Ok(c.execute(
                "UPDATE jobs SET state = 'interrupted', stage = NULL, finished_at_ms = ?1 WHERE state IN ('queued', 'running')",
                [now_ms],
            )?)
        })
    }

    /// Count of jobs per state, for metrics.
    pub async fn job_counts(&self) -> Result<Vec<(String, i64)>, DbError> {
        self.call(|c| {
            let mut stmt = c.prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }
}
