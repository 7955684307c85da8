//! Logging in and out, who am I, and changing one's own password.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use shared::api::{
    AuditAction, ChangePasswordRequest, LoginRequest, SessionResponse, validate_password,
};

use super::AppJson;
use crate::audit::AuditEvent;
use crate::auth::{Caller, RequestContext, hash_session_id, new_session_id, password};
use crate::error::ApiError;
use crate::state::AppState;

/// Log in. Unknown user and wrong password get the same answer after the same work.
#[utoipa::path(post, path = "/api/v1/session", request_body = LoginRequest, responses(
    (status = 200, body = SessionResponse, description = "logged in; sets the session cookie"),
    (status = 401, body = shared::api::ErrorBody), (status = 429, body = shared::api::ErrorBody)))]
pub async fn log_in(
    State(state): State<AppState>,
    Extension(context): Extension<RequestContext>,
    headers: HeaderMap,
    AppJson(login): AppJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let username = login.username.trim().to_ascii_lowercase();
    let now = state.clock.now_ms();
    let event = |action, outcome: &str| AuditEvent {
        actor: &username,
        action,
        device: None,
        target: None,
        outcome: outcome.to_owned(),
    };
    if let Err(retry_after_secs) = state.throttle.check(&username, &context.client_addr, now) {
        state
            .audit(&context, event(AuditAction::LoginThrottled, "refused"))
            .await?;
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let user = state.db.user(username.clone()).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = password::verify(hash, login.password).await?;
    let user = match user {
        Some(user) if matches && user.summary.enabled => user,
        _ => {
            state
                .throttle
                .record_failure(&username, &context.client_addr, now);
            state
                .audit(
                    &context,
                    event(AuditAction::LoginFailed, "wrong user name or password"),
                )
                .await?;
            return Err(ApiError::LoginFailed);
        }
    };
    // A fresh id at every login: an id planted before login is worthless afterwards.
    if let Some(old) = state.cookie.read(&headers) {
        state.db.delete_session(hash_session_id(old)).await?;
    }
    let id = new_session_id();
    state
        .db
        .create_session(hash_session_id(&id), username.clone(), now)
        .await?;
    state.db.record_login(username.clone(), now).await?;
    state.throttle.record_success(&username);
    state
        .audit(&context, event(AuditAction::LoginSucceeded, "ok"))
        .await?;
    let body = SessionResponse {
        username: user.summary.username,
        role: user.summary.role,
        must_change_password: user.summary.must_change_password,
    };
    Ok(([(header::SET_COOKIE, state.cookie.set(&id)?)], Json(body)).into_response())
}

/// Who is logged in.
#[utoipa::path(get, path = "/api/v1/session", responses((status = 200, body = SessionResponse), (status = 401, body = shared::api::ErrorBody)))]
pub async fn get_session(Extension(caller): Extension<Caller>) -> Json<SessionResponse> {
    Json(SessionResponse {
        username: caller.username,
        role: caller.role,
        must_change_password: caller.must_change_password,
    })
}

/// Log out: the session ends at once.
#[utoipa::path(delete, path = "/api/v1/session", responses((status = 204, description = "logged out; clears the cookie")))]
pub async fn log_out(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
) -> Result<Response, ApiError> {
    if let Some(hash) = caller.session_hash.clone() {
        state.db.delete_session(hash).await?;
    }
    state
        .audit(
            &context,
            AuditEvent {
                actor: &caller.username,
                action: AuditAction::Logout,
                device: None,
                target: None,
                outcome: "ok".into(),
            },
        )
        .await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, state.cookie.clear()?)],
    )
        .into_response())
}

/// Change one's own password; every other session of the user ends.
#[utoipa::path(put, path = "/api/v1/session/password", request_body = ChangePasswordRequest, responses(
    (status = 204, description = "changed"), (status = 400, body = shared::api::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    AppJson(change): AppJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    if caller.session_hash.is_none() {
        return Err(ApiError::Forbidden);
    }
    validate_password(&change.new_password)
        .map_err(|e| ApiError::validation("newPassword", format!("New password {e}")))?;
    if change.new_password == change.current_password {
        return Err(ApiError::validation(
            "newPassword",
            "New password must differ from the current one",
        ));
    }
    let stored = state
        .db
        .user(caller.username.clone())
        .await?
        .map(|u| u.password_hash);
    if !password::verify(stored, change.current_password).await? {
        return Err(ApiError::validation(
            "currentPassword",
            "Current password is not correct",
        ));
    }
    let hash = password::hash(change.new_password).await?;
    state
        .db
        .set_password(
            caller.username.clone(),
            hash,
            false,
            caller.session_hash.clone(),
        )
        .await?;
    state
        .audit(
            &context,
            AuditEvent {
                actor: &caller.username,
                action: AuditAction::PasswordChanged,
                device: None,
                target: Some(caller.username.clone()),
                outcome: "ok".into(),
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
