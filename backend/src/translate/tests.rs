//! Row translation: odd values are flagged, never fatal; shared digests are linked.

use super::*;
use lem_client::parse_image_list;

const D1: &str = "sha256:c50f2833761e7c5a151a2c2fd72bdf64a8ee52de35016ae4141af24f1dc655f4";
const D2: &str = "sha256:1d34d73bc040a8adf1f66d8548e2ea9f41c5327e863cd1818006638c7bcfdc03";
const D512: &str = "sha512:fa045f7322fc68501dff8b3157c5a6ba52a2fde177340d5514f8467008cd25918b30a62bebff8cb6e5de9e592806d390ff44207e31270e2b4c20f88be39eac70";

fn rows(json: &str) -> Vec<ImageRow> {
    translate(parse_image_list(json.as_bytes()).expect("parses")).0
}

fn row(name: &str, tag: &str, digest: &str) -> String {
    format!(
        r#"{{"name":"{name}","tag":"{tag}","digest":"{digest}","timestamp":1700000000000,"size":52428800}}"#
    )
}

#[test]
fn bc01_each_row_names_the_other_tags_sharing_its_digest_within_its_repository() {
    let list = format!(
        "[{},{},{},{}]",
        row("line1/hmi", "1.4.0", D1),
        row("line1/hmi", "latest", D1),
        row("line1/hmi", "1.3.9", D2),
        row("line2/hmi", "1.4.0", D1)
    );
    let rows = rows(&list);
    assert_eq!(rows[0].shared_digest_tags, vec!["latest"]);
    assert_eq!(rows[1].shared_digest_tags, vec!["1.4.0"]);
    assert!(rows[2].shared_digest_tags.is_empty());
    assert!(
        rows[3].shared_digest_tags.is_empty(),
        "another repository with the same digest is not affected"
    );
}

#[test]
fn bc17_millisecond_timestamps_stay_milliseconds_and_seconds_are_converted_with_a_flag() {
    let rows = rows(
        r#"[{"name":"a","tag":"1","digest":"x","timestamp":1700000000000},
            {"name":"a","tag":"2","timestamp":1700000000},
            {"name":"a","tag":"3","timestamp":0},
            {"name":"a","tag":"4","timestamp":-5},
            {"name":"a","tag":"5"},
            {"name":"a","tag":"6","timestamp":99999999999999999}]"#,
    );
    assert_eq!(rows[0].timestamp_ms, Some(1_700_000_000_000));
    assert_eq!(rows[1].timestamp_ms, Some(1_700_000_000_000));
    assert!(rows[1].flags.contains(&RowFlag::TimestampInSeconds));
    for odd in &rows[2..] {
        assert_eq!(odd.timestamp_ms, None, "{odd:?}");
        assert!(odd.flags.contains(&RowFlag::InvalidTimestamp));
    }
}

#[test]
fn bc19_identical_rows_collapse_and_a_different_digest_stays_separate() {
    let list = format!(
        "[{},{},{}]",
        row("line1/hmi", "1.4.0", D1),
        row("line1/hmi", "1.4.0", D1),
        row("line1/hmi", "1.4.0", D2)
    );
    let rows = rows(&list);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].digest.as_deref(), Some(D1));
    assert!(rows[0].flags.contains(&RowFlag::Duplicate));
    assert_eq!(rows[1].digest.as_deref(), Some(D2));
    assert!(rows[1].flags.is_empty());
}

#[test]
fn bc15_sha512_digests_are_kept_and_malformed_ones_flagged() {
    let rows = rows(&format!(
        "[{},{},{}]",
        row("line1/hmi", "2.0.0", D512),
        row("line1/hmi", "x", "sha256:C50F"),
        r#"{"name":"line1/hmi","tag":"y"}"#
    ));
    assert_eq!(rows[0].digest.as_deref(), Some(D512));
    assert!(rows[0].flags.is_empty());
    assert_eq!(rows[1].digest, None);
    assert!(rows[1].flags.contains(&RowFlag::InvalidDigest));
    assert!(rows[2].flags.contains(&RowFlag::MissingDigest));
}

#[test]
fn odd_sizes_and_names_are_flagged_not_dropped() {
    let rows = rows(
        r#"[{"name":"Legacy_Name","tag":".odd","size":9007199254740993},
            {"name":null,"tag":null,"size":-1},
            {"size":"12"},
            {"size":1.5}]"#,
    );
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].size_bytes, Some(9_007_199_254_740_993));
    assert!(rows[0].flags.contains(&RowFlag::SizeBeyondExactRange));
    assert!(rows[0].flags.contains(&RowFlag::NonStandardName));
    assert!(rows[0].flags.contains(&RowFlag::NonStandardTag));
    assert!(rows[1].flags.contains(&RowFlag::MissingName));
    assert!(rows[1].flags.contains(&RowFlag::UnknownSize));
    assert_eq!(rows[2].size_bytes, Some(12));
    assert_eq!(rows[3].size_bytes, None);
}

#[test]
fn the_realistic_fixture_translates_without_flags() {
    let (rows, skipped) = translate(
        parse_image_list(include_bytes!(
            "../../../crates/lem-sim/fixtures/lem-images.json"
        ))
        .expect("fixture"),
    );
    assert_eq!(skipped, 0);
    assert_eq!(rows.len(), 38);
    for row in &rows {
        assert!(row.flags.is_empty(), "{row:?}");
    }
    let alpine_latest = rows
        .iter()
        .find(|r| r.name == "alpine" && r.tag == "latest")
        .expect("row");
    assert_eq!(alpine_latest.shared_digest_tags, vec!["3.19"]);
}

#[test]
fn a_digest_shared_by_thousands_of_tags_lists_a_bounded_few_and_the_total() {
    let list: Vec<String> = (0..4000)
        .map(|i| row("ci/app", &format!("build-{i:04}"), D1))
        .collect();
    let rows = rows(&format!("[{}]", list.join(",")));
    assert_eq!(rows.len(), 4000);
    for r in &rows {
        assert_eq!(r.shared_digest_count, 3999);
        assert_eq!(r.shared_digest_tags.len(), SHARED_TAGS_LISTED);
        assert!(!r.shared_digest_tags.contains(&r.tag));
    }
}
