//! Configured devices and their registry status.

use serde::{Deserialize, Serialize};

use super::{ErrorDetail, Role};

/// `GET /api/v1/devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DevicesResponse {
    /// Every configured device, in configuration order.
    pub devices: Vec<DeviceSummary>,
}

/// A configured device, as the browser may see it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeviceSummary {
    /// Id used in API paths.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Admin URL the panel calls (e.g. `https://lem.example:8446`).
    pub url: String,
    /// How the panel authenticates to the device.
    pub auth_mode: AuthMode,
    /// How the panel checks the device's certificate.
    pub tls_mode: TlsMode,
    /// SHA-256 fingerprint pinned for `pin` mode (lowercase hex, colon-separated).
    pub pinned_sha256: Option<String>,
    /// Host[:port] that `docker pull` uses to reach the device's registry, for copyable commands.
    pub registry_host: Option<String>,
    /// The current user's role on this device.
    pub role: Role,
}

/// How the panel sends the device token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// HTTP Basic with the token as user name and an empty password (the vendor page's default).
    Basic,
    /// An `X-AuthToken: <token>` header (the vendor's other docs and client code).
    XAuthToken,
}

/// How the panel checks the device's TLS certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Exactly the certificate with the configured SHA-256 fingerprint.
    Pin,
    /// System roots plus an extra CA / certificate file.
    Ca,
    /// System roots only.
    System,
    /// No verification at all (explicitly configured; shown as a warning).
    Insecure,
}

/// `GET /api/v1/devices/{device}/registry`: the device's registry info plus connection facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegistryStatusResponse {
    /// Device id.
    pub device: String,
    /// When the check ran (Unix milliseconds, UTC).
    pub checked_at_ms: i64,
    /// Whether the device answered the info call successfully.
    pub reachable: bool,
    /// Round-trip time of the info call, in milliseconds.
    pub round_trip_ms: Option<u64>,
    /// TLS mode in force.
    pub tls_mode: TlsMode,
    /// Certificate the device presented on the panel's connection, if one was seen.
    pub certificate: Option<CertificateInfo>,
    /// The device's own registry info, when it answered.
    pub registry: Option<RegistryInfo>,
    /// Why the device could not be checked, when it could not.
    pub error: Option<ErrorDetail>,
}

/// Facts about the device's TLS certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CertificateInfo {
    /// SHA-256 fingerprint of the certificate (lowercase hex, colon-separated).
    pub sha256: String,
    /// Subject, as text.
    pub subject: Option<String>,
    /// Expiry (Unix milliseconds, UTC).
    pub not_after_ms: Option<i64>,
}

/// The device's registry info, labelled neutrally: the vendor does not document these fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegistryInfo {
    /// "Registry enabled" (device field `state`).
    pub enabled: Option<bool>,
    /// "Registry requires authentication" (device field `authState`).
    pub auth_required: Option<bool>,
    /// "Proxy / pull-through configured" (device field `proxyState`): the device's own
    /// outbound proxy, not the panel's.
    pub proxy_configured: Option<bool>,
    /// "Proxy user" (device field `proxyUser`).
    pub proxy_user: Option<String>,
}
