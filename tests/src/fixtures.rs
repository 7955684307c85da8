//! Values from the real-world failure cases (`shared/cases/README.md`) and small builders for
//! device list rows.

use serde_json::{Value, json};

/// The device token every test app uses unless told otherwise: a canary that must never show
/// up in a response, a log line or the database.
pub const CANARY_TOKEN: &str = "LEMTOKEN-canary-9d1e";
/// `base64("LEMTOKEN-canary-9d1e:")`: the canary as it appears in a Basic `Authorization` header.
pub const CANARY_BASIC: &str = "TEVNVE9LRU4tY2FuYXJ5LTlkMWU6";
/// A secret the device may put in its info answer; it must be dropped, never shown or logged.
pub const PROXY_PASSWORD_CANARY: &str = "pp-secret-4411";

/// `D1` of the cases.
pub const D1: &str = "sha256:c50f2833761e7c5a151a2c2fd72bdf64a8ee52de35016ae4141af24f1dc655f4";
/// `D2` of the cases.
pub const D2: &str = "sha256:1d34d73bc040a8adf1f66d8548e2ea9f41c5327e863cd1818006638c7bcfdc03";
/// `D512` of the cases.
pub const D512: &str = "sha512:fa045f7322fc68501dff8b3157c5a6ba52a2fde177340d5514f8467008cd25918b30a62bebff8cb6e5de9e592806d390ff44207e31270e2b4c20f88be39eac70";

/// The timestamp the cases use for rows they do not spell out (2023-11-14T22:13:20Z, in ms).
pub const CASE_TIMESTAMP_MS: i64 = 1_700_000_000_000;
/// The size the cases use for rows they do not spell out.
pub const CASE_SIZE: u64 = 52_428_800;

/// Rows in the built-in simulator fixture (`lem-images.json`).
pub const FIXTURE_ROWS: usize = 38;

/// A device list row with the cases' default timestamp and size.
pub fn row(name: &str, tag: &str, digest: &str) -> Value {
    json!({"name": name, "tag": tag, "digest": digest, "timestamp": CASE_TIMESTAMP_MS, "size": CASE_SIZE})
}

/// A device list row with every field given.
pub fn row_with(name: &str, tag: &str, digest: &str, timestamp_ms: i64, size: u64) -> Value {
    json!({"name": name, "tag": tag, "digest": digest, "timestamp": timestamp_ms, "size": size})
}

/// An import request body (`POST …/imports`).
pub fn import_body(
    external_url: &str,
    external_name: &str,
    external_tag: &str,
    internal_name: &str,
    internal_tag: &str,
) -> Value {
    json!({
        "externalUrl": external_url,
        "externalName": external_name,
        "externalTag": external_tag,
        "internalName": internal_name,
        "internalTag": internal_tag,
    })
}
