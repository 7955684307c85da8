//! Session cookies and resolving a request to a [`Caller`]: the cookie carries a random id,
//! the database keeps only its SHA-256, and idle/absolute lifetimes are checked on every use.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use shared::api::Role;

use super::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// How the session cookie is named and scoped.
#[derive(Debug, Clone)]
pub struct SessionCookie {
    /// Cookie name (`__Host-` prefixed when Secure and served at the root).
    pub name: String,
    /// `Path` (the base path).
    pub path: String,
    /// Whether `Secure` is set.
    pub secure: bool,
    /// `Max-Age`, seconds (the absolute session lifetime).
    pub max_age_secs: u64,
}

impl SessionCookie {
    /// The cookie policy for a base path.
    pub fn new(base_path: &str, secure: bool, max_age_secs: u64) -> Self {
        // `__Host-` requires Secure and Path=/; with a sub-path the cookie is scoped by Path.
        let name = if secure && base_path == "/" {
            "__Host-lem_panel_session"
        } else {
            "lem_panel_session"
        };
        Self {
            name: name.to_owned(),
            path: base_path.to_owned(),
            secure,
            max_age_secs,
        }
    }

    fn attributes(&self) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("Path={}; HttpOnly; SameSite=Strict{secure}", self.path)
    }

    /// `Set-Cookie` value carrying a new session id.
    pub fn set(&self, id: &str) -> Result<HeaderValue, ApiError> {
        HeaderValue::from_str(&format!(
            "{}={id}; Max-Age={}; {}",
            self.name,
            self.max_age_secs,
            self.attributes()
        ))
        .map_err(ApiError::internal)
    }

    /// `Set-Cookie` value removing the cookie.
    pub fn clear(&self) -> Result<HeaderValue, ApiError> {
        HeaderValue::from_str(&format!("{}=; Max-Age=0; {}", self.name, self.attributes()))
            .map_err(ApiError::internal)
    }

    /// The session id from a request's `Cookie` headers.
    pub fn read<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.name)
            .map(|(_, value)| value)
            .filter(|v| !v.is_empty() && v.len() <= 64)
    }
}

/// A new random session id (256 bits, URL-safe Base64).
pub fn new_session_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What the database stores for a session id or API token secret: its SHA-256 (both are 256
/// random bits, so a fast hash is enough; a stolen database opens nothing).
pub fn hash_session_id(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// Prefix of API token secrets, so they are recognisable in a leak scan.
pub const API_TOKEN_PREFIX: &str = "lemp_";

/// A new API token secret.
pub fn new_api_token_secret() -> String {
    format!("{API_TOKEN_PREFIX}{}", new_session_id())
}

/// The secret of an `Authorization: Bearer …` header, if the request has one.
pub fn bearer_secret(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim())
}

/// Touching the session row on every request would be one write per request; once a minute
/// is precise enough for a 30-minute idle limit.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Resolves the caller: trusted proxy headers (if enabled and the peer is a trusted proxy),
/// else the session cookie. Expired sessions are deleted and answer 401.
pub(super) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Result<Caller, ApiError> {
    if let Some(caller) = proxy_caller(state, headers, peer).await? {
        return Ok(caller);
    }
    if let Some(secret) = bearer_secret(headers) {
        return token_caller(state, secret).await;
    }
    let id = state
        .cookie
        .read(headers)
        .ok_or(ApiError::Unauthenticated)?;
    let id_hash = hash_session_id(id);
    let (session, user, roles) = state
        .db
        .session_caller(id_hash.clone())
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let now = state.clock.now_ms();
    let idle_ms =
        i64::try_from(state.config.session.idle_timeout_minutes * 60_000).unwrap_or(i64::MAX);
    let absolute_ms =
        i64::try_from(state.config.session.absolute_timeout_hours * 3_600_000).unwrap_or(i64::MAX);
    let expired =
        now - session.last_seen_at_ms >= idle_ms || now - session.created_at_ms >= absolute_ms;
    if expired || !user.summary.enabled {
        state.db.delete_session(id_hash).await?;
        return Err(ApiError::Unauthenticated);
    }
    if now - session.last_seen_at_ms >= TOUCH_EVERY_MS {
        state.db.touch_session(id_hash.clone(), now).await?;
    }
    let device_roles: HashMap<String, Role> = roles.into_iter().collect();
    Ok(Caller {
        username: user.summary.username,
        role: user.summary.role,
        device_roles,
        session_hash: Some(id_hash),
        must_change_password: user.summary.must_change_password,
    })
}

async fn token_caller(state: &AppState, secret: &str) -> Result<Caller, ApiError> {
    if !state.config.api_tokens.enabled {
        return Err(ApiError::Unauthenticated);
    }
    let (id, username, last_used) = state
        .db
        .api_token_owner(hash_session_id(secret))
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    let user = state
        .db
        .user(username.clone())
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !user.summary.enabled {
        return Err(ApiError::Unauthenticated);
    }
    let now = state.clock.now_ms();
    if last_used.is_none_or(|t| now - t >= TOUCH_EVERY_MS) {
        state.db.touch_api_token(id, now).await?;
    }
    let device_roles: HashMap<String, Role> =
        state.db.device_roles(username).await?.into_iter().collect();
    Ok(Caller {
        username: user.summary.username,
        role: user.summary.role,
        device_roles,
        session_hash: None,
        must_change_password: user.summary.must_change_password,
    })
}

/// Trusted reverse-proxy authentication. `Ok(None)` when it does not apply — switched off,
/// the peer is not a configured proxy, or no user header — and the headers are then ignored
/// entirely: anyone else who sends them is treated as if they had not.
async fn proxy_caller(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Result<Option<Caller>, ApiError> {
    let settings = &state.config.proxy_auth;
    if !settings.enabled || !peer.is_some_and(|p| state.config.trusted_proxies.contains(&p)) {
        return Ok(None);
    }
    let Some(user) = headers.get(settings.user_header.as_str()) else {
        return Ok(None);
    };
    // The gateway vouches for these headers; a malformed one is refused, never guessed at
    // (an unknown role must not quietly become some role).
    let username = user
        .to_str()
        .ok()
        .map(|u| u.trim().to_ascii_lowercase())
        .filter(|u| shared::api::validate_username(u).is_ok())
        .ok_or_else(|| refuse_proxy_header(&settings.user_header))?;
    let role = match headers.get(settings.role_header.as_str()) {
        None => Role::Viewer,
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|r| Role::parse(&r.trim().to_ascii_lowercase()))
            .ok_or_else(|| refuse_proxy_header(&settings.role_header))?,
    };
    // A local account of the same name carries the per-device overrides (they reference a
    // user row) and lets an admin shut the person out here even while the gateway admits them.
    let device_roles = match state.db.user(username.clone()).await? {
        Some(local) if !local.summary.enabled => return Err(ApiError::Unauthenticated),
        Some(_) => state
            .db
            .device_roles(username.clone())
            .await?
            .into_iter()
            .collect(),
        None => HashMap::new(),
    };
    Ok(Some(Caller {
        username,
        role,
        device_roles,
        session_hash: None,
        must_change_password: false,
    }))
}

fn refuse_proxy_header(name: &str) -> ApiError {
    tracing::warn!(
        header = name,
        "the trusted proxy sent an invalid authentication header; request refused"
    );
    ApiError::Unauthenticated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_strict_and_scoped_to_the_base_path() {
        let root = SessionCookie::new("/", true, 43_200);
        let set = root.set("abc").expect("value");
        assert_eq!(
            set.to_str().expect("ascii"),
            "__Host-lem_panel_session=abc; Max-Age=43200; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        let sub = SessionCookie::new("/registry", false, 60);
        let set = sub.set("abc").expect("value");
        assert_eq!(
            set.to_str().expect("ascii"),
            "lem_panel_session=abc; Max-Age=60; Path=/registry; HttpOnly; SameSite=Strict"
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; lem_panel_session=xyz; b=2".parse().expect("value"),
        );
        assert_eq!(sub.read(&headers), Some("xyz"));
    }

    #[test]
    fn session_ids_are_random_and_stored_hashed() {
        let id = new_session_id();
        assert_eq!(id.len(), 43);
        assert_ne!(id, new_session_id());
        assert_eq!(hash_session_id(&id).len(), 64);
        assert_ne!(hash_session_id(&id), id);
    }
}
