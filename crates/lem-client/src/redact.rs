//! Turning a device's error body into a short, safe message: the token (and its Base64 forms)
//! removed, control characters dropped, HTML never passed on, length capped.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

/// Longest device message kept, in characters.
const MAX_MESSAGE_CHARS: usize = 200;
/// Error bodies larger than this are not searched for a message.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Removes the secrets of one device from text.
#[derive(Clone)]
pub(crate) struct Redactor {
    needles: Vec<String>,
}

impl Redactor {
    /// A redactor for `token`: the token itself and the Base64 of `token:` and `token`, padded
    /// or not (a device may echo a header value without its `=` padding).
    pub(crate) fn new(token: &SecretString) -> Self {
        let token = token.expose_secret();
        let mut needles = vec![token.to_owned()];
        for encoded in [STANDARD.encode(format!("{token}:")), STANDARD.encode(token)] {
            let unpadded = encoded.trim_end_matches('=').to_owned();
            // The padded form first, so that no stray `=` is left behind.
            needles.push(encoded);
            needles.push(unpadded);
        }
        needles.retain(|n| n.len() >= 4);
        needles.dedup();
        Self { needles }
    }

    /// `text` with every secret replaced by `[redacted]`.
    pub(crate) fn redact(&self, text: &str) -> String {
        self.needles.iter().fold(text.to_owned(), |acc, needle| {
            acc.replace(needle.as_str(), "[redacted]")
        })
    }
}

/// Extracts a human message from an error body, if it is JSON with a recognisable field:
/// `message`, `error` (string or object with `message`), `errors[0].message`, `detail`.
pub(crate) fn extract_message(body: &[u8], redactor: &Redactor) -> Option<String> {
    if body.len() > MAX_ERROR_BODY {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = find_message(&value)?;
    clean(text, redactor)
}

fn find_message(value: &serde_json::Value) -> Option<&str> {
    let obj = value.as_object()?;
    for key in [
        "message",
        "error",
        "detail",
        "messageDetails",
        "error_description",
    ] {
        match obj.get(key) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => return Some(s),
            Some(nested @ serde_json::Value::Object(_)) => {
                if let Some(found) = find_message(nested) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    obj.get("errors")?
        .as_array()?
        .first()
        .and_then(find_message)
}

/// Redacts, drops control characters, collapses whitespace and caps the length.
pub(crate) fn clean(text: &str, redactor: &Redactor) -> Option<String> {
    if looks_like_html(text.as_bytes()) {
        return None;
    }
    let redacted = redactor.redact(text);
    let mut out = String::new();
    for word in redacted.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.chars().count() > MAX_MESSAGE_CHARS {
        out = out.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + "…";
    }
    (!out.is_empty()).then_some(out)
}

/// Whether a body (or message) looks like an HTML document.
pub(crate) fn looks_like_html(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &body[i..]);
    let head: Vec<u8> = start.iter().take(15).map(u8::to_ascii_lowercase).collect();
    head.starts_with(b"<!doctype html")
        || head.starts_with(b"<html")
        || head.starts_with(b"<head")
        || head.starts_with(b"<body")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::new(&SecretString::from("LEMTOKEN-canary-9d1e"))
    }

    #[test]
    fn bc24_the_token_and_its_base64_never_survive() {
        let r = redactor();
        let msg =
            extract_message(br#"{"error":"bad auth LEMTOKEN-canary-9d1e"}"#, &r).expect("message");
        assert_eq!(msg, "bad auth [redacted]");
        let msg = extract_message(
            br#"{"message":"header TEVNVE9LRU4tY2FuYXJ5LTlkMWU6 refused"}"#,
            &r,
        )
        .expect("message");
        assert!(!msg.contains("TEVNVE9LRU4tY2FuYXJ5LTlkMWU6"), "{msg}");
        let msg = extract_message(
            br#"{"message":"a TEVNVE9LRU4tY2FuYXJ5LTlkMWU= b TEVNVE9LRU4tY2FuYXJ5LTlkMWU c"}"#,
            &r,
        )
        .expect("message");
        assert_eq!(msg, "a [redacted] b [redacted] c");
    }

    #[test]
    fn messages_come_from_the_usual_fields() {
        let r = redactor();
        let get = |b: &[u8]| extract_message(b, &r);
        assert_eq!(
            get(br#"{"code":"E","message":"bad name","messageDetails":null}"#).as_deref(),
            Some("bad name")
        );
        assert_eq!(
            get(br#"{"errors":[{"code":"UNSUPPORTED","message":"delete disabled"}]}"#).as_deref(),
            Some("delete disabled")
        );
        assert_eq!(
            get(br#"{"error":{"message":"nested"}}"#).as_deref(),
            Some("nested")
        );
        assert_eq!(get(b"<html><body>502</body></html>"), None);
        assert_eq!(get(br#"{"message":"<html>x</html>"}"#), None);
        assert_eq!(
            get(br#"{"message":"a\u0007b\n\nc"}"#).as_deref(),
            Some("a b c")
        );
        let long = format!(r#"{{"message":"{}"}}"#, "x".repeat(500));
        assert_eq!(get(long.as_bytes()).map(|m| m.chars().count()), Some(201));
    }
}
