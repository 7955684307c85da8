//! The panel's one error type. Every failing response carries the shared envelope
//! `{ "error": { "code", "message" } }`; internal details go to the log, never to the client.
//! Device failures are mapped to panel statuses in exactly one place: [`device_error`].

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lem_client::{BadResponseKind, DeviceError, TimeoutStage, TlsFailure};
use shared::api::{ErrorBody, ErrorCode, ErrorDetail};

/// Result with [`ApiError`] as the default error.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Why a panel request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a field failed validation.
    #[error("{message}")]
    Validation {
        /// Wire name of the field.
        field: &'static str,
        /// Sentence for the user, starting with the field's label.
        message: String,
    },
    /// 400: the body is not valid JSON for this route.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// 401: no valid session.
    #[error("not logged in")]
    Unauthenticated,
    /// 401: wrong user name or password (the same for both, on purpose).
    #[error("login failed")]
    LoginFailed,
    /// 403: the role does not allow this.
    #[error("not allowed for your role")]
    Forbidden,
    /// 403: failed the same-origin / custom-header check.
    #[error("cross-site request refused")]
    Csrf,
    /// 403: a one-time password must be changed first.
    #[error("password change required")]
    PasswordChangeRequired,
    /// 404: no such thing.
    #[error("{0} not found")]
    NotFound(String),
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: state changed since the user looked.
    #[error("{message}")]
    Conflict {
        /// Sentence for the user.
        message: String,
        /// For deletions: the tags that now share the digest.
        current_tags: Option<Vec<String>>,
    },
    /// 413.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 415.
    #[error("request body must be application/json")]
    UnsupportedMediaType,
    /// 429 with `Retry-After`.
    #[error("too many attempts")]
    TooManyRequests {
        /// Seconds until the next attempt may succeed.
        retry_after_secs: u64,
    },
    /// 503: busy (e.g. too many device calls in flight) or shutting down.
    #[error("{0}")]
    Unavailable(String),
    /// A device call failed; see [`device_error`] for the status.
    #[error("device {device}: {error}")]
    Device {
        /// Display name of the device.
        device: String,
        /// What happened.
        error: DeviceError,
    },
    /// 500: a fault in the panel (logged; the client sees a generic sentence).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A validation error for `field` (wire name) with a sentence.
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field,
            message: message.into(),
        }
    }

    /// A 500 for an internal fault, keeping the detail for the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    /// The HTTP status and the envelope's detail.
    pub fn to_parts(&self) -> (StatusCode, ErrorDetail) {
        let plain = |status, code, message: &str| (status, ErrorDetail::new(code, message));
        match self {
            Self::Validation { field, message } => (
                StatusCode::BAD_REQUEST,
                ErrorDetail {
                    field: Some((*field).to_owned()),
                    ..ErrorDetail::new(ErrorCode::Validation, message.clone())
                },
            ),
            Self::InvalidJson(why) => plain(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidJson,
                &format!("The request body is not valid: {why}"),
            ),
            Self::Unauthenticated => plain(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "You are not logged in, or your session has ended. Please log in.",
            ),
            Self::LoginFailed => plain(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "Wrong user name or password.",
            ),
            Self::Forbidden => plain(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "Not allowed for your role. Ask an admin if you need this.",
            ),
            Self::Csrf => plain(
                StatusCode::FORBIDDEN,
                ErrorCode::CsrfRejected,
                "This request did not come from the panel's own pages and was refused.",
            ),
            Self::PasswordChangeRequired => plain(
                StatusCode::FORBIDDEN,
                ErrorCode::PasswordChangeRequired,
                "Choose a new password before continuing (your current one was a one-time password).",
            ),
            Self::NotFound(what) => plain(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                &format!("{what} not found."),
            ),
            Self::MethodNotAllowed => plain(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "This route does not accept that HTTP method.",
            ),
            Self::Conflict {
                message,
                current_tags,
            } => (
                StatusCode::CONFLICT,
                ErrorDetail {
                    current_tags: current_tags.clone(),
                    ..ErrorDetail::new(ErrorCode::Conflict, message.clone())
                },
            ),
            Self::PayloadTooLarge => plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                "The request body is too large.",
            ),
            Self::UnsupportedMediaType => plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "Send the request body as application/json.",
            ),
            Self::TooManyRequests { retry_after_secs } => plain(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyRequests,
                &format!("Too many failed attempts. Try again in {retry_after_secs} seconds."),
            ),
            Self::Unavailable(why) => {
                plain(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable, why)
            }
            Self::Device { device, error } => device_error(device, error),
            Self::Internal(_) => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "The panel hit an internal error. The details are in the server log.",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail) = self.to_parts();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else if status == StatusCode::BAD_GATEWAY || status == StatusCode::GATEWAY_TIMEOUT {
            tracing::warn!(error = %self, "device call failed");
        } else {
            tracing::debug!(error = %self, "request refused");
        }
        let mut response = (status, Json(ErrorBody { error: detail })).into_response();
        if let Self::TooManyRequests { retry_after_secs } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

fn with_hint(code: ErrorCode, message: String, hint: &str) -> ErrorDetail {
    ErrorDetail {
        hint: Some(hint.to_owned()),
        ..ErrorDetail::new(code, message)
    }
}

fn said(message: &Option<String>) -> String {
    message
        .as_ref()
        .map(|m| format!(" The device said: \"{m}\"."))
        .unwrap_or_default()
}

/// The one mapping from a device failure to a panel status, code and message. A device 401 is
/// never passed on as 401: the browser would take it as the end of its own session.
pub fn device_error(device: &str, error: &DeviceError) -> (StatusCode, ErrorDetail) {
    use DeviceError as E;
    let bad_gateway = StatusCode::BAD_GATEWAY;
    match error {
        E::Unreachable { endpoint, reason } => (
            bad_gateway,
            with_hint(
                ErrorCode::DeviceUnreachable,
                format!("Could not connect to device \"{device}\" at {endpoint}: {reason}."),
                "Check that the device is running and that its admin port is open from the panel's host (minimal installs often firewall port 8446).",
            ),
        ),
        E::Proxy { proxy, reason } => (
            bad_gateway,
            with_hint(
                ErrorCode::DeviceProxy,
                format!(
                    "Could not connect to proxy {proxy} on the way to device \"{device}\": {reason}."
                ),
                "Check the panel's HTTPS_PROXY and NO_PROXY environment, or set proxy = \"none\" for this device.",
            ),
        ),
        E::Tls {
            endpoint,
            kind,
            presented_sha256,
        } => {
            let presented = presented_sha256
                .as_ref()
                .map(|fp| format!(" It presented a certificate with SHA-256 fingerprint {fp}."))
                .unwrap_or_default();
            let hint = match kind {
                TlsFailure::Untrusted => {
                    "Pin the device's certificate (tls = \"pin\" with its SHA-256 fingerprint) or configure its CA file (tls = \"ca\"). The panel never falls back to plain HTTP."
                }
                TlsFailure::PinMismatch => {
                    "If the device's certificate was renewed on purpose, an admin must update the pinned fingerprint; otherwise something else is answering at this address."
                }
                TlsFailure::Expired => "Renew the device's certificate, or pin it (tls = \"pin\").",
                TlsFailure::NameMismatch => {
                    "Use the host name the certificate was issued for in the device URL, or pin the certificate (tls = \"pin\")."
                }
                TlsFailure::Handshake => {
                    "Check that the URL points at the device's HTTPS admin port."
                }
            };
            (
                bad_gateway,
                with_hint(
                    ErrorCode::DeviceTls,
                    format!(
                        "The certificate of device \"{device}\" at {endpoint} was not accepted: {kind}.{presented}"
                    ),
                    hint,
                ),
            )
        }
        E::Timeout {
            endpoint,
            stage,
            after,
        } => (
            StatusCode::GATEWAY_TIMEOUT,
            with_hint(
                ErrorCode::DeviceTimeout,
                format!(
                    "Device \"{device}\" at {endpoint} did not {stage} within {} seconds.",
                    after.as_secs()
                ),
                match stage {
                    TimeoutStage::Response => {
                        "The device may be busy or restarting. Try again; if it keeps happening, check the device."
                    }
                },
            ),
        ),
        E::ConnectionLost { endpoint } => (
            bad_gateway,
            with_hint(
                ErrorCode::DeviceUnreachable,
                format!(
                    "The connection to device \"{device}\" at {endpoint} closed before it answered."
                ),
                "The device may be restarting. Check the image list before trying again.",
            ),
        ),
        E::Unauthorized => (
            bad_gateway,
            with_hint(
                ErrorCode::DeviceAuth,
                format!("Device \"{device}\" rejected the panel's API token (HTTP 401)."),
                "Ask an admin to update the device's token in the panel configuration: it may be wrong, expired or revoked.",
            ),
        ),
        E::Forbidden => (
            bad_gateway,
            with_hint(
                ErrorCode::DeviceForbidden,
                format!(
                    "Device \"{device}\" refused the operation: the panel's API token lacks permission (HTTP 403)."
                ),
                "Ask an admin to give the panel a token with Administrator scope on the device.",
            ),
        ),
        E::BadRequest { message } => (
            StatusCode::BAD_REQUEST,
            ErrorDetail::new(
                ErrorCode::DeviceBadRequest,
                format!(
                    "Device \"{device}\" rejected the request's parameters (HTTP 400).{}",
                    said(message)
                ),
            ),
        ),
        E::NotFound { message } => (
            StatusCode::NOT_FOUND,
            ErrorDetail::new(
                ErrorCode::DeviceNotFound,
                format!(
                    "Device \"{device}\" says the target does not exist (HTTP 404).{}",
                    said(message)
                ),
            ),
        ),
        E::Unsupported { status, message } => (
            bad_gateway,
            with_hint(
                ErrorCode::DeviceUnsupported,
                format!(
                    "The registry of device \"{device}\" does not support this operation (HTTP {status}).{}",
                    said(message)
                ),
                "Deletion may be disabled in the device's registry settings.",
            ),
        ),
        E::Server { status, message } | E::UnexpectedStatus { status, message } => (
            bad_gateway,
            ErrorDetail::new(
                ErrorCode::DeviceError,
                format!(
                    "Device \"{device}\" failed (HTTP {status}).{}",
                    said(message)
                ),
            ),
        ),
        E::Refused {
            code,
            message,
            details,
        } => {
            let details = details
                .as_ref()
                .map(|d| format!(" Details: \"{d}\"."))
                .unwrap_or_default();
            (
                bad_gateway,
                ErrorDetail::new(
                    ErrorCode::DeviceRefused,
                    format!(
                        "Device \"{device}\" reported failure (code \"{code}\").{}{details}",
                        said(message)
                    ),
                ),
            )
        }
        E::BadResponse {
            status,
            content_type,
            problem,
        } => {
            let what = match problem {
                BadResponseKind::Html => "an HTML page instead of JSON".to_owned(),
                other => other.to_string(),
            };
            let ct = content_type
                .as_deref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default();
            (
                bad_gateway,
                with_hint(
                    ErrorCode::DeviceBadResponse,
                    format!("Device \"{device}\" returned {what} (HTTP {status}{ct})."),
                    "Something between the panel and the device (a proxy or login page) may be answering instead of the device's API.",
                ),
            )
        }
        E::Config(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorDetail::new(
                ErrorCode::Internal,
                format!(
                    "The panel's configuration for device \"{device}\" is not usable; see the server log."
                ),
            ),
        ),
    }
}
