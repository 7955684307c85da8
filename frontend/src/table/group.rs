//! Grouping by repository and the summary line.

use std::collections::HashMap;

use shared::api::ImageRow;

/// One repository in the grouped view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryGroup {
    /// Repository name.
    pub name: String,
    /// Row indices of its tags, in display order.
    pub rows: Vec<usize>,
    /// Sum of the known sizes: an upper bound, because tags share layers.
    pub size_upper_bound: u64,
    /// Whether some tag's size is unknown (so the sum is incomplete).
    pub has_unknown_size: bool,
    /// The newest valid timestamp among its tags.
    pub newest_ms: Option<i64>,
}

/// Groups rows by repository. Groups come in the order of their first row in `order`, so the
/// current sort carries over (newest first lists the repository with the newest tag first).
pub fn group_by_repository(rows: &[ImageRow], order: &[usize]) -> Vec<RepositoryGroup> {
    let mut position: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<RepositoryGroup> = Vec::new();
    for &i in order {
        let row = &rows[i];
        let at = *position.entry(row.name.as_str()).or_insert_with(|| {
            groups.push(RepositoryGroup {
                name: row.name.clone(),
                rows: Vec::new(),
                size_upper_bound: 0,
                has_unknown_size: false,
                newest_ms: None,
            });
            groups.len() - 1
        });
        let group = &mut groups[at];
        group.rows.push(i);
        match row.size_bytes {
            Some(size) => group.size_upper_bound = group.size_upper_bound.saturating_add(size),
            None => group.has_unknown_size = true,
        }
        group.newest_ms = group.newest_ms.max(row.timestamp_ms);
    }
    groups
}

/// The summary line's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Rows (name:tag pairs).
    pub images: usize,
    /// Distinct repository names.
    pub repositories: usize,
    /// Sum of known sizes: an upper bound, because layers are shared.
    pub size_upper_bound: u64,
    /// Rows whose size is unknown (not in the sum).
    pub unknown_sizes: usize,
}

/// Counts images, repositories and the size bound over the given rows.
pub fn summarize(rows: &[ImageRow], order: &[usize]) -> Summary {
    let mut names = std::collections::HashSet::new();
    let mut summary = Summary::default();
    for &i in order {
        let row = &rows[i];
        names.insert(row.name.as_str());
        summary.images += 1;
        match row.size_bytes {
            Some(size) => summary.size_upper_bound = summary.size_upper_bound.saturating_add(size),
            None => summary.unknown_sizes += 1,
        }
    }
    summary.repositories = names.len();
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, tag: &str, size: Option<u64>, ts: Option<i64>) -> ImageRow {
        ImageRow {
            name: name.to_owned(),
            tag: tag.to_owned(),
            digest: None,
            size_bytes: size,
            timestamp_ms: ts,
            shared_digest_tags: vec![],
            shared_digest_count: 0,
            flags: vec![],
        }
    }

    #[test]
    fn groups_follow_the_sort_and_count_tags() {
        let rows = vec![
            row("a", "1", Some(5), Some(1)),
            row("b", "1", None, Some(9)),
            row("a", "2", Some(7), Some(4)),
        ];
        let groups = group_by_repository(&rows, &[1, 2, 0]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].name, "b");
        assert!(groups[0].has_unknown_size);
        assert_eq!(groups[1].rows, vec![2, 0]);
        assert_eq!(groups[1].size_upper_bound, 12);
        assert_eq!(groups[1].newest_ms, Some(4));
    }

    #[test]
    fn the_summary_counts_repositories_and_bounds_the_size() {
        let rows = vec![
            row("a", "1", Some(u64::MAX), None),
            row("a", "2", Some(1), None),
            row("b", "1", None, None),
        ];
        let s = summarize(&rows, &[0, 1, 2]);
        assert_eq!((s.images, s.repositories, s.unknown_sizes), (3, 2, 1));
        assert_eq!(s.size_upper_bound, u64::MAX);
        assert_eq!(summarize(&rows, &[]), Summary::default());
    }
}
