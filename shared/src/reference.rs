//! Splitting a pasted image reference (`registry.example.local:5000/team/app:1.2.3`) into the
//! registry host, repository name and tag the device's pull call takes, and Docker Hub's
//! shorthand (`python` on `docker.io` means `library/python`).

use crate::validate::{Invalid, normalize_registry_host, validate_repository_name, validate_tag};

/// The registry assumed when a reference names none.
pub const DOCKER_HUB: &str = "docker.io";
/// The tag assumed when a reference names none.
pub const DEFAULT_TAG: &str = "latest";

/// A pasted reference split into the parts the device's pull call takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedReference {
    /// Registry host with optional port (`docker.io` when none was given).
    pub registry: String,
    /// Repository name, with Docker Hub's `library/` added where the shorthand was used.
    pub name: String,
    /// Tag (`latest` when none was given).
    pub tag: String,
    /// Corrections made while parsing, in words for the user.
    pub notices: Vec<String>,
}

/// Which part of a pasted reference is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceError {
    /// The whole reference is empty.
    Empty,
    /// The registry host part is invalid.
    Registry(Invalid),
    /// The repository name part is invalid.
    Name(Invalid),
    /// The tag part is invalid.
    Tag(Invalid),
    /// The reference pins a digest (`@sha256:…`); the device pulls by tag only.
    DigestNotSupported,
}

impl std::fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("Paste a reference such as docker.io/library/python:3.12"),
            Self::Registry(e) => write!(f, "Registry {e}"),
            Self::Name(e) => write!(f, "Image name {e}"),
            Self::Tag(e) => write!(f, "Tag {e}"),
            Self::DigestNotSupported => {
                f.write_str("The device pulls by tag only: replace '@sha256:…' with ':<tag>'")
            }
        }
    }
}

impl std::error::Error for ReferenceError {}

/// Whether the first path component of a reference names a registry, by Docker's own rule:
/// it contains a `.` or a `:`, is `localhost`, or is a bracketed IPv6 address.
fn is_registry_component(component: &str) -> bool {
    component.contains('.')
        || component.contains(':')
        || component == "localhost"
        || component.starts_with('[')
}

/// Whether a registry host is Docker Hub under one of its names.
pub fn is_docker_hub(registry: &str) -> bool {
    matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com"
    )
}

/// Applies Docker Hub's shorthand: on Docker Hub a one-component name lives under `library/`.
/// Returns the name unchanged for every other registry.
pub fn normalize_hub_name(registry: &str, name: &str) -> String {
    if is_docker_hub(registry) && !name.contains('/') {
        format!("library/{name}")
    } else {
        name.to_owned()
    }
}

/// Parses a pasted reference. A tag is only taken from a colon after the last `/`, so
/// `localhost:5000/team/app` is registry `localhost:5000`, name `team/app`, tag `latest`.
pub fn parse_reference(input: &str) -> Result<ParsedReference, ReferenceError> {
    let mut notices = Vec::new();
    let mut rest = input.trim();
    if rest.is_empty() {
        return Err(ReferenceError::Empty);
    }
    if let Some((scheme_end, _)) = rest.match_indices("://").next() {
        let scheme = &rest[..scheme_end];
        if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http") {
            notices.push(format!(
                "Removed '{scheme}://': the device chooses the protocol itself."
            ));
            rest = &rest[scheme_end + 3..];
        }
    }
    if rest.contains('@') {
        return Err(ReferenceError::DigestNotSupported);
    }
    let (registry, path) = match rest.split_once('/') {
        Some((first, remainder)) if is_registry_component(first) => {
            let host = normalize_registry_host(first).map_err(ReferenceError::Registry)?;
            notices.extend(host.notice);
            (host.value, remainder)
        }
        _ => (DOCKER_HUB.to_owned(), rest),
    };
    let last_slash = path.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match path[last_slash..].find(':') {
        Some(colon) => (&path[..last_slash + colon], &path[last_slash + colon + 1..]),
        None => (path, DEFAULT_TAG),
    };
    validate_repository_name(name).map_err(ReferenceError::Name)?;
    validate_tag(tag).map_err(ReferenceError::Tag)?;
    let normalized = normalize_hub_name(&registry, name);
    // Docker Hub's `library/` adds 8 characters, which can push a valid name past the limit.
    validate_repository_name(&normalized).map_err(ReferenceError::Name)?;
    if normalized != name {
        notices.push(format!(
            "On Docker Hub, '{name}' means '{normalized}' (official images live under library/)."
        ));
    }
    Ok(ParsedReference {
        registry,
        name: normalized,
        tag: tag.to_owned(),
        notices,
    })
}

/// The name an image is stored under inside the device by default: the source name without
/// Docker Hub's `library/` prefix, as people write it (`python`, not `library/python`).
pub fn default_internal_name(registry: &str, name: &str) -> String {
    match name.strip_prefix("library/") {
        Some(short) if is_docker_hub(registry) && !short.contains('/') => short.to_owned(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(input: &str) -> (String, String, String) {
        let r = parse_reference(input).expect("valid reference");
        (r.registry, r.name, r.tag)
    }

    fn owned(a: &str, b: &str, c: &str) -> (String, String, String) {
        (a.to_owned(), b.to_owned(), c.to_owned())
    }

    #[test]
    fn bc11_a_host_with_a_port_stays_in_the_registry_part() {
        assert_eq!(
            parts("registry.example.local:5000/team/app:1.2.3"),
            owned("registry.example.local:5000", "team/app", "1.2.3")
        );
        assert_eq!(
            parts("localhost:5000/team/app"),
            owned("localhost:5000", "team/app", "latest")
        );
        assert_eq!(
            parts("[fd00::5]:5000/app:7"),
            owned("[fd00::5]:5000", "app", "7")
        );
    }

    #[test]
    fn docker_hub_shorthand_is_normalised_and_said() {
        let r = parse_reference("python:3.12").expect("valid");
        assert_eq!(
            (r.registry.as_str(), r.name.as_str()),
            ("docker.io", "library/python")
        );
        assert_eq!(r.notices.len(), 1);
        assert_eq!(
            parts("grafana/grafana"),
            owned("docker.io", "grafana/grafana", "latest")
        );
        assert_eq!(
            default_internal_name("docker.io", "library/python"),
            "python"
        );
        assert_eq!(
            default_internal_name("ghcr.io", "library/python"),
            "library/python"
        );
    }

    #[test]
    fn a_hub_name_that_library_would_push_past_255_characters_is_refused() {
        let name = "a".repeat(250);
        assert!(matches!(
            parse_reference(&name),
            Err(ReferenceError::Name(Invalid::TooLong {
                max: 255,
                actual: 258
            }))
        ));
        assert!(
            parse_reference(&format!("ghcr.io/{name}")).is_ok(),
            "no prefix elsewhere"
        );
    }

    #[test]
    fn a_scheme_is_removed_with_a_notice() {
        let r = parse_reference("https://ghcr.io/acme/tool:v1").expect("valid");
        assert_eq!(
            (r.registry.as_str(), r.name.as_str(), r.tag.as_str()),
            ("ghcr.io", "acme/tool", "v1")
        );
        assert!(r.notices[0].contains("https://"));
    }

    #[test]
    fn bad_parts_are_named() {
        assert!(matches!(parse_reference(""), Err(ReferenceError::Empty)));
        assert!(matches!(
            parse_reference("Python:3"),
            Err(ReferenceError::Name(_))
        ));
        assert!(matches!(
            parse_reference("python:.x"),
            Err(ReferenceError::Tag(_))
        ));
        assert!(matches!(
            parse_reference("python@sha256:abc"),
            Err(ReferenceError::DigestNotSupported)
        ));
        assert!(matches!(
            parse_reference("ex.com:99999/a"),
            Err(ReferenceError::Registry(_))
        ));
    }
}
