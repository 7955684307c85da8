//! Checking the token in the one header the configured auth mode allows.

use base64::Engine;
use http::HeaderMap;
use http::StatusCode;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};

use crate::answer::Answer;
use crate::config::AuthMode;
use crate::state::Credentials;

/// The header the `x-auth-token` mode reads (header names are case-insensitive).
pub(crate) const X_AUTH_TOKEN: &str = "x-authtoken";

/// What a valid token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Every operation.
    Admin,
    /// List and info only.
    ReadOnly,
}

/// Finds the caller's access, or the 401 answer to give.
pub(crate) fn authorize(credentials: &Credentials, headers: &HeaderMap) -> Result<Access, Answer> {
    let token = match credentials.mode {
        AuthMode::Basic => basic_user(headers),
        AuthMode::XAuthToken => single_header(headers, X_AUTH_TOKEN).map(str::to_owned),
    };
    match token {
        Some(token) if token == credentials.token => Ok(Access::Admin),
        Some(token) if credentials.read_only_tokens.contains(&token) => Ok(Access::ReadOnly),
        _ => Err(unauthorized(credentials.mode)),
    }
}

/// The 403 answer for a token that may not change anything.
pub(crate) fn forbidden() -> Answer {
    Answer::error(
        StatusCode::FORBIDDEN,
        "Access denied: the token lacks permission for this operation",
    )
}

fn unauthorized(mode: AuthMode) -> Answer {
    let answer = Answer::error(
        StatusCode::UNAUTHORIZED,
        "Unauthorized: missing or invalid credentials",
    );
    match mode {
        AuthMode::Basic => answer.with_header(WWW_AUTHENTICATE, "Basic realm=\"LEM\""),
        AuthMode::XAuthToken => answer,
    }
}

/// The value of a header that must appear exactly once.
fn single_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        return None;
    }
    first.to_str().ok()
}

/// The user name of `Authorization: Basic base64(user:)`; a non-empty password is refused,
/// because the device's scheme is "token as user, empty password".
fn basic_user(headers: &HeaderMap) -> Option<String> {
    let value = single_header(headers, AUTHORIZATION.as_str())?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    match decoded.split_once(':') {
        Some((user, "")) => Some(user.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn credentials(mode: AuthMode) -> Credentials {
        Credentials {
            mode,
            token: "T".to_owned(),
            read_only_tokens: vec!["R".to_owned()],
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn basic_mode_wants_the_token_as_user_with_an_empty_password() {
        let creds = credentials(AuthMode::Basic);
        // base64("T:") = "VDo=", base64("R:") = "Ujo=", base64("T:x") = "VDp4".
        assert_eq!(
            authorize(&creds, &headers(&[("authorization", "Basic VDo=")])).ok(),
            Some(Access::Admin)
        );
        assert_eq!(
            authorize(&creds, &headers(&[("authorization", "basic Ujo=")])).ok(),
            Some(Access::ReadOnly)
        );
        assert!(authorize(&creds, &headers(&[("authorization", "Basic VDp4")])).is_err());
        assert!(authorize(&creds, &headers(&[("authorization", "Bearer T")])).is_err());
        assert!(authorize(&creds, &headers(&[("x-authtoken", "T")])).is_err());
    }

    #[test]
    fn x_auth_token_mode_ignores_basic_credentials() {
        let creds = credentials(AuthMode::XAuthToken);
        assert_eq!(
            authorize(&creds, &headers(&[("X-AuthToken", "T")])).ok(),
            Some(Access::Admin)
        );
        assert!(authorize(&creds, &headers(&[("authorization", "Basic VDo=")])).is_err());
        assert!(
            authorize(
                &creds,
                &headers(&[("x-authtoken", "T"), ("x-authtoken", "T")])
            )
            .is_err()
        );
    }
}
