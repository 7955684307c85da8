//! The image list and safe deletion.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::{Extension, Json};
use shared::api::{
    AuditAction, DeletionOutcome, DeletionRequest, DeletionResponse, ImagesResponse,
};
use shared::validate::{validate_digest, validate_listed_name};

use super::AppJson;
use crate::audit::AuditEvent;
use crate::auth::{Caller, RequestContext};
use crate::deletion::delete_verified;
use crate::error::ApiError;
use crate::state::AppState;
use crate::translate::translate;

/// Every image the device lists (one device call), translated; odd rows flagged, not dropped.
#[utoipa::path(get, path = "/api/v1/devices/{device}/images", params(("device" = String, Path, description = "device id")),
    responses((status = 200, body = ImagesResponse), (status = 502, body = shared::api::ErrorBody), (status = 504, body = shared::api::ErrorBody)))]
pub async fn list_images(
    State(state): State<AppState>,
    Path(device): Path<String>,
) -> Result<Json<ImagesResponse>, ApiError> {
    let device = state.devices.get(&device)?;
    let list = device.list().await?;
    let fetched_at_ms = state.clock.now_ms();
    let (images, skipped_entries) = translate(list);
    Ok(Json(ImagesResponse {
        device: device.id().to_owned(),
        fetched_at_ms,
        images,
        skipped_entries,
    }))
}

/// Validates a deletion request; nothing reaches the device unless every field passes.
fn validate(request: &DeletionRequest) -> Result<BTreeSet<String>, ApiError> {
    validate_listed_name(&request.name)
        .map_err(|e| ApiError::validation("name", format!("Name {e}")))?;
    validate_digest(&request.digest)
        .map_err(|e| ApiError::validation("digest", format!("Invalid digest: it {e}")))?;
    if request.expected_tags.is_empty() || request.expected_tags.len() > 10_000 {
        return Err(ApiError::validation(
            "expectedTags",
            "List the tags you confirmed would disappear (at least one)",
        ));
    }
    if request
        .expected_tags
        .iter()
        .any(|t| t.is_empty() || t.len() > 256 || t.chars().any(char::is_control))
    {
        return Err(ApiError::validation(
            "expectedTags",
            "Each expected tag must be a tag as listed",
        ));
    }
    Ok(request.expected_tags.iter().cloned().collect())
}

/// Deletes one manifest by (name, digest) after checking that the tags sharing it are exactly
/// the ones the user confirmed (409 otherwise); the device is called once, then re-listed.
#[utoipa::path(post, path = "/api/v1/devices/{device}/deletions", request_body = DeletionRequest, params(("device" = String, Path, description = "device id")),
    responses((status = 200, body = DeletionResponse), (status = 400, body = shared::api::ErrorBody), (status = 409, body = shared::api::ErrorBody)))]
pub async fn delete_image(
    State(state): State<AppState>,
    Path(device): Path<String>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    AppJson(request): AppJson<DeletionRequest>,
) -> Result<Json<DeletionResponse>, ApiError> {
    let expected = validate(&request)?;
    let device = state.devices.get(&device)?;
    let target = format!(
        "{}@{} (tags {})",
        request.name,
        request.digest,
        request.expected_tags.join(", ")
    );
    let result = delete_verified(&device, &request.name, &request.digest, &expected).await;
    let outcome = match &result {
        Ok(r) => match r.outcome {
            DeletionOutcome::Removed => "removed".to_owned(),
            DeletionOutcome::StillListed => {
                format!("still_listed: {}", r.still_listed_tags.join(", "))
            }
            DeletionOutcome::Unverified => "accepted, unverified".to_owned(),
        },
        Err(e) => {
            let (status, detail) = e.to_parts();
            format!("refused {}: {}", status.as_u16(), detail.message)
        }
    };
    state
        .audit_outcome(
            &context,
            AuditEvent {
                actor: &caller.username,
                action: AuditAction::Deletion,
                device: Some(device.id()),
                target: Some(target),
                outcome,
            },
        )
        .await;
    result.map(Json)
}
