//! The filter box: a substring or glob on `name:tag`, or a digest prefix. Case-insensitive.

use shared::api::ImageRow;

/// A parsed filter query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Empty query: every row.
    All,
    /// Lowercased text that `name:tag` contains, or a digest begins with.
    Text(String),
    /// A lowercased glob (`*` any run, `?` one character) matched against the whole `name:tag`.
    Glob(String),
}

impl Filter {
    /// Parses what the user typed. `*` or `?` make it a glob; anything else is plain text.
    pub fn parse(query: &str) -> Self {
        let query = query.trim().to_lowercase();
        if query.is_empty() {
            Self::All
        } else if query.contains(['*', '?']) {
            Self::Glob(query)
        } else {
            Self::Text(query)
        }
    }

    /// Whether a row matches, given its [`haystack`] and digest.
    pub fn matches(&self, haystack: &str, digest: Option<&str>) -> bool {
        match self {
            Self::All => true,
            Self::Glob(pattern) => glob_match(pattern, haystack),
            Self::Text(text) => {
                haystack.contains(text.as_str())
                    || digest.is_some_and(|d| digest_has_prefix(d, text))
            }
        }
    }

    /// Keeps the indices (in their order) whose rows match.
    pub fn apply(&self, rows: &[ImageRow], haystacks: &[String], order: &[usize]) -> Vec<usize> {
        if *self == Self::All {
            return order.to_vec();
        }
        order
            .iter()
            .copied()
            .filter(|&i| self.matches(&haystacks[i], rows[i].digest.as_deref()))
            .collect()
    }
}

/// The lowercased `name:tag` a row is matched against (computed once per list, not per key press).
pub fn haystack(row: &ImageRow) -> String {
    format!("{}:{}", row.name, row.tag).to_lowercase()
}

/// A digest prefix: the full form (`sha256:3f5a…`) or, from 4 hex characters on, the bare hex
/// that the table shows (`3f5a8c9d1e2b`).
fn digest_has_prefix(digest: &str, text: &str) -> bool {
    if text.starts_with("sha") && text.contains(':') {
        return digest.starts_with(text);
    }
    text.len() >= 4
        && text.bytes().all(|b| b.is_ascii_hexdigit())
        && digest
            .split_once(':')
            .is_some_and(|(_, hex)| hex.starts_with(text))
}

/// Glob match of the whole text: `*` matches any run (including `/` and `:`), `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
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

    fn matching(query: &str) -> Vec<String> {
        let d1 = format!("sha256:3f5a{}", "0".repeat(60));
        let d2 = format!("sha256:beef{}", "1".repeat(60));
        let rows = vec![
            row("acme/plant-a/opcua-gateway", "1.4.2", Some(&d1)),
            row("python", "3.12", Some(&d2)),
            row("python", "Latest", None),
            row("tools/cfg", "index.html", Some(&d1)),
        ];
        let hay: Vec<String> = rows.iter().map(haystack).collect();
        let order: Vec<usize> = (0..rows.len()).collect();
        Filter::parse(query)
            .apply(&rows, &hay, &order)
            .into_iter()
            .map(|i| rows[i].reference())
            .collect()
    }

    #[test]
    fn an_empty_query_keeps_everything() {
        assert_eq!(matching("  ").len(), 4);
    }

    #[test]
    fn substrings_match_name_and_tag_case_insensitively() {
        assert_eq!(matching("PYTHON:lat"), ["python:Latest"]);
        assert_eq!(matching("plant-a"), ["acme/plant-a/opcua-gateway:1.4.2"]);
    }

    #[test]
    fn globs_match_the_whole_reference() {
        assert_eq!(matching("python:*"), ["python:3.12", "python:Latest"]);
        assert_eq!(matching("*:3.1?"), ["python:3.12"]);
        assert_eq!(matching("acme/*"), ["acme/plant-a/opcua-gateway:1.4.2"]);
        assert!(matching("python").len() == 2);
        assert!(matching("pyth*n").is_empty());
    }

    #[test]
    fn digest_prefixes_match_with_or_without_the_algorithm() {
        assert_eq!(matching("sha256:beef"), ["python:3.12"]);
        assert_eq!(
            matching("3f5a"),
            ["acme/plant-a/opcua-gateway:1.4.2", "tools/cfg:index.html"]
        );
        // Short hex is too ambiguous to mean a digest.
        assert!(matching("3f5").is_empty());
    }

    #[test]
    fn glob_edge_cases() {
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b", "axxbc"));
        assert!(glob_match("??", "ab"));
        assert!(!glob_match("?", ""));
    }

    #[test]
    fn filtering_ten_thousand_rows_is_fast() {
        let rows: Vec<ImageRow> = (0..10_000)
            .map(|i| row(&format!("repo{i}"), "v1", None))
            .collect();
        let hay: Vec<String> = rows.iter().map(haystack).collect();
        let order: Vec<usize> = (0..rows.len()).collect();
        let start = std::time::Instant::now();
        for q in ["repo99", "repo*:v?", "zzz"] {
            let _ = Filter::parse(q).apply(&rows, &hay, &order);
        }
        assert!(start.elapsed().as_millis() < 1_000);
    }
}
