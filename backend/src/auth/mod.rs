//! Who is calling and what they may do: sessions (cookie → server-side row), optional trusted
//! reverse-proxy authentication, CSRF checks, and the role check for every route. The guard
//! runs on every routed request; a route missing from the role table is refused.

pub mod password;
mod session;
pub mod throttle;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::RequestExt;
use axum::extract::{ConnectInfo, MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::api::Role;

pub use session::{
    API_TOKEN_PREFIX, SessionCookie, bearer_secret, hash_session_id, new_api_token_secret,
    new_session_id,
};

use crate::error::ApiError;
use crate::middleware::RouteLabel;
use crate::routes::{Access, access_for};
use crate::state::AppState;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// User name.
    pub username: String,
    /// Global role.
    pub role: Role,
    /// Per-device overrides of the role.
    pub device_roles: HashMap<String, Role>,
    /// Hash of the session id, for cookie sessions.
    pub session_hash: Option<String>,
    /// True until a one-time password is replaced.
    pub must_change_password: bool,
}

impl Caller {
    /// The caller's role on a device.
    pub fn role_on(&self, device: &str) -> Role {
        self.device_roles.get(device).copied().unwrap_or(self.role)
    }
}

/// Where a request came from and its id, for the audit trail and logs.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Client address (the first `X-Forwarded-For` hop when the peer is a trusted proxy).
    pub client_addr: String,
    /// The request id (`x-request-id`).
    pub request_id: String,
}

/// The client address: the TCP peer, or the nearest untrusted `X-Forwarded-For` hop when the
/// peer is a configured reverse proxy.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    forwarded
        .rsplit(',')
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .or(Some(peer))
}

fn request_context(state: &AppState, request: &Request) -> (RequestContext, Option<IpAddr>) {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = client_ip(peer, request.headers(), &state.config.trusted_proxies);
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .chars()
        .take(64)
        .collect();
    (
        RequestContext {
            client_addr: ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()),
            request_id,
        },
        peer,
    )
}

/// Same-origin proof for a state-changing request: the app's custom header (a cross-site form
/// cannot set one), and neither `Sec-Fetch-Site` nor `Origin` pointing at another site.
fn check_csrf(
    headers: &HeaderMap,
    public_authority: Option<&str>,
    from_trusted_proxy: bool,
) -> Result<(), ApiError> {
    let header_ok = headers
        .get(shared::CSRF_HEADER)
        .is_some_and(|v| v.as_bytes() == shared::CSRF_HEADER_VALUE.as_bytes());
    let fetch_site_ok = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|site| site == "same-origin" || site == "none");
    let origin_ok = match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            // Only a trusted reverse proxy may say which host the browser asked for.
            let forwarded = headers
                .get("x-forwarded-host")
                .and_then(|v| v.to_str().ok())
                .filter(|_| from_trusted_proxy);
            [host, forwarded, public_authority]
                .into_iter()
                .flatten()
                .any(|h| h.eq_ignore_ascii_case(authority))
        }
    };
    if header_ok && fetch_site_ok && origin_ok {
        Ok(())
    } else {
        Err(ApiError::Csrf)
    }
}

/// The middleware in front of every routed request: CSRF for state changes, authentication,
/// the one-time-password gate, and the role check from the route table.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    // Deny by default: a route that is not in the table refuses.
    let Some((access, label)) = access_for(&method, &path) else {
        return ApiError::Forbidden.into_response();
    };
    let mut response = match authorize(&state, access, request).await {
        Ok(request) => next.run(request).await,
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(RouteLabel(label));
    response
}

async fn authorize(
    state: &AppState,
    access: Access,
    mut request: Request,
) -> Result<Request, ApiError> {
    let method = request.method().clone();
    let (context, peer) = request_context(state, &request);
    // A bearer token cannot be attached by another site (that would need a CORS preflight the
    // panel never grants), so token requests are exempt; cookie requests are checked.
    let token_request =
        state.config.api_tokens.enabled && bearer_secret(request.headers()).is_some();
    if !matches!(method, Method::GET | Method::HEAD) && !token_request {
        let public_authority = state.public_authority.as_deref();
        let from_trusted_proxy = peer.is_some_and(|p| state.config.trusted_proxies.contains(&p));
        check_csrf(request.headers(), public_authority, from_trusted_proxy)?;
    }
    let caller = match access {
        Access::Public => None,
        _ => Some(session::authenticate(state, request.headers(), peer).await?),
    };
    if let Some(caller) = &caller {
        let password_route = matches!(access, Access::Authenticated);
        if caller.must_change_password && !password_route {
            return Err(ApiError::PasswordChangeRequired);
        }
        let role = match access {
            Access::Role(_) => caller.role,
            Access::DeviceRole(_) => {
                let params = request
                    .extract_parts::<RawPathParams>()
                    .await
                    .map_err(|_| ApiError::Forbidden)?;
                let device = params
                    .iter()
                    .find(|(k, _)| *k == "device")
                    .map(|(_, v)| v.to_owned());
                device.map_or(caller.role, |d| caller.role_on(&d))
            }
            Access::Public | Access::Authenticated => caller.role,
        };
        if let Access::Role(needed) | Access::DeviceRole(needed) = access
            && role < needed
        {
            return Err(ApiError::Forbidden);
        }
    }
    request.extensions_mut().insert(context);
    if let Some(caller) = caller {
        request.extensions_mut().insert(caller);
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                header::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        map
    }

    #[test]
    fn csrf_needs_the_header_and_no_cross_site_signal() {
        let ok = headers(&[
            ("x-lem-panel", "1"),
            ("host", "panel.local"),
            ("origin", "https://panel.local"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(check_csrf(&ok, None, false).is_ok());
        assert!(
            check_csrf(&headers(&[("x-lem-panel", "1")]), None, false).is_ok(),
            "non-browser clients send no Origin"
        );
        assert!(
            check_csrf(&headers(&[("host", "panel.local")]), None, false).is_err(),
            "a plain form post lacks the header"
        );
        let cross = headers(&[
            ("x-lem-panel", "1"),
            ("host", "panel.local"),
            ("origin", "https://evil.example"),
        ]);
        assert!(check_csrf(&cross, None, false).is_err());
        let cross_site = headers(&[("x-lem-panel", "1"), ("sec-fetch-site", "cross-site")]);
        assert!(check_csrf(&cross_site, None, false).is_err());
        let proxied = headers(&[
            ("x-lem-panel", "1"),
            ("host", "127.0.0.1:8080"),
            ("origin", "https://panel.example.local"),
        ]);
        assert!(check_csrf(&proxied, Some("panel.example.local"), false).is_ok());
        let forwarded = headers(&[
            ("x-lem-panel", "1"),
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-host", "evil.example"),
            ("origin", "https://evil.example"),
        ]);
        assert!(
            check_csrf(&forwarded, None, false).is_err(),
            "X-Forwarded-Host from anyone"
        );
        assert!(
            check_csrf(&forwarded, None, true).is_ok(),
            "X-Forwarded-Host from a trusted proxy"
        );
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let client: IpAddr = "192.0.2.7".parse().expect("ip");
        let h = headers(&[("x-forwarded-for", "203.0.113.9, 192.0.2.7")]);
        assert_eq!(
            client_ip(Some(client), &h, &[proxy]),
            Some(client),
            "untrusted peer: header ignored"
        );
        assert_eq!(
            client_ip(Some(proxy), &h, &[proxy]),
            Some(client),
            "nearest hop that is not a proxy"
        );
    }
}
