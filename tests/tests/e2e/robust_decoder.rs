//! Robustness: fuzzing the shared validators, the reference parser and the device-list decoder
//! (with the panel's translation), as a fixed-seed property run plus a corpus kept in the
//! repository (`tests/corpus/`). Zero crashes; every accepted value really is valid; a parsed
//! reference round-trips; row flags agree with the row's values. `LEM_ROBUST_LONG=1` runs ten
//! times the cases.

use std::path::{Path, PathBuf};
use std::time::Instant;

use lem_client::parse_image_list;
use lem_panel::translate::translate;
use lem_panel_tests::hostile::cases;
use lem_panel_tests::{D1, TestApp};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{Value, json};
use shared::api::{ImageRow, ImagesResponse, RowFlag, validate_password, validate_username};
use shared::reference::{default_internal_name, normalize_hub_name, parse_reference};
use shared::validate::{
    normalize_registry_host, validate_digest, validate_listed_name, validate_repository_name,
    validate_tag,
};

/// The fixed seed of the property run (32 bytes for ChaCha).
const SEED: [u8; 32] = *b"lem-panel robustness seed 7f3a!!";

/// Largest integer a JavaScript number holds exactly.
const JS_MAX_SAFE: u64 = (1 << 53) - 1;
/// 9999-12-31T23:59:59Z in milliseconds.
const MAX_TIMESTAMP_MS: i64 = 253_402_300_799_000;

fn corpus(kind: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus {} is missing: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (path, bytes)
        })
        .collect()
}

fn ensure(holds: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if holds { Ok(()) } else { Err(what()) }
}

/// Every validator and the reference parser on one input: no panic, and what is accepted is
/// consistent with the other checks.
fn check_reference(input: &str) -> Result<(), String> {
    if let Ok(parsed) = parse_reference(input) {
        ensure(validate_repository_name(&parsed.name).is_ok(), || {
            format!("{input:?}: parsed name {:?} is not valid", parsed.name)
        })?;
        ensure(validate_tag(&parsed.tag).is_ok(), || {
            format!("{input:?}: parsed tag {:?} is not valid", parsed.tag)
        })?;
        let host = normalize_registry_host(&parsed.registry)
            .map_err(|e| format!("{input:?}: parsed registry {:?}: {e}", parsed.registry))?;
        ensure(host.value == parsed.registry, || {
            format!(
                "{input:?}: registry {:?} is not normalized",
                parsed.registry
            )
        })?;
        let again = format!("{}/{}:{}", parsed.registry, parsed.name, parsed.tag);
        let reparsed =
            parse_reference(&again).map_err(|e| format!("{input:?} → {again:?}: {e}"))?;
        ensure(
            (&reparsed.registry, &reparsed.name, &reparsed.tag)
                == (&parsed.registry, &parsed.name, &parsed.tag),
            || format!("{input:?} → {again:?} does not round-trip: {reparsed:?}"),
        )?;
        let _ = default_internal_name(&parsed.registry, &parsed.name);
    } else if let Err(error) = parse_reference(input) {
        ensure(!error.to_string().is_empty(), || {
            format!("{input:?}: empty message")
        })?;
    }
    if validate_repository_name(input).is_ok() {
        ensure(validate_listed_name(input).is_ok(), || {
            format!("{input:?}: a valid name is refused for deletion")
        })?;
    }
    if let Err(error) = validate_listed_name(input) {
        ensure(!error.to_string().is_empty(), || {
            format!("{input:?}: empty message")
        })?;
    } else {
        ensure(
            !input.contains(['&', '=', '?', '#', '%', '+', ' ', '\0'])
                && !input.split('/').any(|c| c == ".." || c.is_empty()),
            || format!("{input:?}: accepted for deletion, but could smuggle a parameter or a path"),
        )?;
    }
    if validate_tag(input).is_ok() {
        ensure(
            input.len() <= 128
                && input
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)),
            || format!("{input:?}: accepted as a tag"),
        )?;
    }
    if validate_digest(input).is_ok() {
        ensure(
            (input.starts_with("sha256:") && input.len() == 71)
                || (input.starts_with("sha512:") && input.len() == 135),
            || format!("{input:?}: accepted as a digest"),
        )?;
    }
    if let Ok(host) = normalize_registry_host(input) {
        ensure(!host.value.contains(['/', '@', ' ', '\t', '\n']), || {
            format!("{input:?}: host {:?} accepted", host.value)
        })?;
        let again = normalize_registry_host(&host.value)
            .map_err(|e| format!("{input:?}: normalized {:?} refused: {e}", host.value))?;
        ensure(again.value == host.value, || {
            format!("{input:?}: normalizing is not idempotent")
        })?;
        let _ = normalize_hub_name(&host.value, input);
    }
    if validate_username(input).is_ok() {
        ensure(
            input
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)),
            || format!("{input:?}: accepted as a user name"),
        )?;
    }
    let _ = validate_password(input);
    Ok(())
}

fn row_problem(row: &ImageRow) -> Option<String> {
    let flags = &row.flags;
    let has = |flag| flags.contains(&flag);
    let mut unique = flags.clone();
    unique.sort_by_key(|f| format!("{f:?}"));
    unique.dedup();
    let problems = [
        (unique.len() != flags.len(), "a flag is repeated"),
        (
            row.name.is_empty() != has(RowFlag::MissingName),
            "name and missing_name disagree",
        ),
        (
            row.tag.is_empty() != has(RowFlag::MissingTag),
            "tag and missing_tag disagree",
        ),
        (
            row.digest
                .as_deref()
                .is_some_and(|d| validate_digest(d).is_err()),
            "an invalid digest is offered",
        ),
        (
            row.digest.is_some() == (has(RowFlag::InvalidDigest) || has(RowFlag::MissingDigest)),
            "digest and its flags disagree",
        ),
        (
            row.size_bytes.is_none() != has(RowFlag::UnknownSize),
            "size and unknown_size disagree",
        ),
        (
            row.size_bytes.is_some_and(|s| s > JS_MAX_SAFE) != has(RowFlag::SizeBeyondExactRange),
            "size and size_beyond_exact_range disagree",
        ),
        (
            row.timestamp_ms
                .is_some_and(|t| t <= 0 || t > MAX_TIMESTAMP_MS),
            "an implausible timestamp is offered",
        ),
        (
            row.timestamp_ms.is_none() != has(RowFlag::InvalidTimestamp),
            "timestamp and invalid_timestamp disagree",
        ),
        (
            row.shared_digest_tags.contains(&row.tag),
            "a row shares its digest with itself",
        ),
        (
            row.shared_digest_tags.windows(2).any(|w| w[0] >= w[1]),
            "shared tags are not sorted and unique",
        ),
        (
            row.shared_digest_tags.len() > shared::api::SHARED_TAGS_LISTED
                || (row.shared_digest_count as usize) < row.shared_digest_tags.len(),
            "shared tags exceed the listed cap or the count",
        ),
    ];
    problems
        .iter()
        .find(|(bad, _)| *bad)
        .map(|(_, what)| format!("{what}: {row:?}"))
}

/// The device-list decoder and the translation on one body: no panic, flags agree with the
/// values, and the rows survive the trip through the wire types.
fn check_list_body(body: &[u8]) -> Result<(), String> {
    let Ok(list) = parse_image_list(body) else {
        // Refused as a whole: the panel answers 502 device_bad_response (checked end to end).
        return Ok(());
    };
    let entries = list.images.len();
    let skipped = list.skipped_entries;
    let (rows, skipped_after) = translate(list);
    ensure(rows.len() <= entries && skipped_after == skipped, || {
        format!(
            "{entries} entries, {skipped} skipped → {} rows, {skipped_after} skipped",
            rows.len()
        )
    })?;
    if let Some(problem) = rows.iter().find_map(row_problem) {
        return Err(problem);
    }
    let response = ImagesResponse {
        device: "fuzz".into(),
        fetched_at_ms: 1,
        images: rows,
        skipped_entries: skipped_after,
    };
    let wire = serde_json::to_vec(&response).map_err(|e| format!("not serializable: {e}"))?;
    let back: ImagesResponse =
        serde_json::from_slice(&wire).map_err(|e| format!("does not parse back: {e}"))?;
    ensure(back == response, || "changed on the wire".to_owned())
}

/// Runs `check` on `count` generated values (fixed seed); returns how many ran.
fn property<S: Strategy>(
    name: &str,
    strategy: S,
    count: usize,
    check: impl Fn(&S::Value) -> Result<(), String>,
) -> usize {
    let config = Config {
        cases: u32::try_from(count).unwrap_or(u32::MAX),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED));
    if let Err(failure) = runner.run(&strategy, |value| {
        check(&value).map_err(TestCaseError::fail)
    }) {
        panic!("{name}: {failure}");
    }
    count
}

/// References that look real, so that the parser's accepting paths are exercised too.
fn reference_like() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        Just(String::new()),
        "[a-z0-9]{1,8}(\\.[a-z0-9-]{1,8}){0,2}(:[0-9]{1,5})?".prop_map(|h| format!("{h}/")),
        Just("localhost:5000/".to_owned()),
        Just("[fd00::5]:5000/".to_owned()),
        Just("https://ghcr.io/".to_owned()),
        Just("docker.io/".to_owned()),
    ];
    let name = prop_oneof![
        9 => proptest::collection::vec("[a-z0-9]{1,6}([._-]{1,2}[a-z0-9]{1,4})?", 1..4)
            .prop_map(|parts| parts.join("/")),
        // Around the 255-character limit, where Docker Hub's `library/` once pushed a valid
        // name past it.
        1 => "[a-z0-9]{240,256}",
    ];
    let tag = prop_oneof![
        Just(String::new()),
        "[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}".prop_map(|t| format!(":{t}")),
    ];
    let mutation = proptest::option::of((any::<proptest::sample::Index>(), any::<char>()));
    (host, name, tag, mutation).prop_map(|(host, name, tag, mutation)| {
        let mut reference = format!("{host}{name}{tag}");
        if let Some((at, ch)) = mutation {
            let chars: Vec<char> = reference.chars().collect();
            let at = at.index(chars.len() + 1);
            reference = chars[..at]
                .iter()
                .chain(std::iter::once(&ch))
                .chain(&chars[at..])
                .collect();
        }
        reference
    })
}

fn interesting_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(D1.to_owned()),
        Just("sha256:C50F".to_owned()),
        Just("line1/hmi".to_owned()),
        Just("1.4.0".to_owned()),
        Just("latest".to_owned()),
        Just(String::new()),
        Just("<script>".to_owned()),
        Just("1700000000000".to_owned()),
        ".{0,12}",
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![
            Just(0_u64),
            Just(JS_MAX_SAFE),
            Just(JS_MAX_SAFE + 2),
            Just(u64::MAX),
            Just(1_700_000_000),
            Just(1_700_000_000_000),
            Just(253_402_300_799_001),
        ]
        .prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        interesting_string().prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,5}", inner, 0..5)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A device list: mostly row objects with any values in the known fields, some other entries.
fn list_like() -> impl Strategy<Value = Vec<u8>> {
    let key = prop_oneof![
        Just("name".to_owned()),
        Just("tag".to_owned()),
        Just("digest".to_owned()),
        Just("timestamp".to_owned()),
        Just("size".to_owned()),
        "[a-zA-Z]{1,6}",
    ];
    let row = proptest::collection::btree_map(key, json_value(), 0..7)
        .prop_map(|map| Value::Object(map.into_iter().collect()));
    let entry = prop_oneof![9 => row, 1 => json_value()];
    let mutation = proptest::option::weighted(
        0.2,
        (any::<proptest::sample::Index>(), any::<u8>(), any::<bool>()),
    );
    (proptest::collection::vec(entry, 0..10), mutation).prop_map(|(entries, mutation)| {
        let mut body = Value::Array(entries).to_string().into_bytes();
        if let Some((at, byte, truncate)) = mutation {
            let at = at.index(body.len());
            if truncate {
                body.truncate(at);
            } else {
                body[at] = byte;
            }
        }
        body
    })
}

#[test]
fn robust_the_reference_parser_and_validators_survive_the_corpus_and_a_fixed_seed_property_run() {
    let _heavy = crate::cpu_heavy_blocking();
    let started = Instant::now();
    let mut failures = Vec::new();
    let files = corpus("references");
    for (path, bytes) in &files {
        if let Err(problem) = check_reference(&String::from_utf8_lossy(bytes)) {
            failures.push(format!("{}: {problem}", path.display()));
        }
    }
    assert!(
        files.len() >= 80,
        "the corpus has only {} references",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "corpus failures:\n{}",
        failures.join("\n")
    );

    let like = property("reference-like", reference_like(), cases(10_000), |s| {
        check_reference(s)
    });
    let any = property("any string", any::<String>(), cases(10_000), |s| {
        check_reference(s)
    });
    let ascii = property(
        "ASCII punctuation",
        "[a-zA-Z0-9.:/@_\\-\\[\\]%#?&= +\\x00-\\x1f]{0,80}",
        cases(10_000),
        |s| check_reference(s),
    );
    println!(
        "robust references: {} corpus files + {} generated inputs, 0 failures, 0 panics, {:.1} s",
        files.len(),
        like + any + ascii,
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn robust_the_device_list_decoder_and_translation_survive_the_corpus_and_a_fixed_seed_property_run()
{
    let _heavy = crate::cpu_heavy_blocking();
    let started = Instant::now();
    let mut failures = Vec::new();
    let files = corpus("list-bodies");
    for (path, bytes) in &files {
        if let Err(problem) = check_list_body(bytes) {
            failures.push(format!("{}: {problem}", path.display()));
        }
    }
    assert!(
        files.len() >= 40,
        "the corpus has only {} list bodies",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "corpus failures:\n{}",
        failures.join("\n")
    );

    let structured = property("list-like JSON", list_like(), cases(5_000), |b| {
        check_list_body(b)
    });
    let bytes = property(
        "arbitrary bytes",
        proptest::collection::vec(any::<u8>(), 0..512),
        cases(5_000),
        |b| check_list_body(b),
    );
    println!(
        "robust list bodies: {} corpus files + {} generated bodies, 0 failures, 0 panics, {:.1} s",
        files.len(),
        structured + bytes,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_four_thousand_tags_sharing_one_digest_are_listed_in_bounded_time_and_size() {
    let rows: Vec<Value> = (0..4_000)
        .map(|i| {
            json!({"name": "ci/app", "tag": format!("build-{i}"), "digest": D1,
                        "timestamp": 1_700_000_000_000_i64, "size": 1})
        })
        .collect();
    let device_bytes = Value::Array(rows.clone()).to_string().len();
    let app = TestApp::builder().rows(rows).start().await;
    app.login_as("viewer").await;

    let images = app.images().await;

    assert_eq!(images.status, 200, "{}", images.text);
    assert!(
        images.bytes.len() < 10 * device_bytes,
        "a {device_bytes}-byte device answer became a {}-byte response",
        images.bytes.len()
    );
    assert!(
        images.elapsed.as_secs() < 3,
        "listing took {:?}",
        images.elapsed
    );
}

#[test]
fn robust_a_docker_hub_shorthand_name_stays_within_255_characters_after_library_is_added() {
    let name = "a".repeat(255);
    if let Ok(parsed) = parse_reference(&name) {
        assert!(
            parsed.name.len() <= 255,
            "parse_reference accepted {} characters and returned {}",
            name.len(),
            parsed.name.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_an_import_never_sends_the_device_a_name_longer_than_255_characters() {
    let app = TestApp::start().await;
    app.login_as("operator").await;
    let long = "a".repeat(250);

    let started = app
        .import(&lem_panel_tests::import_body(
            "docker.io",
            &long,
            "1",
            "short",
            "1",
        ))
        .await;
    if started.status == 202 {
        app.wait_for_job(started.body["job"]["id"].as_i64().unwrap_or_default())
            .await;
    }

    let sent: Vec<usize> = app
        .device()
        .requests()
        .iter()
        .flat_map(|r| {
            r.query_values("externalName")
                .into_iter()
                .map(str::len)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        started.status == 400 || sent.iter().all(|len| *len <= 255),
        "{} and the device received externalName of {sent:?} characters",
        started.status
    );
}
