//! Every route, with the role it needs, in one table, the device calls each device route
//! makes (which set its time limit), and the one router built from them. The guard refuses any
//! route missing from [`ROUTES`] (deny by default).

mod audit;
mod devices;
mod images;
mod imports;
mod limits;
mod meta;
mod session;
mod tokens;
mod users;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::Method;
use axum::routing::{get, post};
use lem_client::Operation;
use serde::de::DeserializeOwned;
use shared::api::Role;

use crate::error::ApiError;
use crate::state::AppState;

pub use limits::{LOCAL_LIMIT, RouteLimits};
pub use meta::ApiDoc;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health, login, API document).
    Public,
    /// Any logged-in user, even one who must still change a one-time password.
    Authenticated,
    /// Users with at least this global role.
    Role(Role),
    /// Users with at least this role on the `{device}` in the path.
    DeviceRole(Role),
}

/// One route: method, path (relative to the base path), access.
pub type RouteSpec = (Method, &'static str, Access);

/// The whole API on one screen.
#[rustfmt::skip]
pub static ROUTES: &[RouteSpec] = &[
    (Method::GET,    "/healthz",                                  Access::Public),
    (Method::GET,    "/readyz",                                   Access::Public),
    (Method::GET,    "/metrics",                                  Access::Public),
    (Method::GET,    "/api/v1/openapi.json",                      Access::Public),
    (Method::POST,   "/api/v1/session",                           Access::Public),
    (Method::GET,    "/api/v1/session",                           Access::Authenticated),
    (Method::DELETE, "/api/v1/session",                           Access::Authenticated),
    (Method::PUT,    "/api/v1/session/password",                  Access::Authenticated),
    (Method::GET,    "/api/v1/session/tokens",                    Access::Role(Role::Viewer)),
    (Method::POST,   "/api/v1/session/tokens",                    Access::Role(Role::Viewer)),
    (Method::DELETE, "/api/v1/session/tokens/{id}",               Access::Role(Role::Viewer)),
    (Method::GET,    "/api/v1/devices",                           Access::Role(Role::Viewer)),
    (Method::GET,    "/api/v1/devices/{device}/images",           Access::DeviceRole(Role::Viewer)),
    (Method::GET,    "/api/v1/devices/{device}/registry",         Access::DeviceRole(Role::Viewer)),
    (Method::POST,   "/api/v1/devices/{device}/imports",          Access::DeviceRole(Role::Operator)),
    (Method::POST,   "/api/v1/devices/{device}/deletions",        Access::DeviceRole(Role::Admin)),
    (Method::GET,    "/api/v1/jobs",                              Access::Role(Role::Viewer)),
    (Method::GET,    "/api/v1/jobs/{id}",                         Access::Role(Role::Viewer)),
    (Method::GET,    "/api/v1/users",                             Access::Role(Role::Admin)),
    (Method::POST,   "/api/v1/users",                             Access::Role(Role::Admin)),
    (Method::PATCH,  "/api/v1/users/{username}",                  Access::Role(Role::Admin)),
    (Method::POST,   "/api/v1/users/{username}/password-reset",   Access::Role(Role::Admin)),
    (Method::GET,    "/api/v1/audit",                             Access::Role(Role::Admin)),
    (Method::GET,    "/api/v1/audit/export",                      Access::Role(Role::Admin)),
];

/// The device calls each device route makes, one after the other. A route's time limit is what
/// these calls can take by the device's own timeouts (see [`RouteLimits`]); every route not
/// listed here calls no device and gets [`LOCAL_LIMIT`] (imports answer 202 at once and pull in
/// the background).
#[rustfmt::skip]
pub static DEVICE_CALLS: &[(Method, &str, &[Operation])] = &[
    (Method::GET,  "/api/v1/devices/{device}/images",    &[Operation::List]),
    (Method::GET,  "/api/v1/devices/{device}/registry",  &[Operation::Info]),
    (Method::POST, "/api/v1/devices/{device}/deletions", &[Operation::List, Operation::Delete, Operation::List]),
];

/// The access rule and route template for a matched route, if it is in the table.
pub fn access_for(method: &Method, path: &str) -> Option<(Access, &'static str)> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    ROUTES
        .iter()
        .find(|(m, p, _)| m == method && *p == path)
        .map(|(_, p, a)| (*a, *p))
}

/// The API and web routes (relative to the base path), guarded. Middleware is added in `lib.rs`.
pub fn api_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/readyz", get(meta::readyz))
        .route("/metrics", get(meta::metrics))
        .route("/api/v1/openapi.json", get(meta::openapi))
        .route(
            "/api/v1/session",
            post(session::log_in)
                .get(session::get_session)
                .delete(session::log_out),
        )
        .route(
            "/api/v1/session/password",
            axum::routing::put(session::change_password),
        )
        .route(
            "/api/v1/session/tokens",
            get(tokens::list_tokens).post(tokens::create_token),
        )
        .route(
            "/api/v1/session/tokens/{id}",
            axum::routing::delete(tokens::revoke_token),
        )
        .route("/api/v1/devices", get(devices::list_devices))
        .route("/api/v1/devices/{device}/images", get(images::list_images))
        .route(
            "/api/v1/devices/{device}/registry",
            get(devices::get_registry_status),
        )
        .route(
            "/api/v1/devices/{device}/imports",
            post(imports::start_import),
        )
        .route(
            "/api/v1/devices/{device}/deletions",
            post(images::delete_image),
        )
        .route("/api/v1/jobs", get(imports::list_jobs))
        .route("/api/v1/jobs/{id}", get(imports::get_job))
        .route(
            "/api/v1/users",
            get(users::list_users).post(users::create_user),
        )
        .route(
            "/api/v1/users/{username}",
            axum::routing::patch(users::update_user),
        )
        .route(
            "/api/v1/users/{username}/password-reset",
            post(users::reset_password),
        )
        .route("/api/v1/audit", get(audit::list_audit))
        .route("/api/v1/audit/export", get(audit::export_audit))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::guard,
        ))
        .fallback(meta::fallback)
        .method_not_allowed_fallback(meta::method_not_allowed)
        .with_state(state)
}

/// A numeric id from the path (`/jobs/{id}`): anything else names no such `what`, so it is
/// a 404 in the envelope rather than a body error.
pub fn parse_id(what: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .map_err(|_| ApiError::NotFound(format!("{what} {raw:?}")))
}

/// A JSON request body: `application/json`, a JSON *object* (serde would otherwise read an
/// array into a struct by position), rejections in the panel's envelope (400, 413, 415).
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

fn is_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
        .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"))
}

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::InvalidJson("the body could not be read".into())
            }
        })?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::InvalidJson(
                "the body must be a JSON object".into(),
            ));
        }
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|e| ApiError::InvalidJson(e.to_string()))
    }
}
