//! Planning deletions: which `name:tag` rows disappear together (deleting by digest removes every
//! tag of that name sharing it), de-duplicated by (name, digest), and the confirmation phrase.

use shared::api::{DeletionRequest, ImageRow, RowFlag};

/// One deletion the server will carry out: a manifest, and the tags that go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionPlan {
    /// Repository name.
    pub name: String,
    /// Digest to delete.
    pub digest: String,
    /// Every tag of `name` pointing at `digest`, sorted, each once.
    pub tags: Vec<String>,
}

impl DeletionPlan {
    /// The `name:tag` rows that will disappear.
    pub fn references(&self) -> Vec<String> {
        self.tags
            .iter()
            .map(|t| format!("{}:{t}", self.name))
            .collect()
    }

    /// The request body: the server refuses (409) if the tags it finds differ from these.
    pub fn request(&self) -> DeletionRequest {
        DeletionRequest {
            name: self.name.clone(),
            digest: self.digest.clone(),
            expected_tags: self.tags.clone(),
        }
    }

    /// The plan after a 409: the tags the server says share the digest now. Accepts either bare
    /// tags or `name:tag`.
    pub fn with_current_tags(&self, current: &[String]) -> Self {
        let prefix = format!("{}:", self.name);
        let mut tags: Vec<String> = current
            .iter()
            .map(|t| t.strip_prefix(&prefix).unwrap_or(t).to_owned())
            .collect();
        tags.sort();
        tags.dedup();
        Self {
            tags,
            ..self.clone()
        }
    }
}

/// A selected row the panel cannot delete, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undeletable {
    /// `name:tag`.
    pub reference: String,
    /// Why, in words.
    pub reason: &'static str,
}

/// Turns selected rows into deletions, merged by (name, digest), in selection order. The tags of
/// each plan come from `all` (the whole list), not from the rows' own capped
/// `shared_digest_tags`, so the preview names every tag that will disappear.
pub fn plan_deletions<'a>(
    selected: impl IntoIterator<Item = &'a ImageRow>,
    all: &[ImageRow],
) -> (Vec<DeletionPlan>, Vec<Undeletable>) {
    let mut plans: Vec<DeletionPlan> = Vec::new();
    let mut skipped = Vec::new();
    for row in selected {
        let Some(digest) = deletable_digest(row) else {
            skipped.push(Undeletable {
                reference: row.reference(),
                reason: "the device listed no usable digest, so the panel cannot delete it",
            });
            continue;
        };
        if plans
            .iter()
            .any(|p| p.name == row.name && p.digest == digest)
        {
            continue;
        }
        let mut tags: Vec<String> = std::iter::once(row.tag.clone())
            .chain(
                all.iter()
                    .filter(|r| r.name == row.name && r.digest.as_deref() == Some(digest))
                    .map(|r| r.tag.clone()),
            )
            .collect();
        tags.sort();
        tags.dedup();
        plans.push(DeletionPlan {
            name: row.name.clone(),
            digest: digest.to_owned(),
            tags,
        });
    }
    (plans, skipped)
}

/// The row's digest, when the panel can delete by it.
pub fn deletable_digest(row: &ImageRow) -> Option<&str> {
    let bad = row.flags.iter().any(|f| {
        matches!(
            f,
            RowFlag::MissingDigest | RowFlag::InvalidDigest | RowFlag::MissingName
        )
    });
    if bad {
        return None;
    }
    row.digest.as_deref()
}

/// What the user must type to confirm: the row's `name:tag` for one row, `delete N` for several.
pub fn confirmation_phrase(plans: &[DeletionPlan], single_reference: Option<&str>) -> String {
    match single_reference {
        Some(reference) => reference.to_owned(),
        None => format!("delete {}", plans.len()),
    }
}

/// Every `name:tag` of every plan, for the preview list.
pub fn all_references(plans: &[DeletionPlan]) -> Vec<String> {
    plans.iter().flat_map(DeletionPlan::references).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, tag: &str, digest: Option<&str>) -> ImageRow {
        ImageRow {
            name: name.to_owned(),
            tag: tag.to_owned(),
            digest: digest.map(str::to_owned),
            size_bytes: None,
            timestamp_ms: None,
            shared_digest_tags: vec![],
            shared_digest_count: 0,
            flags: vec![],
        }
    }

    #[test]
    fn a_row_takes_every_tag_of_its_name_sharing_its_digest_from_the_whole_list() {
        let all = [
            row("app", "latest", Some("sha256:a")),
            row("app", "1.0", Some("sha256:a")),
            row("app", "stable", Some("sha256:a")),
            row("app", "0.9", Some("sha256:b")),
            row("other", "1.0", Some("sha256:a")),
        ];
        let (plans, skipped) = plan_deletions([&all[0]], &all);
        assert!(skipped.is_empty());
        assert_eq!(
            plans[0].references(),
            ["app:1.0", "app:latest", "app:stable"]
        );
        assert_eq!(
            plans[0].request().expected_tags,
            ["1.0", "latest", "stable"]
        );
    }

    #[test]
    fn a_digest_shared_by_more_tags_than_a_row_lists_still_plans_all_of_them() {
        let all: Vec<ImageRow> = (0..40)
            .map(|i| row("ci/app", &format!("b{i:02}"), Some("sha256:a")))
            .collect();
        let (plans, _) = plan_deletions([&all[7]], &all);
        assert_eq!(plans[0].tags.len(), 40);
    }

    #[test]
    fn selections_are_deduplicated_by_name_and_digest() {
        let all = [
            row("app", "latest", Some("sha256:a")),
            row("app", "1.0", Some("sha256:a")),
            row("other", "1.0", Some("sha256:a")),
        ];
        let (plans, _) = plan_deletions(all.iter(), &all);
        assert_eq!(plans.len(), 2);
        assert_eq!(
            all_references(&plans),
            ["app:1.0", "app:latest", "other:1.0"]
        );
        assert_eq!(confirmation_phrase(&plans, None), "delete 2");
        assert_eq!(
            confirmation_phrase(&plans, Some("app:latest")),
            "app:latest"
        );
    }

    #[test]
    fn rows_without_a_usable_digest_are_reported_not_deleted() {
        let mut bad = row("app", "x", Some("nonsense"));
        bad.flags.push(RowFlag::InvalidDigest);
        let none = row("app", "y", None);
        let all = [bad.clone(), none.clone()];
        let (plans, skipped) = plan_deletions([&bad, &none], &all);
        assert!(plans.is_empty());
        assert_eq!(skipped.len(), 2);
    }

    #[test]
    fn a_conflict_replaces_the_tags_with_the_servers_current_set() {
        let r = row("app", "latest", Some("sha256:a"));
        let (plans, _) = plan_deletions([&r], std::slice::from_ref(&r));
        let updated = plans[0].with_current_tags(&["app:latest".to_owned(), "new".to_owned()]);
        assert_eq!(updated.tags, ["latest", "new"]);
    }
}
