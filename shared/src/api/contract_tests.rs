//! Pins the JSON contract between the web app and the server: a renamed field or variant fails here.

use super::*;
use serde_json::json;

fn round_trip<T>(value: &T, expected: serde_json::Value)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let encoded = serde_json::to_value(value).expect("serialise");
    assert_eq!(encoded, expected);
    let decoded: T = serde_json::from_value(encoded).expect("deserialise");
    assert_eq!(&decoded, value);
}

#[test]
fn error_envelope_is_error_code_message() {
    let body = ErrorBody {
        error: ErrorDetail {
            field: Some("internalTag".into()),
            ..ErrorDetail::new(ErrorCode::Validation, "Internal tag must not be empty")
        },
    };
    round_trip(
        &body,
        json!({"error": {"code": "validation", "message": "Internal tag must not be empty", "field": "internalTag"}}),
    );
    let unknown: ErrorBody =
        serde_json::from_value(json!({"error": {"code": "brand_new", "message": "m"}}))
            .expect("tolerant");
    assert_eq!(unknown.error.code, ErrorCode::Unknown);
}

#[test]
fn image_rows_and_list() {
    let list = ImagesResponse {
        device: "edge-1".into(),
        fetched_at_ms: 1_700_000_000_000,
        images: vec![ImageRow {
            name: "line1/hmi".into(),
            tag: "1.4.0".into(),
            digest: Some("sha256:abc".into()),
            size_bytes: Some(u64::MAX),
            timestamp_ms: Some(1_700_000_000_000),
            shared_digest_tags: vec!["latest".into()],
            shared_digest_count: 1,
            flags: vec![RowFlag::SizeBeyondExactRange],
        }],
        skipped_entries: 0,
    };
    round_trip(
        &list,
        json!({"device": "edge-1", "fetchedAtMs": 1_700_000_000_000_i64, "skippedEntries": 0, "images": [{
            "name": "line1/hmi", "tag": "1.4.0", "digest": "sha256:abc", "sizeBytes": u64::MAX,
            "timestampMs": 1_700_000_000_000_i64, "sharedDigestTags": ["latest"], "sharedDigestCount": 1,
            "flags": ["size_beyond_exact_range"]}]}),
    );
}

#[test]
fn import_request_uses_the_device_parameter_names() {
    let req = ImportRequest {
        external_url: "registry.example.local:5000".into(),
        external_name: "team/app".into(),
        external_tag: "1.2.3".into(),
        internal_name: "team/app".into(),
        internal_tag: "1.2.3".into(),
    };
    round_trip(
        &req,
        json!({"externalUrl": "registry.example.local:5000", "externalName": "team/app",
               "externalTag": "1.2.3", "internalName": "team/app", "internalTag": "1.2.3"}),
    );
    let extra = serde_json::from_value::<ImportRequest>(json!({
        "externalUrl": "a", "externalName": "b", "externalTag": "c", "internalName": "d",
        "internalTag": "e", "surprise": 1}));
    assert!(extra.is_err(), "unknown fields are refused, not ignored");
}

#[test]
fn deletion_request_and_job_state_names() {
    round_trip(
        &DeletionRequest {
            name: "line1/hmi".into(),
            digest: "sha256:abc".into(),
            expected_tags: vec!["1.4.0".into(), "latest".into()],
        },
        json!({"name": "line1/hmi", "digest": "sha256:abc", "expectedTags": ["1.4.0", "latest"]}),
    );
    for (state, name) in [
        (JobState::Queued, "queued"),
        (JobState::Running, "running"),
        (JobState::Succeeded, "succeeded"),
        (JobState::Failed, "failed"),
        (JobState::Unknown, "unknown"),
        (JobState::Interrupted, "interrupted"),
    ] {
        round_trip(&state, json!(name));
    }
    round_trip(&DeletionOutcome::StillListed, json!("still_listed"));
}

#[test]
fn roles_modes_and_codes_have_stable_names() {
    for role in Role::ALL {
        round_trip(&role, json!(role.as_str()));
        assert_eq!(Role::parse(role.as_str()), Some(role));
    }
    round_trip(&AuthMode::XAuthToken, json!("x-auth-token"));
    round_trip(&TlsMode::Insecure, json!("insecure"));
    round_trip(&ErrorCode::DeviceAuth, json!("device_auth"));
    round_trip(&ErrorCode::DeviceBadResponse, json!("device_bad_response"));
    round_trip(
        &AuditAction::ImportFinished,
        json!(AuditAction::ImportFinished.as_str()),
    );
    assert!(Role::Admin.can_delete() && !Role::Operator.can_delete());
    assert!(Role::Operator.can_import() && !Role::Viewer.can_import());
}

#[test]
fn login_request_debug_never_shows_the_password() {
    let req = LoginRequest {
        username: "admin".into(),
        password: "hunter2-hunter2".into(),
    };
    assert!(!format!("{req:?}").contains("hunter2"));
}
