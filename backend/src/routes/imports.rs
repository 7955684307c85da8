//! Imports (pulls into the device, run as background jobs) and the job list.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use shared::api::{ImportRequest, ImportResponse, Job, JobsResponse};
use shared::reference::normalize_hub_name;
use shared::validate::{normalize_registry_host, validate_repository_name, validate_tag};

use super::AppJson;
use crate::auth::{Caller, RequestContext};
use crate::error::ApiError;
use crate::state::AppState;

/// Validates every field with the shared validators and normalises the registry host and
/// Docker Hub shorthand. Returns the request as it will be sent, and notices for the user.
pub fn normalize(request: ImportRequest) -> Result<(ImportRequest, Vec<String>), ApiError> {
    let host = normalize_registry_host(&request.external_url)
        .map_err(|e| ApiError::validation("externalUrl", format!("Registry {e}")))?;
    validate_repository_name(&request.external_name)
        .map_err(|e| ApiError::validation("externalName", format!("Image name {e}")))?;
    validate_tag(&request.external_tag)
        .map_err(|e| ApiError::validation("externalTag", format!("Tag {e}")))?;
    validate_repository_name(&request.internal_name)
        .map_err(|e| ApiError::validation("internalName", format!("Internal name {e}")))?;
    validate_tag(&request.internal_tag)
        .map_err(|e| ApiError::validation("internalTag", format!("Internal tag {e}")))?;
    let mut notices: Vec<String> = host.notice.into_iter().collect();
    let external_name = normalize_hub_name(&host.value, &request.external_name);
    // `library/` adds 8 characters: the name the device receives must still be valid.
    validate_repository_name(&external_name).map_err(|e| {
        ApiError::validation(
            "externalName",
            format!("Image name (as {external_name}) {e}"),
        )
    })?;
    if external_name != request.external_name {
        notices.push(format!(
            "On Docker Hub, '{}' means '{external_name}' (official images live under library/).",
            request.external_name
        ));
    }
    Ok((
        ImportRequest {
            external_url: host.value,
            external_name,
            ..request
        },
        notices,
    ))
}

/// Starts an import job (202), or joins the identical one already running (200).
#[utoipa::path(post, path = "/api/v1/devices/{device}/imports", request_body = ImportRequest, params(("device" = String, Path, description = "device id")),
    responses((status = 202, body = ImportResponse, description = "job started"), (status = 200, body = ImportResponse, description = "identical import already running"),
              (status = 400, body = shared::api::ErrorBody)))]
pub async fn start_import(
    State(state): State<AppState>,
    Path(device): Path<String>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    AppJson(request): AppJson<ImportRequest>,
) -> Result<(StatusCode, Json<ImportResponse>), ApiError> {
    let (request, notices) = normalize(request)?;
    let device = state.devices.get(&device)?;
    let (job, deduplicated) = state
        .jobs
        .start(device, request, &caller.username, context)
        .await?;
    let status = if deduplicated {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((
        status,
        Json(ImportResponse {
            job,
            deduplicated,
            notices,
        }),
    ))
}

/// Filters for the job list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct JobsQuery {
    /// Only this device's jobs.
    pub device: Option<String>,
    /// At most this many (default 200).
    pub limit: Option<u32>,
}

/// Jobs, newest first.
#[utoipa::path(get, path = "/api/v1/jobs", params(JobsQuery), responses((status = 200, body = JobsResponse)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    Query(query): Query<JobsQuery>,
) -> Result<Json<JobsResponse>, ApiError> {
    let jobs = state
        .db
        .jobs(query.device, query.limit.unwrap_or(200).min(1000))
        .await?;
    Ok(Json(JobsResponse { jobs }))
}

/// One job.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = Job), (status = 404, body = shared::api::ErrorBody)))]
pub async fn get_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    let id = super::parse_id("Job", &id)?;
    state
        .db
        .job(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("Job {id}")))
}
