//! The device client's one error type: every way a device call can fail, told apart so the
//! panel can give each its own status and message. No variant ever holds the token; device
//! messages are redacted and shortened before they are stored here.

use std::time::Duration;

/// Why a device call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// No connection could be made (refused, DNS failure, network unreachable, reset, or no
    /// answer within the connect limit). Nothing was sent, so reads may retry it.
    #[error("could not connect to the device at {endpoint}: {reason}")]
    Unreachable {
        /// `host:port`.
        endpoint: String,
        /// What the network said, in words.
        reason: String,
    },
    /// The configured outbound proxy could not be reached or would not tunnel to the device.
    #[error("could not connect to proxy {proxy}: {reason}")]
    Proxy {
        /// `host:port` of the proxy (never its credentials).
        proxy: String,
        /// What went wrong, in words.
        reason: String,
    },
    /// The device's certificate was not accepted; no HTTP request was sent.
    #[error("the device's TLS certificate was not accepted ({kind})")]
    Tls {
        /// `host:port`.
        endpoint: String,
        /// Which check failed.
        kind: TlsFailure,
        /// SHA-256 fingerprint of the certificate the device presented, if one was seen.
        presented_sha256: Option<String>,
    },
    /// The connection closed after the request was sent and before an answer arrived
    /// (device restarting, proxy cut). The device may or may not have acted.
    #[error("the connection to the device at {endpoint} closed before it answered")]
    ConnectionLost {
        /// `host:port`.
        endpoint: String,
    },
    /// The device did not answer in time after the connection was made (the request may have
    /// reached it). A connect timeout is [`DeviceError::Unreachable`] instead.
    #[error("the device at {endpoint} did not {stage} within {} s", after.as_secs())]
    Timeout {
        /// `host:port`.
        endpoint: String,
        /// Which phase timed out.
        stage: TimeoutStage,
        /// The limit that was reached.
        after: Duration,
    },
    /// The device answered 401: the token is missing, wrong, expired or revoked.
    #[error("the device rejected the API token (HTTP 401)")]
    Unauthorized,
    /// The device answered 403: the token lacks permission (needs Administrator scope).
    #[error("the device's API token lacks permission for this operation (HTTP 403)")]
    Forbidden,
    /// The device answered 400: it rejected a parameter.
    #[error("the device rejected the request (HTTP 400){}", suffix(message))]
    BadRequest {
        /// The device's message, redacted and shortened.
        message: Option<String>,
    },
    /// The device answered 404: the target does not exist.
    #[error(
        "the device says the target does not exist (HTTP 404){}",
        suffix(message)
    )]
    NotFound {
        /// The device's message, redacted and shortened.
        message: Option<String>,
    },
    /// The device answered 405 or 501: it does not support the operation (e.g. deletion disabled).
    #[error(
        "the device does not support this operation (HTTP {status}){}",
        suffix(message)
    )]
    Unsupported {
        /// HTTP status.
        status: u16,
        /// The device's message, redacted and shortened.
        message: Option<String>,
    },
    /// The device answered 5xx with a JSON body.
    #[error("the device failed (HTTP {status}){}", suffix(message))]
    Server {
        /// HTTP status.
        status: u16,
        /// The device's message, redacted and shortened.
        message: Option<String>,
    },
    /// The device answered a status its API does not document for this call (3xx, other 4xx).
    #[error(
        "the device answered with unexpected HTTP status {status}{}",
        suffix(message)
    )]
    UnexpectedStatus {
        /// HTTP status.
        status: u16,
        /// The device's message, redacted and shortened.
        message: Option<String>,
    },
    /// The device answered 2xx, but its `{code, message, messageDetails}` envelope says failure.
    #[error("the device reported failure (code {code:?}){}", suffix(message))]
    Refused {
        /// The envelope's `code` (anything but `"S"`).
        code: String,
        /// The envelope's `message`, redacted and shortened.
        message: Option<String>,
        /// The envelope's `messageDetails`, redacted and shortened.
        details: Option<String>,
    },
    /// The answer was not what the API documents (HTML, truncated, wrong shape, too large).
    #[error("the device returned {problem} (HTTP {status}{})", content_type.as_ref().map(|c| format!(", {c}")).unwrap_or_default())]
    BadResponse {
        /// HTTP status of the answer.
        status: u16,
        /// The answer's `Content-Type`, if any (shortened).
        content_type: Option<String>,
        /// What was wrong with it.
        problem: BadResponseKind,
    },
    /// The client could not be built from its configuration.
    #[error("device client configuration: {0}")]
    Config(String),
}

fn suffix(message: &Option<String>) -> String {
    message
        .as_ref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

/// Which certificate check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TlsFailure {
    /// Issued by an unknown authority or self-signed, and not configured as trusted.
    #[error("not trusted: self-signed or unknown issuer")]
    Untrusted,
    /// The certificate does not match the pinned fingerprint.
    #[error("does not match the pinned SHA-256 fingerprint")]
    PinMismatch,
    /// The certificate has expired or is not yet valid.
    #[error("expired or not yet valid")]
    Expired,
    /// The certificate is not valid for the host name in the device URL.
    #[error("not valid for the device's host name")]
    NameMismatch,
    /// The handshake failed for another reason (protocol, signature, revoked…).
    #[error("TLS handshake failed")]
    Handshake,
}

/// Which phase of a call timed out. Only the answer can: connecting in time is part of
/// reaching the device, so a connect timeout is [`DeviceError::Unreachable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeoutStage {
    /// Waiting for or reading the answer.
    #[error("answer")]
    Response,
}

/// What was wrong with a device answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadResponseKind {
    /// An HTML page (a proxy error page or a login page).
    #[error("an HTML page instead of JSON")]
    Html,
    /// Something that is not JSON at all.
    #[error("a response that is not JSON")]
    NotJson,
    /// JSON cut off before its end.
    #[error("truncated JSON")]
    Truncated,
    /// JSON of the wrong shape for this call.
    #[error("JSON of an unexpected shape")]
    WrongShape,
    /// An empty body where JSON was expected.
    #[error("an empty response")]
    Empty,
    /// A body larger than the configured limit.
    #[error("a response larger than the configured limit")]
    TooLarge,
    /// The connection ended while reading the body.
    #[error("an incomplete response (connection closed mid-body)")]
    Incomplete,
}

impl DeviceError {
    /// Whether the device may have carried out the operation although the call failed
    /// (timeouts, dropped connections, 5xx, unreadable answers). Callers re-list to learn the
    /// truth rather than retry.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. }
                | Self::ConnectionLost { .. }
                | Self::Server { .. }
                | Self::BadResponse { .. }
                | Self::UnexpectedStatus { .. }
        )
    }
}
