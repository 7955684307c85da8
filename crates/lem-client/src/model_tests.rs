//! Tolerant parsing of the device's list and info bodies.

use super::*;

#[test]
fn the_documented_list_parses() {
    let body = br#"[{"name":"python","tag":"3.9","digest":"sha256:dd","timestamp":1698800006000,"size":373886615}]"#;
    let list = parse_image_list(body).expect("valid");
    assert_eq!(list.images.len(), 1);
    let row = &list.images[0];
    assert_eq!(row.name, Scalar::Str("python".into()));
    assert_eq!(row.timestamp, Scalar::U64(1_698_800_006_000));
    assert_eq!(row.size, Scalar::U64(373_886_615));
}

#[test]
fn odd_entries_are_kept_or_counted_never_fatal() {
    let body = br#"[null, 5, "x", [1,2], {"name":null,"tag":7,"size":-1,"timestamp":"yesterday","extra":{"deep":[1]}},
        {"size": 18446744073709551616, "timestamp": 1.5e3}, {}]"#;
    let list = parse_image_list(body).expect("tolerant");
    assert_eq!(list.skipped_entries, 4);
    assert_eq!(list.images.len(), 3);
    assert_eq!(list.images[0].name, Scalar::Null);
    assert_eq!(list.images[0].tag, Scalar::U64(7));
    assert_eq!(list.images[0].size, Scalar::I64(-1));
    assert_eq!(
        list.images[1].size,
        Scalar::F64(18_446_744_073_709_551_616.0)
    );
    assert_eq!(list.images[2], DeviceImage::default());
}

#[test]
fn a_field_sent_twice_keeps_its_last_value_instead_of_failing_the_list() {
    let list = parse_image_list(br#"[{"name":"a","tag":"1","tag":"2"},{"name":"b","tag":"3"}]"#)
        .expect("tolerant");
    assert_eq!(list.images.len(), 2);
    assert_eq!(list.images[0].tag, Scalar::Str("2".into()));
}

#[test]
fn bc19_null_and_empty_lists_are_empty() {
    assert_eq!(parse_image_list(b"null"), Ok(ImageList::default()));
    assert_eq!(parse_image_list(b"[]"), Ok(ImageList::default()));
    assert_eq!(parse_image_list(b" [ ] "), Ok(ImageList::default()));
}

#[test]
fn wrong_bodies_are_classified() {
    assert_eq!(parse_image_list(b"<html>"), Err(ShapeError::NotJson));
    assert_eq!(
        parse_image_list(b"[{\"name\":\"a\""),
        Err(ShapeError::Truncated)
    );
    assert_eq!(parse_image_list(b""), Err(ShapeError::Truncated));
    assert_eq!(
        parse_image_list(b"{\"images\":[]}"),
        Err(ShapeError::WrongShape)
    );
    assert_eq!(parse_image_list(b"\"text\""), Err(ShapeError::WrongShape));
    assert_eq!(parse_image_list(b"[1] trailing"), Err(ShapeError::NotJson));
    assert_eq!(parse_image_list(&[0xff, 0xfe]), Err(ShapeError::NotJson));
    let deep = "[".repeat(10_000);
    assert!(
        parse_image_list(deep.as_bytes()).is_err(),
        "deep nesting is refused, not a stack overflow"
    );
}

#[test]
fn info_fields_are_read_tolerantly_and_unknown_fields_dropped() {
    let info = parse_registry_info(
        br#"{"state":true,"authState":"false","proxyState":1,"proxyUser":null,"proxyPassword":"pp-secret-4411"}"#,
    )
    .expect("valid");
    assert_eq!(
        info,
        RegistryInfo {
            state: Some(true),
            auth_state: Some(false),
            proxy_state: Some(true),
            proxy_user: None
        }
    );
    assert!(!format!("{info:?}").contains("pp-secret"));
    assert_eq!(parse_registry_info(b"[]"), Err(ShapeError::WrongShape));
}

#[test]
fn envelopes_parse_with_any_field_types() {
    let env =
        parse_envelope(br#"{"code":"S","message":null,"messageDetails":null}"#).expect("object");
    assert_eq!(env.code.as_str(), Some("S"));
    let env =
        parse_envelope(br#"{"code":"E","message":"manifest unknown","messageDetails":{"a":1}}"#)
            .expect("object");
    assert_eq!(env.message.as_str(), Some("manifest unknown"));
    assert_eq!(env.message_details, Scalar::Nested);
    assert_eq!(parse_envelope(b"<html>"), Err(ShapeError::NotJson));
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_image_list(&body);
            let _ = parse_registry_info(&body);
            let _ = parse_envelope(&body);
        }

        #[test]
        fn arbitrary_json_text_never_panics(body in r#"[\[\]{}",:0-9a-z\-\.e ]{0,200}"#) {
            let _ = parse_image_list(body.as_bytes());
            let _ = parse_registry_info(body.as_bytes());
        }
    }
}
