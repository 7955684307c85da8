//! Cross-cutting response handling: security headers on every response (HTML, WASM, JSON and
//! errors alike), request ids, per-route time limits, `no-store` on API answers, the JSON error
//! envelope for errors produced by layers rather than handlers, request metrics, and the base
//! path.

use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower::ServiceExt;
use tower_http::request_id::{MakeRequestId, RequestId};

use crate::error::ApiError;
use crate::routes::RouteLimits;
use crate::state::AppState;

/// Random 128-bit request ids (hex).
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&hex::encode(rand::random::<[u8; 16]>()))
            .ok()
            .map(RequestId::new)
    }
}

/// Drops a client-supplied `x-request-id` unless it is a short token of safe characters, so
/// ids in logs and the audit trail are either ours or harmless; a fresh one is then made.
pub async fn sanitize_request_id(mut request: Request) -> Request {
    let valid = request.headers().get("x-request-id").is_some_and(|v| {
        let bytes = v.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= 64
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    if !valid {
        request.headers_mut().remove("x-request-id");
    }
    request
}

/// The matched route template, attached to responses by the guard for metrics.
#[derive(Debug, Clone, Copy)]
pub struct RouteLabel(pub &'static str);

fn error_for_status(status: StatusCode) -> ApiError {
    match status {
        StatusCode::UNAUTHORIZED => ApiError::Unauthenticated,
        StatusCode::FORBIDDEN => ApiError::Forbidden,
        StatusCode::NOT_FOUND => ApiError::NotFound("API route".into()),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => ApiError::Unavailable(
            "The panel could not finish the request in time; try again.".into(),
        ),
        s if s.is_client_error() => ApiError::InvalidJson("the request is malformed".into()),
        _ => ApiError::internal(format!("layer answered {status}")),
    }
}

/// Applies the API error envelope, `no-store` on API answers and metrics to every routed
/// response (security headers come from [`security_headers`], outside the base path).
pub async fn finish(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let is_api = request.uri().path().starts_with("/api/");
    // A declared length over the limit is refused before any handler runs; bodies without a
    // length are cut off by `DefaultBodyLimit` when read.
    let too_large = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|len| len > state.config.limits.body_bytes);
    let mut response = if too_large {
        ApiError::PayloadTooLarge.into_response()
    } else {
        next.run(request).await
    };
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_api && (status.is_client_error() || status.is_server_error()) && !is_json {
        let label = response.extensions().get::<RouteLabel>().copied();
        response = error_for_status(status).into_response();
        if let Some(label) = label {
            response.extensions_mut().insert(label);
        }
    }
    if is_api {
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let route = response
        .extensions()
        .get::<RouteLabel>()
        .map_or("unmatched", |l| l.0);
    state
        .metrics
        .record_request(method.as_str(), route, response.status().as_u16());
    response
}

/// Ends a request that runs past its route's limit ([`RouteLimits`]) with 503; [`finish`]
/// turns that into the JSON envelope on API paths. The route is matched already here (this
/// runs inside the router), so device routes get their longer limits.
pub async fn time_limit(
    State(limits): State<Arc<RouteLimits>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str());
    let limit = limits.for_route(request.method(), route);
    tokio::time::timeout(limit, next.run(request))
        .await
        .unwrap_or_else(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())
}

/// Sets the security headers on a response. It wraps the whole router, base path handling
/// included, so the redirect to `base/` and the 404s outside the base path carry them too.
pub async fn security_headers(State(csp): State<HeaderValue>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert("content-security-policy", csp);
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    response
}

/// Serves `inner` under `base` (e.g. `/registry`): `/registry` redirects to `/registry/`,
/// `/registry/…` reaches `inner` with the prefix removed, anything else is 404.
pub fn under_base_path(base: &str, inner: Router) -> Router {
    if base == "/" {
        return inner;
    }
    let base = base.to_owned();
    Router::new().fallback(move |request: Request| {
        let inner = inner.clone();
        let base = base.clone();
        async move {
            let path = request.uri().path();
            if path == base {
                let query = request
                    .uri()
                    .query()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default();
                return Redirect::permanent(&format!("{base}/{query}")).into_response();
            }
            let Some(rest) = path.strip_prefix(&base).filter(|r| r.starts_with('/')) else {
                return (StatusCode::NOT_FOUND, "not found").into_response();
            };
            let path_and_query = match request.uri().query() {
                Some(q) => format!("{rest}?{q}"),
                None => rest.to_owned(),
            };
            let (mut parts, body) = request.into_parts();
            match path_and_query.parse::<Uri>() {
                Ok(uri) => parts.uri = uri,
                Err(_) => return (StatusCode::BAD_REQUEST, "bad path").into_response(),
            }
            inner
                .oneshot(Request::from_parts(parts, body))
                .await
                .unwrap_or_else(|e| match e {})
        }
    })
}
