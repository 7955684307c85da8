//! The parameter grammar the device enforces (OCI distribution names, tags and digests), so a
//! client that sends something malformed gets the 400 a real device would give.

/// `sha256:` + 64 lowercase hex digits, or `sha512:` + 128.
pub(crate) fn is_digest(text: &str) -> bool {
    let hex_of = |rest: &str, len: usize| {
        rest.len() == len
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match text.split_once(':') {
        Some(("sha256", rest)) => hex_of(rest, 64),
        Some(("sha512", rest)) => hex_of(rest, 128),
        _ => false,
    }
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub(crate) fn is_tag(text: &str) -> bool {
    let mut bytes = text.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    first_ok
        && text.len() <= 128
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Slash-separated components of lowercase alphanumerics joined by `.`, `_`, `__` or dashes.
pub(crate) fn is_repository(text: &str) -> bool {
    !text.is_empty() && text.len() <= 255 && text.split('/').all(is_component)
}

fn is_component(component: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    // Every run of separators between alphanumerics must be ".", "_", "__" or only dashes.
    component
        .split(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        .filter(|run| !run.is_empty())
        .all(|run| matches!(run, "." | "_" | "__") || run.bytes().all(|b| b == b'-'))
}

/// A registry host with an optional port: no scheme, path, user info or whitespace.
pub(crate) fn is_registry_host(text: &str) -> bool {
    !text.is_empty()
        && !text.contains("://")
        && !text.contains(['/', '@', '?', '#'])
        && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oci_grammar_accepts_realistic_values_and_rejects_the_rest() {
        assert!(is_repository("acme/plant-a/opcua-gateway"));
        assert!(is_repository("timeseries_tools__x/exporter"));
        assert!(is_repository("a--b.c/d"));
        assert!(!is_repository("Python"));
        assert!(!is_repository("a//b"));
        assert!(!is_repository("a___b"));
        assert!(!is_repository("-a"));
        assert!(is_tag("1.5.0-rc.1"));
        assert!(is_tag("Latest_X"));
        assert!(!is_tag(".hidden"));
        assert!(!is_tag(&"a".repeat(129)));
        assert!(is_digest(&format!("sha256:{}", "ab".repeat(32))));
        assert!(!is_digest(&format!("sha256:{}", "AB".repeat(32))));
        assert!(!is_digest("sha256:abc"));
        assert!(is_registry_host("registry.example.local:5000"));
        assert!(is_registry_host("[::1]:5000"));
        assert!(!is_registry_host("https://docker.io"));
        assert!(!is_registry_host("docker.io/library"));
    }
}
