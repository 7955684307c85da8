//! Import jobs: a pull from an external registry into the device, run in the background.

use serde::{Deserialize, Serialize};

use super::ErrorDetail;

/// `POST /api/v1/devices/{device}/imports`. Field names match the device's own pull parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportRequest {
    /// Source registry host with optional port, no scheme (e.g. `docker.io`, `registry.local:5000`).
    pub external_url: String,
    /// Source repository name (Docker Hub shorthand such as `python` is normalised to `library/python`).
    pub external_name: String,
    /// Source tag.
    pub external_tag: String,
    /// Repository name to store the image under in the device.
    pub internal_name: String,
    /// Tag to store the image under in the device.
    pub internal_tag: String,
}

/// The answer to an import request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ImportResponse {
    /// The job that carries out the import (an existing one when `deduplicated`).
    pub job: Job,
    /// True when an identical import was already running and this request joined it.
    pub deduplicated: bool,
    /// Corrections made to the request (e.g. Docker Hub shorthand), in words.
    pub notices: Vec<String>,
}

/// `GET /api/v1/jobs`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JobsResponse {
    /// The jobs.
    pub jobs: Vec<Job>,
}

/// One import job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// Job id.
    pub id: i64,
    /// Device id.
    pub device: String,
    /// The import as it was sent to the device (normalised).
    pub request: ImportRequest,
    /// Where the job is.
    pub state: JobState,
    /// What a running job is doing now.
    pub stage: Option<JobStage>,
    /// Who started it.
    pub started_by: String,
    /// When it was requested (Unix milliseconds, UTC).
    pub created_at_ms: i64,
    /// When it ended, if it has.
    pub finished_at_ms: Option<i64>,
    /// The digest the internal name:tag had before, when the import overwrites it.
    pub overwrote_digest: Option<String>,
    /// The digest the internal name:tag has after a successful import.
    pub result_digest: Option<String>,
    /// Why it failed, or why the outcome is unknown.
    pub error: Option<ErrorDetail>,
}

/// Where an import job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a free import slot on the device.
    Queued,
    /// The device is pulling.
    Running,
    /// The device pulled, and a re-list shows the internal name:tag.
    Succeeded,
    /// The device refused or failed the pull; `error` says why.
    Failed,
    /// The pull timed out or the device failed mid-way, and a re-list did not show the image.
    Unknown,
    /// The panel restarted while the job was running; check the image list.
    Interrupted,
}

impl JobState {
    /// Whether the job has ended.
    pub fn is_finished(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }
}

/// What a running job is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobStage {
    /// Waiting for the device's pull call to return (it is synchronous and can take minutes).
    Pulling,
    /// Re-listing the device to confirm the result.
    Verifying,
}
