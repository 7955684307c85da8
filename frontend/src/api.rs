//! The one HTTP funnel to the panel's `/api/v1` (relative to the base path), and one function per
//! endpoint. Every request carries the CSRF header; the session is the HttpOnly cookie, so nothing
//! secret is ever stored in the browser. Failures become one [`ApiError`].

use gloo_net::http::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::api::{
    ApiTokensResponse, AuditResponse, ChangePasswordRequest, CreateApiTokenRequest,
    CreateApiTokenResponse, CreateUserRequest, CreateUserResponse, DeletionRequest,
    DeletionResponse, DevicesResponse, ErrorBody, ImagesResponse, ImportRequest, ImportResponse,
    Job, JobsResponse, LoginRequest, RegistryStatusResponse, ResetPasswordResponse,
    SessionResponse, UpdateUserRequest, UserSummary, UsersResponse,
};

use crate::browser::base_path;
use crate::error::ApiError;
use crate::labels::AuditFilter;
use crate::routes::{encode_component, query_string};

/// The absolute URL path of an API route (`api/v1/…` under the base path).
pub fn api_url(path: &str) -> String {
    format!("{}{}/{path}", base_path(), shared::API_PREFIX)
}

/// Sends one request and returns the successful response, or the error it carried.
async fn send(method: Method, path: &str, body: Option<String>) -> Result<Response, ApiError> {
    let builder = RequestBuilder::new(&api_url(path))
        .method(method)
        .header(shared::CSRF_HEADER, shared::CSRF_HEADER_VALUE)
        .header("accept", "application/json");
    let request = match body {
        Some(json) => builder
            .header("content-type", "application/json")
            .body(json),
        None => builder.build(),
    }
    .map_err(|_| ApiError::Network)?;
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    if response.ok() {
        Ok(response)
    } else {
        Err(error_from(&response).await)
    }
}

/// Reads the error envelope; anything else (a proxy's HTML page) is never shown, only its status.
async fn error_from(response: &Response) -> ApiError {
    let status = response.status();
    let retry_after_secs = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.trim().parse().ok());
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => ApiError::server(status, body.error, retry_after_secs),
        Err(_) => ApiError::BadResponse { status },
    }
}

async fn json_of<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|_| ApiError::BadResponse { status })?;
    serde_json::from_str(&text).map_err(|_| ApiError::BadResponse { status })
}

fn to_json<B: Serialize>(body: &B) -> Result<String, ApiError> {
    serde_json::to_string(body).map_err(|_| ApiError::Network)
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    json_of(send(Method::GET, path, None).await?).await
}

async fn with_body<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    json_of(send(method, path, Some(to_json(body)?)).await?).await
}

fn device_path(device: &str, rest: &str) -> String {
    format!("devices/{}/{rest}", encode_component(device))
}

/// `POST session`: logs in (sets the session cookie).
pub async fn login(request: LoginRequest) -> Result<SessionResponse, ApiError> {
    with_body(Method::POST, "session", &request).await
}

/// `GET session`: who is logged in.
pub async fn get_session() -> Result<SessionResponse, ApiError> {
    get("session").await
}

/// `DELETE session`: logs out.
pub async fn logout() -> Result<(), ApiError> {
    send(Method::DELETE, "session", None).await.map(drop)
}

/// `PUT session/password`: changes the user's own password.
pub async fn change_password(request: ChangePasswordRequest) -> Result<(), ApiError> {
    send(Method::PUT, "session/password", Some(to_json(&request)?))
        .await
        .map(drop)
}

/// `GET session/tokens`: the user's API tokens (404 when the panel has them turned off).
pub async fn list_tokens() -> Result<ApiTokensResponse, ApiError> {
    get("session/tokens").await
}

/// `POST session/tokens`: creates a token; the answer holds its secret, once.
pub async fn create_token(name: String) -> Result<CreateApiTokenResponse, ApiError> {
    with_body(
        Method::POST,
        "session/tokens",
        &CreateApiTokenRequest { name },
    )
    .await
}

/// `DELETE session/tokens/{id}`: revokes a token.
pub async fn revoke_token(id: i64) -> Result<(), ApiError> {
    send(Method::DELETE, &format!("session/tokens/{id}"), None)
        .await
        .map(drop)
}

/// `GET devices`.
pub async fn list_devices() -> Result<DevicesResponse, ApiError> {
    get("devices").await
}

/// `GET devices/{device}/images`.
pub async fn list_images(device: String) -> Result<ImagesResponse, ApiError> {
    get(&device_path(&device, "images")).await
}

/// `GET devices/{device}/registry`: 200 even when the device is unreachable.
pub async fn registry_status(device: String) -> Result<RegistryStatusResponse, ApiError> {
    get(&device_path(&device, "registry")).await
}

/// `POST devices/{device}/imports`: starts (or joins) an import job.
pub async fn start_import(
    device: String,
    request: ImportRequest,
) -> Result<ImportResponse, ApiError> {
    with_body(Method::POST, &device_path(&device, "imports"), &request).await
}

/// `POST devices/{device}/deletions`: deletes one manifest and reports what vanished.
pub async fn delete_image(
    device: String,
    request: DeletionRequest,
) -> Result<DeletionResponse, ApiError> {
    with_body(Method::POST, &device_path(&device, "deletions"), &request).await
}

/// `GET jobs` (optionally for one device), newest first.
pub async fn list_jobs(device: Option<String>) -> Result<JobsResponse, ApiError> {
    let query = query_string(&[("device", device.unwrap_or_default())]);
    get(&format!("jobs{query}")).await
}

/// `GET jobs/{id}`.
pub async fn get_job(id: i64) -> Result<Job, ApiError> {
    get(&format!("jobs/{id}")).await
}

/// `GET users`.
pub async fn list_users() -> Result<UsersResponse, ApiError> {
    get("users").await
}

/// `POST users`: creates a user and returns the one-time password.
pub async fn create_user(request: CreateUserRequest) -> Result<CreateUserResponse, ApiError> {
    with_body(Method::POST, "users", &request).await
}

/// `PATCH users/{username}`: changes role or enabled state.
pub async fn update_user(
    username: String,
    request: UpdateUserRequest,
) -> Result<UserSummary, ApiError> {
    let path = format!("users/{}", encode_component(&username));
    with_body(Method::PATCH, &path, &request).await
}

/// `POST users/{username}/password-reset`: returns a new one-time password.
pub async fn reset_password(username: String) -> Result<ResetPasswordResponse, ApiError> {
    let path = format!("users/{}/password-reset", encode_component(&username));
    json_of(send(Method::POST, &path, None).await?).await
}

/// `GET audit` with a filter.
pub async fn list_audit(filter: AuditFilter) -> Result<AuditResponse, ApiError> {
    get(&format!("audit{}", filter.query())).await
}

/// `GET audit/export` in `jsonl` or `csv`: fetched through the funnel (so it carries the CSRF
/// header and errors read like every other), then saved as a file.
pub async fn export_audit(filter: AuditFilter, format: &'static str) -> Result<(), ApiError> {
    let path = format!("audit/export{}", filter.export_query(format));
    let response = send(Method::GET, &path, None).await?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|_| ApiError::BadResponse { status })?;
    let (mime, extension) = match format {
        "csv" => ("text/csv", "csv"),
        _ => ("application/x-ndjson", "jsonl"),
    };
    crate::browser::save_file(&format!("lem-panel-audit.{extension}"), mime, &text);
    Ok(())
}
