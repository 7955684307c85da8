//! The image list and safe deletion.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use shared::api::{
    AuditAction, DeletionOutcome, DeletionRequest, DeletionResponse, ImagesResponse,
};
use shared::validate::{validate_digest, validate_listed_name};

use super::AppJson;
use crate::audit::AuditEvent;
use crate::auth::{Caller, RequestContext};
use crate::deletion::delete_verified;
use crate::devices::TranslatedList;
use crate::error::ApiError;
use crate::state::AppState;

/// Every image the device lists (one device call), translated; odd rows flagged, not dropped.
#[utoipa::path(get, path = "/api/v1/devices/{device}/images", params(("device" = String, Path, description = "device id")),
    responses((status = 200, body = ImagesResponse), (status = 502, body = shared::api::ErrorBody), (status = 504, body = shared::api::ErrorBody)))]
pub async fn list_images(
    State(state): State<AppState>,
    Path(device): Path<String>,
) -> Result<Response, ApiError> {
    let device = state.devices.get(&device)?;
    let list = device.list_translated().await?;
    images_response(device.id(), state.clock.now_ms(), &list)
}

/// The JSON of an [`ImagesResponse`] (a test pins it to serde's), with the rows, serialised
/// once per distinct device answer, copied in as bytes.
fn images_response(
    device: &str,
    fetched_at_ms: i64,
    list: &TranslatedList,
) -> Result<Response, ApiError> {
    let mut body = Vec::with_capacity(list.images_json.len() + 128);
    body.extend_from_slice(b"{\"device\":");
    serde_json::to_writer(&mut body, device)
        .map_err(|e| ApiError::internal(format!("serialising the device id: {e}")))?;
    body.extend_from_slice(format!(",\"fetchedAtMs\":{fetched_at_ms},\"images\":").as_bytes());
    body.extend_from_slice(&list.images_json);
    body.extend_from_slice(format!(",\"skippedEntries\":{}}}", list.skipped_entries).as_bytes());
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
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

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;
    use shared::api::{ImageRow, ImagesResponse, RowFlag};

    use super::*;

    #[tokio::test]
    async fn the_spliced_list_answer_is_byte_for_byte_what_serde_writes() {
        let row = |tag: &str, flags| ImageRow {
            name: "line1/\"hmi\"</script>".into(),
            tag: tag.into(),
            digest: Some("sha256:abc".into()),
            size_bytes: Some(u64::MAX),
            timestamp_ms: None,
            shared_digest_tags: vec!["latest".into()],
            shared_digest_count: 1,
            flags,
        };
        for images in [
            Vec::new(),
            vec![row("1.4.0", vec![RowFlag::Duplicate]), row("x", vec![])],
        ] {
            let expected = ImagesResponse {
                device: "edge-\u{1}\"1".into(),
                fetched_at_ms: -5,
                images: images.clone(),
                skipped_entries: 3,
            };
            let list = TranslatedList::new(bytes::Bytes::new(), &images, 3).expect("rows");
            let response = images_response(&expected.device, -5, &list).expect("answer");
            assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
            let body = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            assert_eq!(body, serde_json::to_vec(&expected).expect("serde"));
        }
    }
}
