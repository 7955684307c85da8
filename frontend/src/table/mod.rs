//! The image list's logic: sorting, filtering, grouping by repository, summary and paging.
//! Works on row indices into the device's list so 10,000 rows are never cloned; pure and tested.

mod filter;
mod group;
mod sort;

pub use filter::{Filter, glob_match, haystack};
pub use group::{RepositoryGroup, Summary, group_by_repository, summarize};
pub use sort::{SortColumn, SortDirection, SortOrder, natural_cmp, sort_indices};

use std::ops::Range;

/// Rows rendered per page: enough to scan, few enough that the DOM stays fast at 10,000 rows.
pub const PAGE_SIZE: usize = 50;

/// Number of pages for `total` items (at least 1, so "page 1 of 1" shows for an empty list).
pub fn page_count(total: usize, page_size: usize) -> usize {
    total.div_ceil(page_size.max(1)).max(1)
}

/// A page index (0-based) moved into range after the list shrank.
pub fn clamp_page(page: usize, total: usize, page_size: usize) -> usize {
    page.min(page_count(total, page_size) - 1)
}

/// The item positions on a page (0-based), clamped to the list.
pub fn page_range(page: usize, total: usize, page_size: usize) -> Range<usize> {
    let page = clamp_page(page, total, page_size);
    let start = (page * page_size).min(total);
    start..(start + page_size).min(total)
}

/// A small stable number (0..`buckets`) for a digest, so rows sharing a digest get the same
/// marker colour. FNV-1a: tiny and good enough for spreading colours.
pub fn digest_bucket(digest: &str, buckets: u8) -> u8 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in digest.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    u8::try_from(hash % u32::from(buckets.max(1))).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_covers_the_list_and_clamps() {
        assert_eq!(page_count(0, 100), 1);
        assert_eq!(page_count(100, 100), 1);
        assert_eq!(page_count(10_000, 100), 100);
        assert_eq!(page_range(0, 250, 100), 0..100);
        assert_eq!(page_range(2, 250, 100), 200..250);
        assert_eq!(page_range(7, 250, 100), 200..250);
        assert_eq!(page_range(0, 0, 100), 0..0);
        assert_eq!(clamp_page(9, 150, 100), 1);
    }

    #[test]
    fn digest_buckets_are_stable_and_in_range() {
        let a = digest_bucket("sha256:aaaa", 6);
        assert_eq!(a, digest_bucket("sha256:aaaa", 6));
        assert!(a < 6);
    }
}
