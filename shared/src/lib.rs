//! Wire types between the lem-panel web app and its server, and the OCI reference validators
//! used on both sides. WASM-safe: serde only, no I/O.
//!
//! The device's own JSON shapes are *not* here: they live in `lem-client`, and the server
//! translates them, so the device and the panel API can change independently.

pub mod api;
pub mod reference;
pub mod validate;

/// Path of the panel's JSON API below the base path (no leading or trailing slash).
pub const API_PREFIX: &str = "api/v1";

/// Header the web app sets on every state-changing request. A cross-site form cannot set a
/// custom header, so its presence (with a same-origin check) proves the request came from the app.
pub const CSRF_HEADER: &str = "x-lem-panel";

/// Value the web app sends in [`CSRF_HEADER`].
pub const CSRF_HEADER_VALUE: &str = "1";
