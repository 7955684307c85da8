//! Choosing the outbound proxy for a device. The panel decides itself (instead of leaving it to
//! the HTTP library) so that it knows which proxy is in use and can name it when it fails:
//! "could not connect to proxy 127.0.0.1:9" is actionable, "device unreachable" is not.

use std::net::IpAddr;

use url::Url;

use crate::config::ProxySetting;

/// A proxy in use for a device.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyTarget {
    /// The proxy URL, possibly with credentials (never logged or shown).
    pub url: Url,
    /// `host:port`, safe to show.
    pub display: String,
}

impl std::fmt::Debug for ProxyTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProxyTarget({})", self.display)
    }
}

/// Decides which proxy, if any, to use for `target`, reading the environment through `env`.
pub fn resolve(
    setting: &ProxySetting,
    target: &Url,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<ProxyTarget>, String> {
    let raw = match setting {
        ProxySetting::None => return Ok(None),
        ProxySetting::Url(url) => url.clone(),
        ProxySetting::System => {
            let first = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|n| env(n).filter(|v| !v.trim().is_empty()))
            };
            let Some(proxy) = first(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
            else {
                return Ok(None);
            };
            let no_proxy = first(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
            if bypasses(&no_proxy, target.host_str().unwrap_or_default()) {
                return Ok(None);
            }
            proxy
        }
    };
    let with_scheme = if raw.contains("://") {
        raw.trim().to_owned()
    } else {
        format!("http://{}", raw.trim())
    };
    let url =
        Url::parse(&with_scheme).map_err(|_| "the proxy setting is not a valid URL".to_owned())?;
    let host = url.host_str().ok_or("the proxy URL has no host")?;
    let port = url.port_or_known_default().unwrap_or(80);
    Ok(Some(ProxyTarget {
        display: format!("{host}:{port}"),
        url,
    }))
}

/// Whether a `NO_PROXY` list exempts `host`: `*`, exact names, domain suffixes (`.example.com`
/// or `example.com` matching subdomains), IP addresses and CIDR ranges; ports are ignored.
pub fn bypasses(no_proxy: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    no_proxy
        .split(',')
        .map(|entry| entry.trim().to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            if let (Some(ip), Some((net, bits))) = (host_ip, entry.split_once('/')) {
                return in_cidr(ip, net, bits);
            }
            let entry = strip_port(&entry);
            let entry = entry.trim_start_matches('[').trim_end_matches(']');
            if let (Some(ip), Ok(entry_ip)) = (host_ip, entry.parse::<IpAddr>()) {
                return ip == entry_ip;
            }
            let domain = entry.trim_start_matches("*.").trim_start_matches('.');
            host == domain || host.ends_with(&format!(".{domain}"))
        })
}

fn strip_port(entry: &str) -> &str {
    if entry.starts_with('[') {
        return entry.split_once("]:").map_or(entry, |(h, _)| h);
    }
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => entry,
    }
}

fn in_cidr(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Url {
        Url::parse("https://10.20.0.5:8446").expect("url")
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn bc22_no_proxy_exempts_the_device_and_the_proxy_is_named_otherwise() {
        let with_bypass = [
            ("HTTPS_PROXY", "http://127.0.0.1:9"),
            ("NO_PROXY", "10.20.0.5"),
        ];
        assert_eq!(
            resolve(&ProxySetting::System, &device(), env(&with_bypass)),
            Ok(None)
        );
        let without = [("HTTPS_PROXY", "http://user:secret@127.0.0.1:9")];
        let proxy = resolve(&ProxySetting::System, &device(), env(&without))
            .expect("valid")
            .expect("proxy applies");
        assert_eq!(proxy.display, "127.0.0.1:9");
        assert!(!format!("{proxy:?}").contains("secret"));
        assert_eq!(
            resolve(&ProxySetting::None, &device(), env(&without)),
            Ok(None)
        );
    }

    #[test]
    fn no_proxy_entries_match_like_curl() {
        assert!(bypasses("*", "anything"));
        assert!(bypasses("example.com", "lem.example.com"));
        assert!(bypasses(".example.com", "lem.example.com"));
        assert!(bypasses("lem.example.com:8446", "lem.example.com"));
        assert!(!bypasses("example.com", "notexample.com"));
        assert!(bypasses("10.0.0.0/8", "10.20.0.5"));
        assert!(!bypasses("10.0.0.0/16", "10.20.0.5"));
        assert!(bypasses("fd00::/8", "[fd00::5]"));
        assert!(bypasses(" a.b , 10.20.0.5 ", "10.20.0.5"));
        assert!(!bypasses("", "10.20.0.5"));
    }

    #[test]
    fn a_proxy_without_scheme_defaults_to_http() {
        let proxy = resolve(
            &ProxySetting::Url("proxy.local:3128".into()),
            &device(),
            |_| None,
        )
        .expect("valid")
        .expect("set");
        assert_eq!(proxy.display, "proxy.local:3128");
    }
}
