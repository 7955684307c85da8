//! The web app's one error type, [`ApiError`], and the sentences people see for it. Pure (the
//! HTTP funnel in `api.rs` builds the values), so every message is unit-tested.

use shared::api::{ErrorCode, ErrorDetail};

/// Why a call to the panel's API did not give the expected answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The panel could not be reached at all (network down, server stopped, request blocked).
    Network,
    /// The panel answered with its JSON error envelope.
    Server {
        /// HTTP status.
        status: u16,
        /// The envelope's detail.
        detail: ErrorDetail,
        /// Seconds from a `Retry-After` header (429).
        retry_after_secs: Option<u64>,
    },
    /// The panel answered something other than its JSON (a proxy's HTML page, a cut-off body).
    BadResponse {
        /// HTTP status.
        status: u16,
    },
}

impl ApiError {
    /// Builds a server error from a status and a parsed envelope.
    pub fn server(status: u16, detail: ErrorDetail, retry_after_secs: Option<u64>) -> Self {
        Self::Server {
            status,
            detail,
            retry_after_secs,
        }
    }

    /// The stable code, when the panel sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Server { detail, .. } => Some(detail.code),
            _ => None,
        }
    }

    /// The envelope, when the panel sent one.
    pub fn detail(&self) -> Option<&ErrorDetail> {
        match self {
            Self::Server { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// Whether the session is gone (log in again).
    pub fn is_unauthenticated(&self) -> bool {
        self.code() == Some(ErrorCode::Unauthenticated)
    }

    /// Whether the user must change a one-time password before anything else.
    pub fn is_password_change_required(&self) -> bool {
        self.code() == Some(ErrorCode::PasswordChangeRequired)
    }

    /// Whether the fault lies with the device or the panel's connection to it.
    pub fn is_device_problem(&self) -> bool {
        self.code().is_some_and(ErrorCode::is_device_problem)
    }

    /// Whether the device could not be reached at all with the panel's token: connection,
    /// proxy, TLS or the token itself (what every device call, the status check included, meets
    /// first).
    pub fn is_connection_problem(&self) -> bool {
        matches!(
            self.code(),
            Some(
                ErrorCode::DeviceUnreachable
                    | ErrorCode::DeviceProxy
                    | ErrorCode::DeviceTls
                    | ErrorCode::DeviceAuth
            )
        )
    }

    /// The request field a validation error is about (wire name, e.g. `internalTag`).
    pub fn field(&self) -> Option<&str> {
        self.detail().and_then(|d| d.field.as_deref())
    }

    /// The main sentence to show.
    pub fn headline(&self) -> String {
        let detail = match self {
            Self::Network => {
                return "Could not reach the lem-panel server. Check your network connection and try again."
                    .to_owned();
            }
            Self::BadResponse { status } => {
                return format!(
                    "The lem-panel server sent an unexpected answer (HTTP {status}). Try again; if it keeps happening, a proxy in front of the panel may be interfering."
                );
            }
            Self::Server { detail, .. } => detail,
        };
        let fixed = match detail.code {
            ErrorCode::Unauthenticated => "Your session has ended. Log in again.",
            ErrorCode::Forbidden => {
                "This is not allowed for your role. Ask an admin if you need it."
            }
            ErrorCode::PasswordChangeRequired => {
                "Choose a new password before continuing (the current one was a one-time password)."
            }
            ErrorCode::CsrfRejected => {
                "The panel refused the request because it did not come from this page. Reload the page and try again."
            }
            ErrorCode::TooManyRequests => return self.too_many_requests(),
            ErrorCode::Internal => {
                "The panel hit an internal error. Try again; if it keeps happening, an admin can find the details in the server log."
            }
            ErrorCode::Unavailable => "The panel is busy or restarting. Try again in a moment.",
            ErrorCode::PayloadTooLarge => "The request was too large for the panel.",
            _ => "",
        };
        if !fixed.is_empty() {
            return fixed.to_owned();
        }
        if detail.message.trim().is_empty() {
            return fallback_message(detail.code).to_owned();
        }
        detail.message.clone()
    }

    /// A second sentence saying what to do, when the server sent one.
    pub fn hint(&self) -> Option<String> {
        self.detail()
            .and_then(|d| d.hint.clone())
            .filter(|h| !h.trim().is_empty())
    }

    fn too_many_requests(&self) -> String {
        match self {
            Self::Server {
                retry_after_secs: Some(secs),
                ..
            } => format!(
                "Too many attempts. Try again in {}.",
                crate::format::format_duration(
                    i64::try_from(*secs).unwrap_or(i64::MAX / 1000) * 1000
                )
            ),
            _ => "Too many attempts. Wait a few minutes and try again.".to_owned(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.headline())
    }
}

impl std::error::Error for ApiError {}

/// Wording when the server sent a code but no message.
fn fallback_message(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Validation | ErrorCode::InvalidJson => "Some of the values were not accepted.",
        ErrorCode::NotFound => "That was not found. It may have been removed.",
        ErrorCode::Conflict => {
            "Something changed since you looked. Review the current state and try again."
        }
        ErrorCode::DeviceUnreachable => "The device could not be reached.",
        ErrorCode::DeviceAuth => {
            "The device rejected the panel's token. Ask an admin to update it."
        }
        ErrorCode::DeviceForbidden => {
            "The device's token lacks permission for this. Ask an admin to use an administrator-scope token."
        }
        ErrorCode::DeviceTls => "The device's TLS certificate was not accepted.",
        ErrorCode::DeviceTimeout => "The device did not answer in time.",
        _ => "Something went wrong. Try again.",
    }
}

/// Whether a status is "not found" in either the panel or the device.
pub fn is_not_found(error: &ApiError) -> bool {
    matches!(
        error.code(),
        Some(ErrorCode::NotFound | ErrorCode::DeviceNotFound)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(code: ErrorCode, message: &str) -> ApiError {
        ApiError::server(500, ErrorDetail::new(code, message), None)
    }

    #[test]
    fn device_errors_show_the_servers_sentence_and_hint() {
        let mut detail = ErrorDetail::new(
            ErrorCode::DeviceUnreachable,
            "Could not connect to lem.example on port 8446 (connection refused).",
        );
        detail.hint = Some("Check that port 8446 is open.".to_owned());
        let e = ApiError::server(502, detail, None);
        assert!(e.is_device_problem());
        assert!(e.headline().contains("port 8446"));
        assert_eq!(e.hint().as_deref(), Some("Check that port 8446 is open."));
    }

    #[test]
    fn role_and_session_errors_use_fixed_wording() {
        assert!(
            server(ErrorCode::Forbidden, "nope")
                .headline()
                .contains("not allowed for your role")
        );
        let e = server(ErrorCode::Unauthenticated, "");
        assert!(e.is_unauthenticated());
        assert!(e.headline().contains("Log in again"));
    }

    #[test]
    fn throttling_says_when_to_retry() {
        let e = ApiError::server(
            429,
            ErrorDetail::new(ErrorCode::TooManyRequests, ""),
            Some(90),
        );
        assert_eq!(e.headline(), "Too many attempts. Try again in 1 min 30 s.");
    }

    #[test]
    fn no_raw_text_is_shown_for_non_json_answers() {
        let e = ApiError::BadResponse { status: 502 };
        assert!(e.headline().contains("HTTP 502"));
        assert!(!e.headline().contains('<'));
        assert!(ApiError::Network.headline().contains("Could not reach"));
    }

    #[test]
    fn empty_messages_fall_back_to_a_sentence() {
        assert!(
            server(ErrorCode::DeviceAuth, " ")
                .headline()
                .contains("Ask an admin")
        );
        assert!(
            server(ErrorCode::Unknown, "")
                .headline()
                .contains("Try again")
        );
    }

    #[test]
    fn validation_errors_name_their_field() {
        let mut detail = ErrorDetail::new(ErrorCode::Validation, "Internal tag must not be empty");
        detail.field = Some("internalTag".to_owned());
        let e = ApiError::server(400, detail, None);
        assert_eq!(e.field(), Some("internalTag"));
        assert_eq!(e.headline(), "Internal tag must not be empty");
    }
}
