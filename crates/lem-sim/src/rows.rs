//! The image rows the device lists: the built-in fixture, synthetic sets, and the row edits that
//! pull and delete perform.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::SimError;

/// The realistic fixture (38 rows, odd names and shared digests included), built in so the
/// simulator works where the source tree's shared folder does not exist.
const FIXTURE_JSON: &str = include_str!("../fixtures/lem-images.json");

/// The built-in fixture rows, in file order.
pub fn fixture_rows() -> Vec<Value> {
    // The fixture is checked by a unit test, so an empty fallback can never be observed.
    parse_rows(FIXTURE_JSON).unwrap_or_default()
}

/// Parses text in the device list format (a JSON array) into rows, keeping every entry verbatim.
pub fn parse_rows(text: &str) -> Result<Vec<Value>, SimError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(rows)) => Ok(rows),
        Ok(other) => Err(SimError::Fixture(format!(
            "expected an array, found {}",
            json_kind(&other)
        ))),
        Err(err) => Err(SimError::Fixture(err.to_string())),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

const SERVICES: [&str; 8] = [
    "svc",
    "opcua-gateway",
    "mqtt-bridge",
    "historian",
    "vision",
    "plc-adapter",
    "alarm-router",
    "edge-analytics",
];
const TAGS_PER_REPOSITORY: usize = 4;
/// 2023-11-14T22:13:20Z: a fixed start keeps the rows deterministic.
const FIRST_TIMESTAMP_MS: u64 = 1_700_000_000_000;

/// `n` deterministic, realistic rows: repositories `line01/svc`, `line02/svc`, … with four tags
/// each, a distinct digest per row, sizes between 5 MB and about 2 GB and increasing timestamps.
pub fn synthetic_rows(n: usize) -> Vec<Value> {
    (0..n).map(synthetic_row).collect()
}

fn synthetic_row(index: usize) -> Value {
    let repository = index / TAGS_PER_REPOSITORY;
    let line = repository % 20 + 1;
    let series = repository / 20;
    let service = SERVICES[series % SERVICES.len()];
    let generation = series / SERVICES.len();
    let name = if generation == 0 {
        format!("line{line:02}/{service}")
    } else {
        format!("line{line:02}/{service}-{generation}")
    };
    let minor = repository % 7;
    let tag = match index % TAGS_PER_REPOSITORY {
        0 => format!("1.{minor}.0"),
        1 => format!("1.{minor}.1"),
        2 => format!("2.0.0-rc.{}", minor + 1),
        _ => "latest".to_owned(),
    };
    let hash = Sha256::digest(format!("lem-sim synthetic {name}:{tag}").as_bytes());
    let mut seed = [0_u8; 8];
    seed.copy_from_slice(&hash[..8]);
    let size = 5_000_000 + u64::from_le_bytes(seed) % 2_000_000_000;
    // About one image every 37 minutes, so a few thousand rows span a few months.
    let timestamp = FIRST_TIMESTAMP_MS + index as u64 * 2_221_131;
    json!({
        "name": name,
        "tag": tag,
        "digest": format!("sha256:{}", hex::encode(hash)),
        "timestamp": timestamp,
        "size": size,
    })
}

fn field<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}

/// Stores `row` as `name:tag`: replaces the first row with that name and tag in place, drops any
/// duplicates of it, or appends when there was none (a pull onto an existing tag overwrites it).
pub(crate) fn upsert(rows: &mut Vec<Value>, name: &str, tag: &str, row: Value) {
    let same = |r: &Value| field(r, "name") == Some(name) && field(r, "tag") == Some(tag);
    match rows.iter().position(same) {
        Some(first) => {
            rows[first] = row;
            let mut index = 0;
            rows.retain(|r| {
                let keep = index <= first || !same(r);
                index += 1;
                keep
            });
        }
        None => rows.push(row),
    }
}

/// Removes every row with this name and digest (every tag of the manifest, as a registry does)
/// and returns how many went.
pub(crate) fn delete_by_digest(rows: &mut Vec<Value>, name: &str, digest: &str) -> usize {
    let before = rows.len();
    rows.retain(|r| !(field(r, "name") == Some(name) && field(r, "digest") == Some(digest)));
    before - rows.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_built_in_fixture_parses_into_its_38_rows() {
        let rows = fixture_rows();
        assert_eq!(rows.len(), 38);
        assert!(rows.iter().all(Value::is_object));
    }

    #[test]
    fn synthetic_rows_are_deterministic_and_unique() {
        let rows = synthetic_rows(1000);
        assert_eq!(rows, synthetic_rows(1000));
        assert_eq!(rows[0]["name"], "line01/svc");
        let keys: HashSet<_> = rows
            .iter()
            .map(|r| format!("{}:{}", r["name"], r["tag"]))
            .collect();
        let digests: HashSet<_> = rows.iter().map(|r| r["digest"].to_string()).collect();
        assert_eq!(keys.len(), 1000);
        assert_eq!(digests.len(), 1000);
    }

    #[test]
    fn upsert_overwrites_in_place_and_removes_duplicates() {
        let mut rows = vec![
            json!({"name": "a", "tag": "1", "digest": "x"}),
            Value::Null,
            json!({"name": "a", "tag": "1", "digest": "y"}),
        ];
        upsert(
            &mut rows,
            "a",
            "1",
            json!({"name": "a", "tag": "1", "digest": "z"}),
        );
        assert_eq!(
            rows,
            vec![json!({"name": "a", "tag": "1", "digest": "z"}), Value::Null]
        );
    }

    #[test]
    fn delete_removes_every_tag_sharing_the_digest_and_nothing_else() {
        let mut rows = fixture_rows();
        let digest = "sha256:6bd2275da52e3a69ffbe28739e65cdb0ac1167f9a8d9d16e129ab83f0a189c19";
        assert_eq!(delete_by_digest(&mut rows, "alpine", digest), 2);
        assert_eq!(rows.len(), 36);
        assert_eq!(delete_by_digest(&mut rows, "alpine", digest), 0);
    }

    #[test]
    fn a_fixture_that_is_not_an_array_is_rejected() {
        assert!(parse_rows("{}").is_err());
        assert!(parse_rows("[1, null, {}]").is_ok());
    }
}
