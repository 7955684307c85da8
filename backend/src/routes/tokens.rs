//! Personal API tokens for scripts (when enabled): list, create (secret shown once), revoke.
//! Only a logged-in browser session may create tokens, so a leaked token cannot mint more.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use shared::api::{ApiTokensResponse, AuditAction, CreateApiTokenRequest, CreateApiTokenResponse};

use super::AppJson;
use crate::audit::AuditEvent;
use crate::auth::{Caller, RequestContext, hash_session_id, new_api_token_secret};
use crate::error::ApiError;
use crate::state::AppState;

fn require_enabled(state: &AppState) -> Result<(), ApiError> {
    if state.config.api_tokens.enabled {
        Ok(())
    } else {
        Err(ApiError::NotFound(
            "API tokens are turned off on this panel (api_tokens.enabled); the feature".into(),
        ))
    }
}

/// The caller's active tokens.
#[utoipa::path(get, path = "/api/v1/session/tokens", responses((status = 200, body = ApiTokensResponse), (status = 404, body = shared::api::ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ApiTokensResponse>, ApiError> {
    require_enabled(&state)?;
    Ok(Json(ApiTokensResponse {
        tokens: state.db.api_tokens(caller.username).await?,
    }))
}

/// Creates a token; its secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/session/tokens", request_body = CreateApiTokenRequest,
    responses((status = 201, body = CreateApiTokenResponse), (status = 400, body = shared::api::ErrorBody), (status = 404, body = shared::api::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    AppJson(request): AppJson<CreateApiTokenRequest>,
) -> Result<(StatusCode, Json<CreateApiTokenResponse>), ApiError> {
    require_enabled(&state)?;
    if caller.session_hash.is_none() {
        return Err(ApiError::Forbidden);
    }
    let name = request.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "name",
            "Name must be 1 to 64 characters without control characters",
        ));
    }
    let secret = new_api_token_secret();
    let token = state
        .db
        .create_api_token(
            caller.username.clone(),
            name.clone(),
            hash_session_id(&secret),
            state.clock.now_ms(),
        )
        .await?;
    state
        .audit(
            &context,
            AuditEvent {
                actor: &caller.username,
                action: AuditAction::ApiTokenCreated,
                device: None,
                target: Some(format!("token {} ({name})", token.id)),
                outcome: "ok".into(),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreateApiTokenResponse { token, secret }),
    ))
}

/// Revokes one of the caller's tokens; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/session/tokens/{id}", params(("id" = i64, Path, description = "token id")),
    responses((status = 204, description = "revoked"), (status = 404, body = shared::api::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
) -> Result<StatusCode, ApiError> {
    require_enabled(&state)?;
    let id = super::parse_id("Token", &id)?;
    if !state
        .db
        .revoke_api_token(caller.username.clone(), id, state.clock.now_ms())
        .await?
    {
        return Err(ApiError::NotFound(format!("Token {id}")));
    }
    state
        .audit(
            &context,
            AuditEvent {
                actor: &caller.username,
                action: AuditAction::ApiTokenRevoked,
                device: None,
                target: Some(format!("token {id}")),
                outcome: "ok".into(),
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
