//! The error envelope every failing panel response carries: `{ "error": { "code", "message" } }`.

use serde::{Deserialize, Serialize};

/// Body of every non-2xx panel response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// One error: a stable machine-readable code and a sentence for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// Stable code; the web app chooses its wording and banners by it.
    pub code: ErrorCode,
    /// A sentence a person can act on. Never raw device output, HTML or debug text.
    pub message: String,
    /// For validation errors: the request field at fault (wire name, e.g. `internalTag`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What to do about it, when that differs by audience (e.g. "ask an admin to update the token").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// For a refused deletion (409): the `name:tag` set that would disappear now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_tags: Option<Vec<String>>,
}

impl ErrorDetail {
    /// An error with a code and message only.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            hint: None,
            current_tags: None,
        }
    }
}

/// Stable error codes. The HTTP status for each is fixed by the server (see its `ApiError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: a request field failed validation; `field` names it.
    Validation,
    /// 400: the body is not the JSON the route expects.
    InvalidJson,
    /// 401: no valid panel session (log in).
    Unauthenticated,
    /// 403: logged in, but the role does not allow this.
    Forbidden,
    /// 403: a state-changing request without the app's header or from another site.
    CsrfRejected,
    /// 403: the user must change the one-time password first.
    PasswordChangeRequired,
    /// 404: no such panel route, device, job or user.
    NotFound,
    /// 405: the route exists but not with this method.
    MethodNotAllowed,
    /// 409: the state changed since the user looked (e.g. the tags sharing a digest).
    Conflict,
    /// 413: the request body is too large.
    PayloadTooLarge,
    /// 415: the request body is not `application/json`.
    UnsupportedMediaType,
    /// 429: too many attempts; `Retry-After` says when to try again.
    TooManyRequests,
    /// 500: a fault in the panel itself (details are in the server log).
    Internal,
    /// 503: the panel is busy or shutting down.
    Unavailable,
    /// 502: the device could not be reached (connection refused, DNS, connect timeout).
    DeviceUnreachable,
    /// 502: the configured outbound proxy could not be reached or refused the tunnel.
    DeviceProxy,
    /// 502: the device's TLS certificate was not accepted (untrusted, pin mismatch, expired, …).
    DeviceTls,
    /// 502: the device rejected the panel's API token (device 401).
    DeviceAuth,
    /// 502: the device's token lacks permission for this operation (device 403).
    DeviceForbidden,
    /// 400: the device rejected the request's parameters (device 400).
    DeviceBadRequest,
    /// 404: the device says the target does not exist (device 404).
    DeviceNotFound,
    /// 502: the device does not support the operation (device 405/501, e.g. deletion disabled).
    DeviceUnsupported,
    /// 502: the device failed (5xx).
    DeviceError,
    /// 502: the device answered 2xx but reported failure (`code` other than `"S"`).
    DeviceRefused,
    /// 502: the device's answer was not what its API documents (HTML, truncated, wrong shape).
    DeviceBadResponse,
    /// 504: the device did not answer in time.
    DeviceTimeout,
    /// A code this version of the web app does not know (forward compatibility).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// Whether the fault lies with the device or the panel's connection to it (not the user).
    pub fn is_device_problem(self) -> bool {
        matches!(
            self,
            Self::DeviceUnreachable
                | Self::DeviceProxy
                | Self::DeviceTls
                | Self::DeviceAuth
                | Self::DeviceForbidden
                | Self::DeviceUnsupported
                | Self::DeviceError
                | Self::DeviceRefused
                | Self::DeviceBadResponse
                | Self::DeviceTimeout
        )
    }
}
