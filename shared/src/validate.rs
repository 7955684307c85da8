//! Validators for repository names, tags, digests and registry hosts (OCI distribution grammar).
//!
//! Hand-written rather than regex-based: the same functions run in the browser (instant feedback)
//! and on the server (authoritative), and a parser keeps the WASM bundle small. Rust's `\w` is
//! Unicode-aware, which is one more reason to spell the character classes out here.

use std::fmt;

/// Longest repository name the distribution spec allows.
pub const MAX_NAME_LEN: usize = 255;
/// Longest tag the distribution spec allows.
pub const MAX_TAG_LEN: usize = 128;

/// Why a value was refused. `Display` gives a sentence fragment a person can act on, always a
/// predicate ("must …", "is …", "has …", "contains …", "may …"): callers prefix it with the
/// field's label ("Internal tag must not be empty"), so a test holds every message to that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// The value is empty.
    Empty,
    /// The value is longer than allowed.
    TooLong {
        /// The limit, in characters.
        max: usize,
        /// The length given.
        actual: usize,
    },
    /// A character is not allowed at all in this kind of value.
    BadChar {
        /// The offending character.
        ch: char,
        /// Zero-based character position.
        position: usize,
        /// What is allowed, in words.
        allowed: &'static str,
    },
    /// Uppercase letters are not allowed in repository names.
    Uppercase {
        /// The offending character.
        ch: char,
        /// Zero-based character position.
        position: usize,
    },
    /// A rule about the shape of the value, explained in words.
    Shape(&'static str),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("must not be empty"),
            Self::TooLong { max, actual } => {
                write!(f, "is {actual} characters long; the limit is {max}")
            }
            Self::BadChar {
                ch,
                position,
                allowed,
            } => write!(
                f,
                "contains {} at position {}; allowed: {allowed}",
                describe_char(*ch),
                position + 1
            ),
            Self::Uppercase { ch, position } => {
                write!(f, "must be lowercase ('{ch}' at position {})", position + 1)
            }
            Self::Shape(rule) => f.write_str(rule),
        }
    }
}

impl std::error::Error for Invalid {}

fn describe_char(ch: char) -> String {
    if ch.is_control() || ch.is_whitespace() {
        format!("the character U+{:04X}", u32::from(ch))
    } else {
        format!("'{ch}'")
    }
}

const NAME_ALLOWED: &str = "lowercase letters, digits, '.', '_', '-' and '/'";
const TAG_ALLOWED: &str = "letters, digits, '_', '.' and '-'";

/// Checks a repository name: `/`-separated components of `[a-z0-9]+` joined by `.`, `_`, `__` or
/// one or more `-`; at most 255 characters.
pub fn validate_repository_name(name: &str) -> Result<(), Invalid> {
    if name.is_empty() {
        return Err(Invalid::Empty);
    }
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        return Err(Invalid::TooLong {
            max: MAX_NAME_LEN,
            actual: len,
        });
    }
    for (position, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            return Err(Invalid::Uppercase { ch, position });
        }
        if !(ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '_' | '-' | '/'))
        {
            return Err(Invalid::BadChar {
                ch,
                position,
                allowed: NAME_ALLOWED,
            });
        }
    }
    name.split('/').try_for_each(validate_path_component)
}

fn validate_path_component(component: &str) -> Result<(), Invalid> {
    let bytes = component.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return Err(Invalid::Shape(
            "has an empty path component (a leading, trailing or doubled '/')",
        ));
    };
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return Err(Invalid::Shape(
            "must start and end each '/'-separated part with a letter or digit",
        ));
    }
    // Runs of separators between alphanumerics: '.', '_', '__' or any number of '-'.
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let run = &component[start..i];
        let ok = matches!(run, "." | "_" | "__") || run.bytes().all(|b| b == b'-');
        if !ok {
            return Err(Invalid::Shape(
                "may join letters and digits only by '.', '_', '__' or dashes (no '..', '___' or mixed runs)",
            ));
        }
    }
    Ok(())
}

/// Checks a tag: first character `[A-Za-z0-9_]`, then at most 127 of `[A-Za-z0-9_.-]`.
pub fn validate_tag(tag: &str) -> Result<(), Invalid> {
    let mut chars = tag.chars().enumerate().peekable();
    let Some(&(_, first)) = chars.peek() else {
        return Err(Invalid::Empty);
    };
    let len = tag.chars().count();
    if len > MAX_TAG_LEN {
        return Err(Invalid::TooLong {
            max: MAX_TAG_LEN,
            actual: len,
        });
    }
    if first == '.' || first == '-' {
        return Err(Invalid::Shape(
            "must start with a letter, a digit or '_' (not '.' or '-')",
        ));
    }
    for (position, ch) in chars {
        if !(ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '-')) {
            return Err(Invalid::BadChar {
                ch,
                position,
                allowed: TAG_ALLOWED,
            });
        }
    }
    Ok(())
}

/// Checks a digest: `sha256:` + 64 lowercase hex, or `sha512:` + 128 lowercase hex.
pub fn validate_digest(digest: &str) -> Result<(), Invalid> {
    if digest.is_empty() {
        return Err(Invalid::Empty);
    }
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err(Invalid::Shape(
            "must start with 'sha256:' or 'sha512:' followed by the hex value",
        ));
    };
    let expected = match algorithm {
        "sha256" => 64,
        "sha512" => 128,
        _ => {
            return Err(Invalid::Shape(
                "must use the algorithm 'sha256' or 'sha512', written in lowercase",
            ));
        }
    };
    if hex.len() != expected {
        return Err(Invalid::Shape(if expected == 64 {
            "must have exactly 64 hex characters after 'sha256:'"
        } else {
            "must have exactly 128 hex characters after 'sha512:'"
        }));
    }
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Invalid::Shape(
            "must use only 0-9 and lowercase a-f after the algorithm",
        ));
    }
    Ok(())
}

/// Checks a repository name for deletion. The device may list legacy names the strict grammar
/// rejects, and those must stay deletable, so this accepts any name made of
/// `[A-Za-z0-9._-]` components; it still refuses anything that could add a query parameter,
/// a fragment or a path step (`&`, `=`, `?`, `#`, `%`, `+`, spaces, `..`, empty components).
pub fn validate_listed_name(name: &str) -> Result<(), Invalid> {
    if name.is_empty() {
        return Err(Invalid::Empty);
    }
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        return Err(Invalid::TooLong {
            max: MAX_NAME_LEN,
            actual: len,
        });
    }
    for (position, ch) in name.chars().enumerate() {
        if !(ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-' | '/')) {
            return Err(Invalid::BadChar {
                ch,
                position,
                allowed: "letters, digits, '.', '_', '-' and '/'",
            });
        }
    }
    for component in name.split('/') {
        if component.is_empty() {
            return Err(Invalid::Shape(
                "has an empty path component (a leading, trailing or doubled '/')",
            ));
        }
        if component == "." || component == ".." {
            return Err(Invalid::Shape("must not contain '.' or '..' path steps"));
        }
    }
    Ok(())
}

/// A value accepted after a harmless correction, with a note for the user about what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The value to use.
    pub value: String,
    /// What was changed, if anything, in words for the user.
    pub notice: Option<String>,
}

/// Checks an external registry: a host name or IP (IPv6 in brackets) with an optional `:port`;
/// no scheme, path or user info. A leading `https://` or `http://` and a trailing `/` are removed
/// with a notice rather than refused (people paste URLs).
pub fn normalize_registry_host(input: &str) -> Result<Normalized, Invalid> {
    let trimmed = input.trim();
    let mut notice = None;
    let mut host = trimmed;
    for scheme in ["https://", "http://"] {
        if let Some(rest) = strip_prefix_ignore_case(host, scheme) {
            host = rest;
            notice = Some(format!(
                "Removed '{scheme}': the device chooses the protocol itself, so give only host[:port]."
            ));
        }
    }
    if let Some(rest) = host.strip_suffix('/') {
        host = rest;
    }
    if host.is_empty() {
        return Err(Invalid::Empty);
    }
    if host.contains('@') {
        return Err(Invalid::Shape(
            "must not contain user info ('user@'); registry credentials are configured on the device",
        ));
    }
    if host.contains('/') {
        return Err(Invalid::Shape(
            "must be a host name with an optional port only; put the repository path in the image name",
        ));
    }
    if host.len() > 255 {
        return Err(Invalid::TooLong {
            max: 255,
            actual: host.len(),
        });
    }
    let (name, port) = split_host_port(host)?;
    if let Some(port) = port {
        validate_port(port)?;
    }
    if let Some(v6) = name.strip_prefix('[') {
        let inner = v6.strip_suffix(']').ok_or(Invalid::Shape(
            "must have an IPv6 address written in brackets, like [fd00::5]:5000",
        ))?;
        validate_ipv6(inner)?;
    } else {
        validate_dns_name_or_ipv4(name)?;
    }
    Ok(Normalized {
        value: host.to_ascii_lowercase(),
        notice,
    })
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn split_host_port(host: &str) -> Result<(&str, Option<&str>), Invalid> {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) if end + 1 == host.len() => Ok((host, None)),
            Some(end) => match host[end + 1..].strip_prefix(':') {
                Some(port) => Ok((&host[..=end], Some(port))),
                None => Err(Invalid::Shape(
                    "may have only ':port' after an IPv6 address in brackets",
                )),
            },
            None => Err(Invalid::Shape(
                "is missing the closing ']' of its IPv6 address",
            )),
        };
    }
    match host.split_once(':') {
        Some((_, port)) if port.contains(':') => Err(Invalid::Shape(
            "must have an IPv6 address written in brackets, like [fd00::5]:5000",
        )),
        Some((name, port)) => Ok((name, Some(port))),
        None => Ok((host, None)),
    }
}

fn validate_port(port: &str) -> Result<(), Invalid> {
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(Invalid::Shape("must have a port number from 1 to 65535")),
    }
}

fn validate_ipv6(inner: &str) -> Result<(), Invalid> {
    let ok = !inner.is_empty()
        && inner.contains(':')
        && inner
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(Invalid::Shape("is not a valid IPv6 address"))
    }
}

fn validate_dns_name_or_ipv4(name: &str) -> Result<(), Invalid> {
    if name.is_empty() {
        return Err(Invalid::Shape("is missing the host name before ':port'"));
    }
    for (position, ch) in name.chars().enumerate() {
        if !(ch.is_ascii_alphanumeric() || ch == '-' || ch == '.') {
            return Err(Invalid::BadChar {
                ch,
                position,
                allowed: "letters, digits, '-' and '.' in a host name",
            });
        }
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(Invalid::Shape(
                "must have 1 to 63 characters in each dot-separated part of the host name",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Invalid::Shape(
                "must not have a host name part that starts or ends with '-'",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
