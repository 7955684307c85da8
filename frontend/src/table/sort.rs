//! Sorting the image list by any column; unknown values always sort last.

use std::cmp::Ordering;

use shared::api::ImageRow;

/// A sortable column of the image table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortColumn {
    /// Repository name.
    Name,
    /// Tag.
    Tag,
    /// Digest.
    Digest,
    /// Size in bytes.
    Size,
    /// The device's timestamp.
    Date,
}

impl SortColumn {
    /// The direction a first click on the column sorts: biggest and newest first, names A→Z.
    pub fn natural_direction(self) -> SortDirection {
        match self {
            Self::Size | Self::Date => SortDirection::Descending,
            _ => SortDirection::Ascending,
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortDirection {
    /// A→Z, smallest, oldest first.
    Ascending,
    /// Z→A, biggest, newest first.
    Descending,
}

/// Which column and which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortOrder {
    /// The column.
    pub column: SortColumn,
    /// The direction.
    pub direction: SortDirection,
}

impl Default for SortOrder {
    /// Newest first: what people ask for most.
    fn default() -> Self {
        Self {
            column: SortColumn::Date,
            direction: SortDirection::Descending,
        }
    }
}

impl SortOrder {
    /// The order after clicking `column`: the same column flips, another starts in its natural
    /// direction.
    pub fn toggled(self, column: SortColumn) -> Self {
        if self.column == column {
            let direction = match self.direction {
                SortDirection::Ascending => SortDirection::Descending,
                SortDirection::Descending => SortDirection::Ascending,
            };
            Self { column, direction }
        } else {
            Self {
                column,
                direction: column.natural_direction(),
            }
        }
    }

    /// The `aria-sort` value for a column header.
    pub fn aria_sort(self, column: SortColumn) -> &'static str {
        match (self.column == column, self.direction) {
            (false, _) => "none",
            (true, SortDirection::Ascending) => "ascending",
            (true, SortDirection::Descending) => "descending",
        }
    }
}

/// Row indices in display order. Unknown values (no size, invalid date, no digest) come last
/// whichever the direction; ties fall back to name then tag, A→Z.
pub fn sort_indices(rows: &[ImageRow], order: SortOrder) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..rows.len()).collect();
    indices.sort_by(|&a, &b| compare_rows(&rows[a], &rows[b], order));
    indices
}

fn compare_rows(a: &ImageRow, b: &ImageRow, order: SortOrder) -> Ordering {
    let primary = match order.column {
        SortColumn::Name => Some(natural_cmp(&a.name, &b.name)),
        SortColumn::Tag => Some(natural_cmp(&a.tag, &b.tag)),
        SortColumn::Digest => known_first(a.digest.as_ref(), b.digest.as_ref()),
        SortColumn::Size => known_first(a.size_bytes.as_ref(), b.size_bytes.as_ref()),
        SortColumn::Date => known_first(a.timestamp_ms.as_ref(), b.timestamp_ms.as_ref()),
    };
    let primary = match primary {
        // Already resolved "unknown last"; not subject to the direction.
        None => return unknown_last(a, b, order.column),
        Some(o) => o,
    };
    let primary = match order.direction {
        SortDirection::Ascending => primary,
        SortDirection::Descending => primary.reverse(),
    };
    primary
        .then_with(|| natural_cmp(&a.name, &b.name))
        .then_with(|| natural_cmp(&a.tag, &b.tag))
}

/// Compares two optional values when both are known; `None` when at least one is unknown (the
/// caller then orders unknown last regardless of direction).
fn known_first<T: Ord>(a: Option<&T>, b: Option<&T>) -> Option<Ordering> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn unknown_last(a: &ImageRow, b: &ImageRow, column: SortColumn) -> Ordering {
    let known = |row: &ImageRow| match column {
        SortColumn::Digest => row.digest.is_some(),
        SortColumn::Size => row.size_bytes.is_some(),
        SortColumn::Date => row.timestamp_ms.is_some(),
        SortColumn::Name | SortColumn::Tag => true,
    };
    known(b)
        .cmp(&known(a))
        .then_with(|| natural_cmp(&a.name, &b.name))
        .then_with(|| natural_cmp(&a.tag, &b.tag))
}

/// Compares strings with digit runs as numbers, so `1.9` sorts before `1.10` and `v2` before
/// `v10`. Otherwise byte order.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (num_a, rest_a) = split_digits(a);
                let (num_b, rest_b) = split_digits(b);
                let ta = trim_zeros(num_a);
                let tb = trim_zeros(num_b);
                let ord = ta
                    .len()
                    .cmp(&tb.len())
                    .then_with(|| ta.cmp(tb))
                    .then_with(|| num_a.len().cmp(&num_b.len()));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = rest_a;
                b = rest_b;
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
    &s[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, tag: &str, size: Option<u64>, ts: Option<i64>) -> ImageRow {
        ImageRow {
            name: name.to_owned(),
            tag: tag.to_owned(),
            digest: size.map(|s| format!("sha256:{s:064x}")),
            size_bytes: size,
            timestamp_ms: ts,
            shared_digest_tags: vec![],
            shared_digest_count: 0,
            flags: vec![],
        }
    }

    fn refs(rows: &[ImageRow], order: SortOrder) -> Vec<String> {
        sort_indices(rows, order)
            .into_iter()
            .map(|i| rows[i].reference())
            .collect()
    }

    fn rows() -> Vec<ImageRow> {
        vec![
            row("b", "1", Some(10), Some(3_000)),
            row("a", "2", None, None),
            row("c", "3", Some(30), Some(1_000)),
            row("a", "1", Some(20), Some(2_000)),
        ]
    }

    #[test]
    fn newest_first_is_the_default_and_unknown_dates_sort_last() {
        assert_eq!(
            refs(&rows(), SortOrder::default()),
            ["b:1", "a:1", "c:3", "a:2"]
        );
    }

    #[test]
    fn unknown_sorts_last_in_both_directions() {
        let asc = SortOrder {
            column: SortColumn::Size,
            direction: SortDirection::Ascending,
        };
        assert_eq!(refs(&rows(), asc), ["b:1", "a:1", "c:3", "a:2"]);
        let desc = asc.toggled(SortColumn::Size);
        assert_eq!(refs(&rows(), desc), ["c:3", "a:1", "b:1", "a:2"]);
        let oldest = SortOrder::default().toggled(SortColumn::Date);
        assert_eq!(refs(&rows(), oldest), ["c:3", "a:1", "b:1", "a:2"]);
    }

    #[test]
    fn names_and_tags_sort_naturally_with_ties_broken_by_name_then_tag() {
        let by_name = SortOrder::default().toggled(SortColumn::Name);
        assert_eq!(refs(&rows(), by_name), ["a:1", "a:2", "b:1", "c:3"]);
        let tags = vec![
            row("x", "1.10", None, None),
            row("x", "1.9", None, None),
            row("x", "1.09", None, None),
            row("x", "latest", None, None),
        ];
        let by_tag = SortOrder::default().toggled(SortColumn::Tag);
        assert_eq!(
            refs(&tags, by_tag),
            ["x:1.9", "x:1.09", "x:1.10", "x:latest"]
        );
    }

    #[test]
    fn toggling_flips_the_same_column_and_starts_others_naturally() {
        let o = SortOrder::default();
        assert_eq!(
            o.toggled(SortColumn::Date).direction,
            SortDirection::Ascending
        );
        assert_eq!(
            o.toggled(SortColumn::Name).direction,
            SortDirection::Ascending
        );
        assert_eq!(
            o.toggled(SortColumn::Size).direction,
            SortDirection::Descending
        );
        assert_eq!(o.aria_sort(SortColumn::Date), "descending");
        assert_eq!(o.aria_sort(SortColumn::Name), "none");
    }

    #[test]
    fn ten_thousand_rows_sort_quickly() {
        let many: Vec<ImageRow> = (0..10_000_u64)
            .map(|i| {
                row(
                    &format!("repo{}", i % 97),
                    &format!("v{i}"),
                    Some(i * 7919 % 10_007),
                    i64::try_from(i * 104_729 % 99_991).ok(),
                )
            })
            .collect();
        let start = std::time::Instant::now();
        for column in [
            SortColumn::Name,
            SortColumn::Tag,
            SortColumn::Size,
            SortColumn::Date,
        ] {
            let sorted = sort_indices(&many, SortOrder::default().toggled(column));
            assert_eq!(sorted.len(), 10_000);
        }
        assert!(start.elapsed().as_secs() < 2);
    }
}
