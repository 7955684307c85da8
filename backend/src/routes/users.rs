//! User management for admins: list, create (with a one-time password), change role or
//! enable/disable, reset password. The last enabled admin cannot be demoted or disabled.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use shared::api::{
    AuditAction, CreateUserRequest, CreateUserResponse, ResetPasswordResponse, Role,
    UpdateUserRequest, UserSummary, UsersResponse, validate_username,
};

use super::AppJson;
use crate::audit::AuditEvent;
use crate::auth::{Caller, RequestContext, password};
use crate::db::UserChange;
use crate::error::ApiError;
use crate::state::AppState;

/// All users.
#[utoipa::path(get, path = "/api/v1/users", responses((status = 200, body = UsersResponse)))]
pub async fn list_users(State(state): State<AppState>) -> Result<Json<UsersResponse>, ApiError> {
    Ok(Json(UsersResponse {
        users: state.db.users().await?,
    }))
}

/// Creates a user with a one-time password (shown once; must be changed at first login).
#[utoipa::path(post, path = "/api/v1/users", request_body = CreateUserRequest,
    responses((status = 201, body = CreateUserResponse), (status = 400, body = shared::api::ErrorBody), (status = 409, body = shared::api::ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    AppJson(request): AppJson<CreateUserRequest>,
) -> Result<(StatusCode, Json<CreateUserResponse>), ApiError> {
    validate_username(&request.username)
        .map_err(|e| ApiError::validation("username", format!("User name {e}")))?;
    let one_time_password = password::generate();
    let hash = password::hash(one_time_password.clone()).await?;
    let now = state.clock.now_ms();
    if !state
        .db
        .create_user(request.username.clone(), hash, request.role, true, now)
        .await?
    {
        return Err(ApiError::Conflict {
            message: format!("A user named \"{}\" already exists.", request.username),
            current_tags: None,
        });
    }
    state
        .audit(
            &context,
            AuditEvent {
                actor: &caller.username,
                action: AuditAction::UserCreated,
                device: None,
                target: Some(request.username.clone()),
                outcome: format!("role {}", request.role.as_str()),
            },
        )
        .await?;
    let user = state
        .db
        .user(request.username.clone())
        .await?
        .ok_or_else(|| ApiError::internal("user vanished after creation"))?;
    Ok((
        StatusCode::CREATED,
        Json(CreateUserResponse {
            user: user.summary,
            one_time_password,
        }),
    ))
}

async fn would_remove_last_admin(
    state: &AppState,
    username: &str,
    change: &UpdateUserRequest,
) -> Result<bool, ApiError> {
    let demotes = change.role.is_some_and(|r| r != Role::Admin);
    let disables = change.enabled == Some(false);
    if !demotes && !disables {
        return Ok(false);
    }
    let users = state.db.users().await?;
    let admins: Vec<&UserSummary> = users
        .iter()
        .filter(|u| u.role == Role::Admin && u.enabled)
        .collect();
    Ok(admins.len() == 1 && admins[0].username == username)
}

/// Changes a user's role or enables/disables them (disabling ends their sessions at once).
#[utoipa::path(patch, path = "/api/v1/users/{username}", request_body = UpdateUserRequest, params(("username" = String, Path, description = "user name")),
    responses((status = 200, body = UserSummary), (status = 404, body = shared::api::ErrorBody), (status = 409, body = shared::api::ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    Path(username): Path<String>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
    AppJson(change): AppJson<UpdateUserRequest>,
) -> Result<Json<UserSummary>, ApiError> {
    if would_remove_last_admin(&state, &username, &change).await? {
        return Err(ApiError::Conflict {
            message: "This is the last enabled admin: make another user admin first.".into(),
            current_tags: None,
        });
    }
    let user = state
        .db
        .update_user(
            username.clone(),
            UserChange {
                role: change.role,
                enabled: change.enabled,
            },
        )
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("User \"{username}\"")))?;
    let mut what = Vec::new();
    if let Some(role) = change.role {
        what.push(format!("role {}", role.as_str()));
    }
    if let Some(enabled) = change.enabled {
        what.push(if enabled {
            "enabled".to_owned()
        } else {
            "disabled".to_owned()
        });
    }
    state
        .audit(
            &context,
            AuditEvent {
                actor: &caller.username,
                action: AuditAction::UserUpdated,
                device: None,
                target: Some(username),
                outcome: what.join(", "),
            },
        )
        .await?;
    Ok(Json(user))
}

/// Gives a user a new one-time password and ends their sessions.
#[utoipa::path(post, path = "/api/v1/users/{username}/password-reset", params(("username" = String, Path, description = "user name")),
    responses((status = 200, body = ResetPasswordResponse), (status = 404, body = shared::api::ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Path(username): Path<String>,
    Extension(caller): Extension<Caller>,
    Extension(context): Extension<RequestContext>,
) -> Result<Json<ResetPasswordResponse>, ApiError> {
    let one_time_password = password::generate();
    let hash = password::hash(one_time_password.clone()).await?;
    if !state
        .db
        .set_password(username.clone(), hash, true, None)
        .await?
    {
        return Err(ApiError::NotFound(format!("User \"{username}\"")));
    }
    state
        .audit(
            &context,
            AuditEvent {
                actor: &caller.username,
                action: AuditAction::PasswordReset,
                device: None,
                target: Some(username),
                outcome: "ok".into(),
            },
        )
        .await?;
    Ok(Json(ResetPasswordResponse { one_time_password }))
}
