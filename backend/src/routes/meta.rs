//! Health, readiness, metrics, the OpenAPI document, and what answers when no route matches:
//! a JSON 404 under `api/`, a file of the web app, or the app itself (client-side routes).

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use crate::error::ApiError;
use crate::state::AppState;

/// The generated OpenAPI 3 document of the whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "lem-panel API",
        description = "Web console for the Docker registry of Litmus Edge Manager devices. All paths are relative to the configured base path. State-changing requests need the header `x-lem-panel: 1`."
    ),
    paths(
        healthz,
        readyz,
        metrics,
        openapi,
        super::session::log_in,
        super::session::get_session,
        super::session::log_out,
        super::session::change_password,
        super::tokens::list_tokens,
        super::tokens::create_token,
        super::tokens::revoke_token,
        super::devices::list_devices,
        super::devices::get_registry_status,
        super::images::list_images,
        super::images::delete_image,
        super::imports::start_import,
        super::imports::list_jobs,
        super::imports::get_job,
        super::users::list_users,
        super::users::create_user,
        super::users::update_user,
        super::users::reset_password,
        super::audit::list_audit,
        super::audit::export_audit,
    )
)]
pub struct ApiDoc;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "alive", body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", responses((status = 200, description = "ready", body = String), (status = 503, body = shared::api::ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    match state
        .db
        .call(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
        .await
    {
        Ok(_) => Ok("ready"),
        Err(_) => Err(ApiError::Unavailable("The database is not ready.".into())),
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "Prometheus text", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let jobs = state.db.job_counts().await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(&jobs),
    )
        .into_response())
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "OpenAPI 3 document")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// No route matched: JSON 404 for the API, files of the web app, else the app (it routes itself).
pub async fn fallback(State(state): State<AppState>, request: Request) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    if path == "api" || path.starts_with("api/") {
        return ApiError::NotFound("API route".into()).into_response();
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return ApiError::MethodNotAllowed.into_response();
    }
    if state.web.has(path) {
        return state.web.file(path, request.headers());
    }
    let mut response = state.web.index();
    if !state.web.built {
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    response
}

/// A known route called with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
