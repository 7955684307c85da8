//! The image list and safe deletion.

use serde::{Deserialize, Serialize};

/// Most tags a row lists in `shared_digest_tags`.
pub const SHARED_TAGS_LISTED: usize = 16;

/// `GET /api/v1/devices/{device}/images`: every image the device lists, translated and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ImagesResponse {
    /// The device's id in the panel configuration.
    pub device: String,
    /// When the panel read the list from the device (Unix milliseconds, UTC).
    pub fetched_at_ms: i64,
    /// One row per (name, tag), in the device's order. Odd rows are flagged, never dropped.
    pub images: Vec<ImageRow>,
    /// Entries the device sent that were not objects at all (e.g. `null`), so nothing can be shown.
    pub skipped_entries: u32,
}

/// One (name, tag) the device lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ImageRow {
    /// Repository name as the device lists it (may break the strict grammar; see `flags`).
    pub name: String,
    /// Tag as the device lists it.
    pub tag: String,
    /// Manifest digest (`sha256:…` or `sha512:…`), if the device gave a usable one.
    pub digest: Option<String>,
    /// Size in bytes as the device reports it, if known. May exceed 2^53.
    pub size_bytes: Option<u64>,
    /// The device's timestamp in Unix milliseconds (UTC), if it is a plausible time.
    pub timestamp_ms: Option<i64>,
    /// Other tags of the same name whose digest equals this row's (deleting this row's digest
    /// removes them too), sorted; at most [`SHARED_TAGS_LISTED`] of them, so a digest shared by
    /// thousands of tags cannot make the list quadratic in size.
    pub shared_digest_tags: Vec<String>,
    /// How many other tags of the same name share this row's digest (all of them, whether
    /// listed in `shared_digest_tags` or not). Clients that need the full set group the rows.
    pub shared_digest_count: u32,
    /// What looked odd about the device's entry. Empty for a normal row.
    pub flags: Vec<RowFlag>,
}

impl ImageRow {
    /// `name:tag`, the way people write a reference.
    pub fn reference(&self) -> String {
        format!("{}:{}", self.name, self.tag)
    }
}

/// Something odd about one entry of the device's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RowFlag {
    /// The entry had no usable name.
    MissingName,
    /// The entry had no usable tag.
    MissingTag,
    /// The entry had no digest; it cannot be deleted from the panel.
    MissingDigest,
    /// The digest is not `sha256`/`sha512` lowercase hex; shown as given, not deletable.
    InvalidDigest,
    /// The name breaks the OCI grammar (still listed, and deletable if it is safe to send).
    NonStandardName,
    /// The tag breaks the OCI grammar.
    NonStandardTag,
    /// The size was missing, negative or not a number.
    UnknownSize,
    /// The size is above 2^53 bytes, beyond what JavaScript numbers hold exactly.
    SizeBeyondExactRange,
    /// The timestamp was missing, zero, negative or beyond the year 9999.
    InvalidTimestamp,
    /// The timestamp looked like seconds, not milliseconds, and was converted.
    TimestampInSeconds,
    /// The device listed this exact entry more than once; it is shown once.
    Duplicate,
}

/// `POST /api/v1/devices/{device}/deletions`: delete one manifest, by (name, digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeletionRequest {
    /// Repository name exactly as listed.
    pub name: String,
    /// Manifest digest exactly as listed.
    pub digest: String,
    /// The tags of `name` the user was shown as going away. The server re-lists and answers
    /// 409 if the tags pointing at `digest` differ, so nobody deletes a tag they did not see.
    pub expected_tags: Vec<String>,
}

/// The verified result of a deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeletionResponse {
    /// Repository name.
    pub name: String,
    /// Digest that was deleted.
    pub digest: String,
    /// What the re-list after the device's answer showed.
    pub outcome: DeletionOutcome,
    /// Tags that were listed before and are gone now.
    pub removed_tags: Vec<String>,
    /// Tags that pointed at the digest and are still listed.
    pub still_listed_tags: Vec<String>,
    /// One sentence for the user.
    pub message: String,
}

/// What the re-list after a deletion showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeletionOutcome {
    /// Every tag that pointed at the digest is gone.
    Removed,
    /// The device accepted the deletion but some of the tags are still listed.
    StillListed,
    /// The device accepted the deletion but the panel could not re-list to check.
    Unverified,
}
