//! Client-side paths: parsing the image wildcard route, building links under the base path with
//! the selected device kept in `?device=`, and the post-login return path. Pure and tested.

/// What `/images/<rest>` points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImagePath {
    /// `/images/<name…>`: one repository's tags.
    Repository(String),
    /// `/images/<name…>:<tag>`: one tag's detail.
    Tag {
        /// Repository name.
        name: String,
        /// Tag.
        tag: String,
    },
}

/// Parses the part after `/images/`. The tag is after the last `:` that follows the last `/`, so
/// `tools/cfg:index.html` is repository `tools/cfg`, tag `index.html`, and a registry-style
/// `host:5000/app` stays a name. `None` for an empty path.
pub fn parse_image_path(rest: &str) -> Option<ImagePath> {
    let rest = percent_decode(rest.trim_matches('/'));
    if rest.is_empty() {
        return None;
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(colon) => {
            let split = last_slash + colon;
            let (name, tag) = (&rest[..split], &rest[split + 1..]);
            if name.is_empty() {
                return None;
            }
            if tag.is_empty() {
                return Some(ImagePath::Repository(name.to_owned()));
            }
            Some(ImagePath::Tag {
                name: name.to_owned(),
                tag: tag.to_owned(),
            })
        }
        None => Some(ImagePath::Repository(rest)),
    }
}

/// The app path of a repository view (without base path).
pub fn repository_path(name: &str) -> String {
    format!("/images/{}", encode_path(name))
}

/// The app path of a tag's detail page (without base path).
pub fn tag_path(name: &str, tag: &str) -> String {
    format!("/images/{}:{}", encode_path(name), encode_path(tag))
}

/// Joins the base path (`/` or `/registry/`) and an app path (`/images`) with `?device=`.
pub fn href(base: &str, path: &str, device: Option<&str>) -> String {
    let mut out = format!("{}{}", base.trim_end_matches('/'), path);
    if let Some(device) = device {
        out.push(if path.contains('?') { '&' } else { '?' });
        out.push_str("device=");
        out.push_str(&encode_component(device));
    }
    out
}

/// The router's base: the base path without its trailing slash (`""` for `/`).
pub fn router_base(base: &str) -> String {
    base.trim_end_matches('/').to_owned()
}

/// The app path of a browser path: the base path removed (`/registry/images` → `/images`).
pub fn strip_base<'a>(base: &str, pathname: &'a str) -> &'a str {
    let base = base.trim_end_matches('/');
    match pathname.strip_prefix(base) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => pathname,
    }
}

/// The login page's path remembering where to return.
pub fn login_path(return_to: &str) -> String {
    match safe_return_path(return_to) {
        Some(path) if path != "/images" => format!("/login?next={}", encode_component(path)),
        _ => "/login".to_owned(),
    }
}

/// Accepts a return path only if it is inside the app: starts with one `/`, no scheme, no
/// backslash, and is not the login page (which would loop).
pub fn safe_return_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.contains("://")
        && !next.starts_with("/login");
    ok.then_some(next)
}

/// Percent-encodes a query component (everything but unreserved characters).
pub fn encode_component(value: &str) -> String {
    encode(value, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
    })
}

/// Percent-encodes a path piece, keeping `/` so repository names read naturally.
fn encode_path(value: &str) -> String {
    encode(value, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/')
    })
}

fn encode(value: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes; malformed escapes are kept as written.
pub fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Builds a query string (`?a=1&b=x%20y`) from pairs, skipping empty values.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode_component(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// The device to show: the one `?device=` names when it exists, else the first configured one.
pub fn pick_device<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    wanted: Option<&str>,
) -> Option<String> {
    let mut first = None;
    for id in ids {
        if Some(id) == wanted {
            return Some(id.to_owned());
        }
        first.get_or_insert(id);
    }
    first.map(str::to_owned)
}

/// Placeholder the server replaces with the real base path; still present under `trunk serve`.
const BASE_PLACEHOLDER: &str = "/__LEM_BASE__/";

/// A usable base path from the `lem-panel-base` meta tag: `/` when missing, unreplaced or odd;
/// always with leading and trailing `/`.
pub fn normalize_base(content: &str) -> String {
    let trimmed = content.trim();
    if trimmed.is_empty()
        || trimmed == BASE_PLACEHOLDER
        || !trimmed.starts_with('/')
        || trimmed.starts_with("//")
    {
        return "/".to_owned();
    }
    if trimmed.ends_with('/') {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(name: &str, tag: &str) -> Option<ImagePath> {
        Some(ImagePath::Tag {
            name: name.to_owned(),
            tag: tag.to_owned(),
        })
    }

    #[test]
    fn repository_paths_keep_their_slashes() {
        assert_eq!(
            parse_image_path("acme/plant-a/opcua-gateway"),
            Some(ImagePath::Repository(
                "acme/plant-a/opcua-gateway".to_owned()
            ))
        );
    }

    #[test]
    fn the_tag_follows_the_last_colon_after_the_last_slash() {
        assert_eq!(
            parse_image_path("tools/cfg:index.html"),
            tag("tools/cfg", "index.html")
        );
        assert_eq!(parse_image_path("python:3.12"), tag("python", "3.12"));
        assert_eq!(parse_image_path("a/b:c:d"), tag("a/b:c", "d"));
        assert_eq!(
            parse_image_path("host:5000/app"),
            Some(ImagePath::Repository("host:5000/app".to_owned()))
        );
        assert_eq!(parse_image_path(""), None);
        assert_eq!(parse_image_path(":x"), None);
    }

    #[test]
    fn links_round_trip_through_the_parser() {
        let path = tag_path("acme/odd name", "v1+x");
        assert_eq!(path, "/images/acme/odd%20name:v1%2Bx");
        assert_eq!(
            parse_image_path(path.trim_start_matches("/images/")),
            tag("acme/odd name", "v1+x")
        );
        assert_eq!(repository_path("tools/cfg"), "/images/tools/cfg");
    }

    #[test]
    fn hrefs_respect_the_base_path_and_keep_the_device() {
        assert_eq!(
            href("/", "/images", Some("plant a")),
            "/images?device=plant%20a"
        );
        assert_eq!(href("/registry/", "/jobs", None), "/registry/jobs");
        assert_eq!(
            href("/registry/", "/login?next=x", Some("d")),
            "/registry/login?next=x&device=d"
        );
        assert_eq!(router_base("/"), "");
        assert_eq!(router_base("/registry/"), "/registry");
    }

    #[test]
    fn the_base_is_stripped_from_browser_paths() {
        assert_eq!(
            strip_base("/registry/", "/registry/images/a:b"),
            "/images/a:b"
        );
        assert_eq!(strip_base("/registry/", "/registry"), "/");
        assert_eq!(strip_base("/", "/jobs"), "/jobs");
        assert_eq!(strip_base("/registry/", "/registryx"), "/registryx");
    }

    #[test]
    fn return_paths_cannot_leave_the_app_or_loop() {
        assert_eq!(
            safe_return_path("/images/a:b?device=x"),
            Some("/images/a:b?device=x")
        );
        assert_eq!(safe_return_path("//evil.example/"), None);
        assert_eq!(safe_return_path("https://evil.example/"), None);
        assert_eq!(safe_return_path("/login?next=/jobs"), None);
        assert_eq!(safe_return_path("/\\evil"), None);
        assert_eq!(
            login_path("/jobs?device=d"),
            "/login?next=%2Fjobs%3Fdevice%3Dd"
        );
        assert_eq!(login_path("/login"), "/login");
    }

    #[test]
    fn query_strings_encode_and_skip_empty_values() {
        assert_eq!(
            query_string(&[
                ("actor", "a b".to_owned()),
                ("action", String::new()),
                ("limit", "5".to_owned())
            ]),
            "?actor=a%20b&limit=5"
        );
        assert_eq!(query_string(&[("a", String::new())]), "");
        assert_eq!(percent_decode("%2Fx%zz%"), "/x%zz%");
    }

    #[test]
    fn the_device_comes_from_the_query_or_defaults_to_the_first() {
        assert_eq!(pick_device(["a", "b"], Some("b")), Some("b".to_owned()));
        assert_eq!(pick_device(["a", "b"], Some("zzz")), Some("a".to_owned()));
        assert_eq!(pick_device(["a", "b"], None), Some("a".to_owned()));
        assert_eq!(pick_device([], Some("a")), None);
    }

    #[test]
    fn the_base_path_meta_tag_is_read_safely() {
        assert_eq!(normalize_base("/registry/"), "/registry/");
        assert_eq!(normalize_base("/registry"), "/registry/");
        assert_eq!(normalize_base("/__LEM_BASE__/"), "/");
        assert_eq!(normalize_base(""), "/");
        assert_eq!(normalize_base("//evil.example/"), "/");
        assert_eq!(normalize_base("https://x/"), "/");
    }
}
