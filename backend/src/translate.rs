//! Translating the device's list into the panel's image rows: interpreting odd values, flagging
//! them instead of dropping rows, collapsing exact duplicates, and linking tags that share a
//! digest (deleting one digest removes all of them).

use std::collections::{HashMap, HashSet};

// A fast, per-process seeded hasher: the keys are every row's name, tag and digest, and SipHash
// was the largest single cost of a 10,000-row list (`./x bench`, perf). The rows come from a
// device the panel authenticated over pinned TLS, not from anonymous clients.
use foldhash::fast::RandomState;

use lem_client::{DeviceImage, ImageList, Scalar};
use shared::api::{ImageRow, RowFlag, SHARED_TAGS_LISTED};
use shared::validate::{validate_digest, validate_repository_name, validate_tag};

/// Largest integer a JavaScript number holds exactly.
const JS_MAX_SAFE: u64 = (1 << 53) - 1;
/// Below this, a positive timestamp is taken as seconds (10^11 ms is March 1973; 10^11 s is
/// the year 5138, so the two ranges cannot be confused for any real image).
const SECONDS_THRESHOLD: u64 = 100_000_000_000;
/// 9999-12-31T23:59:59Z in milliseconds: anything later is not a real time.
const MAX_TIMESTAMP_MS: u64 = 253_402_300_799_000;

/// What makes two entries the same entry (borrowed from the rows: no copies).
type RowKey<'a> = (&'a str, &'a str, Option<&'a str>, Option<u64>, Option<i64>);

/// Rows for the API, plus the count of entries that were not objects.
pub fn translate(list: ImageList) -> (Vec<ImageRow>, u32) {
    let mut rows: Vec<ImageRow> = list.images.into_iter().map(translate_row).collect();
    let mut repeats = Vec::new();
    let mut first_seen = Vec::new();
    {
        let mut seen: HashMap<RowKey<'_>, usize, RandomState> =
            HashMap::with_capacity_and_hasher(rows.len(), RandomState::default());
        for (i, row) in rows.iter().enumerate() {
            // Only complete rows are compared: entries missing a name or tag are kept as sent.
            if row.name.is_empty() || row.tag.is_empty() {
                continue;
            }
            let key = (
                row.name.as_str(),
                row.tag.as_str(),
                row.digest.as_deref(),
                row.size_bytes,
                row.timestamp_ms,
            );
            match seen.entry(key) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    repeats.push(i);
                    first_seen.push(*first.get());
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
        }
    }
    for i in first_seen {
        if !rows[i].flags.contains(&RowFlag::Duplicate) {
            rows[i].flags.push(RowFlag::Duplicate);
        }
    }
    if !repeats.is_empty() {
        let repeats: HashSet<usize, RandomState> = repeats.into_iter().collect();
        rows = rows
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !repeats.contains(i))
            .map(|(_, row)| row)
            .collect();
    }
    link_shared_digests(&mut rows);
    (rows, list.skipped_entries)
}

fn link_shared_digests(rows: &mut [ImageRow]) {
    let mut by_digest: HashMap<(&str, &str), Vec<&str>, RandomState> =
        HashMap::with_capacity_and_hasher(rows.len(), RandomState::default());
    for row in rows.iter() {
        if let Some(digest) = row.digest.as_deref() {
            by_digest
                .entry((row.name.as_str(), digest))
                .or_default()
                .push(row.tag.as_str());
        }
    }
    for tags in by_digest.values_mut() {
        tags.sort_unstable();
        tags.dedup();
    }
    // Each row lists at most SHARED_TAGS_LISTED partners plus the total: linear in the list,
    // even when thousands of tags share one digest.
    let shared: Vec<(Vec<String>, u32)> = rows
        .iter()
        .map(|row| {
            let Some(tags) = row
                .digest
                .as_deref()
                .and_then(|d| by_digest.get(&(row.name.as_str(), d)))
            else {
                return (Vec::new(), 0);
            };
            let others = tags.iter().filter(|t| **t != row.tag);
            let listed = others
                .clone()
                .take(SHARED_TAGS_LISTED)
                .map(|t| (*t).to_owned())
                .collect();
            (listed, u32::try_from(others.count()).unwrap_or(u32::MAX))
        })
        .collect();
    for (row, (tags, count)) in rows.iter_mut().zip(shared) {
        row.shared_digest_tags = tags;
        row.shared_digest_count = count;
    }
}

fn text(value: Scalar) -> Option<String> {
    match value {
        Scalar::Str(s) if !s.is_empty() => Some(s),
        Scalar::U64(n) => Some(n.to_string()),
        _ => None,
    }
}

fn translate_row(image: DeviceImage) -> ImageRow {
    let mut flags = Vec::new();
    let name = text(image.name).unwrap_or_else(|| {
        flags.push(RowFlag::MissingName);
        String::new()
    });
    if !name.is_empty() && validate_repository_name(&name).is_err() {
        flags.push(RowFlag::NonStandardName);
    }
    let tag = text(image.tag).unwrap_or_else(|| {
        flags.push(RowFlag::MissingTag);
        String::new()
    });
    if !tag.is_empty() && validate_tag(&tag).is_err() {
        flags.push(RowFlag::NonStandardTag);
    }
    let digest = match image.digest {
        Scalar::Str(d) if validate_digest(&d).is_ok() => Some(d),
        Scalar::Str(d) if !d.is_empty() => {
            flags.push(RowFlag::InvalidDigest);
            None
        }
        _ => {
            flags.push(RowFlag::MissingDigest);
            None
        }
    };
    ImageRow {
        size_bytes: size(&image.size, &mut flags),
        timestamp_ms: timestamp(&image.timestamp, &mut flags),
        name,
        tag,
        digest,
        shared_digest_tags: Vec::new(),
        shared_digest_count: 0,
        flags,
    }
}

fn size(value: &Scalar, flags: &mut Vec<RowFlag>) -> Option<u64> {
    let bytes = match value {
        Scalar::U64(n) => Some(*n),
        Scalar::F64(f) if f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19 => {
            Some(*f as u64)
        }
        Scalar::Str(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match bytes {
        Some(n) => {
            if n > JS_MAX_SAFE {
                flags.push(RowFlag::SizeBeyondExactRange);
            }
            Some(n)
        }
        None => {
            flags.push(RowFlag::UnknownSize);
            None
        }
    }
}

fn timestamp(value: &Scalar, flags: &mut Vec<RowFlag>) -> Option<i64> {
    let raw = match value {
        Scalar::U64(n) => Some(*n),
        Scalar::F64(f) if f.is_finite() && *f > 0.0 && *f < 1.0e15 => Some(*f as u64),
        Scalar::Str(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match raw {
        Some(0) | None => {
            flags.push(RowFlag::InvalidTimestamp);
            None
        }
        Some(seconds) if seconds < SECONDS_THRESHOLD => {
            flags.push(RowFlag::TimestampInSeconds);
            i64::try_from(seconds * 1000).ok()
        }
        Some(ms) if ms > MAX_TIMESTAMP_MS => {
            flags.push(RowFlag::InvalidTimestamp);
            None
        }
        Some(ms) => i64::try_from(ms).ok(),
    }
}

#[cfg(test)]
mod tests;
