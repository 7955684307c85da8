//! How to reach one device: URL, token, auth mode, TLS policy, proxy, timeouts and limits.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

/// Everything the client needs to talk to one device. The token is a [`SecretString`]: its
/// `Debug` output is redacted, so printing a config never reveals it.
#[derive(Debug, Clone)]
pub struct DeviceConfig {
    /// Short id, used in logs (never the token).
    pub id: String,
    /// The device's admin URL, e.g. `https://lem.example:8446` (a path prefix is allowed).
    pub base_url: Url,
    /// The device's API token.
    pub token: SecretString,
    /// How the token is sent.
    pub auth: AuthMode,
    /// How the device's certificate is checked.
    pub tls: TlsPolicy,
    /// Which outbound proxy, if any, to use.
    pub proxy: ProxySetting,
    /// Per-operation time limits.
    pub timeouts: Timeouts,
    /// Largest response body accepted, in bytes; larger bodies are refused as invalid.
    pub max_response_bytes: usize,
}

impl DeviceConfig {
    /// A config with the defaults: Basic auth, system proxy settings, default timeouts and limits.
    pub fn new(id: impl Into<String>, base_url: Url, token: SecretString, tls: TlsPolicy) -> Self {
        Self {
            id: id.into(),
            base_url,
            token,
            auth: AuthMode::Basic,
            tls,
            proxy: ProxySetting::System,
            timeouts: Timeouts::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// Default cap on a device response body: 64 MiB (about 300,000 list rows).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// How the token is sent. The vendor's registry page says Basic; its other pages and client
/// code use `X-AuthToken`. Exactly one is sent, never both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// `Authorization: Basic base64("<token>:")`: the token as user name, empty password.
    Basic,
    /// `X-AuthToken: <token>`.
    XAuthToken,
}

/// How the device's certificate is checked. In every mode the handshake signature is verified,
/// and a peer that fails the check receives no HTTP bytes (the token never leaves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsPolicy {
    /// Trust exactly the certificate with this SHA-256 fingerprint (of its DER encoding).
    /// The host name is not checked: the pin identifies the device.
    Pin {
        /// 32 bytes.
        sha256: [u8; 32],
    },
    /// Trust the system roots plus the certificates in this PEM file. A self-signed device
    /// certificate listed in the file is accepted as itself (webpki alone refuses a CA
    /// certificate used as the server's certificate).
    Ca {
        /// PEM file with one or more certificates.
        pem_file: PathBuf,
    },
    /// Trust the system roots only.
    System,
    /// Accept any certificate. Only by explicit configuration; logged as a warning.
    Insecure,
}

/// Which proxy to use for the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxySetting {
    /// Follow `HTTPS_PROXY` / `ALL_PROXY` and `NO_PROXY` from the environment.
    System,
    /// Connect directly, whatever the environment says.
    None,
    /// Always use this proxy URL (`http://[user:pass@]host:port`).
    Url(String),
}

/// Time limits per operation. Pull is synchronous on the device and can take minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP and TLS connection.
    pub connect: Duration,
    /// The whole list call, body included.
    pub list: Duration,
    /// The whole info call.
    pub info: Duration,
    /// The whole delete call.
    pub delete: Duration,
    /// The whole pull call.
    pub pull: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            list: Duration::from_secs(30),
            info: Duration::from_secs(30),
            delete: Duration::from_secs(60),
            pull: Duration::from_secs(30 * 60),
        }
    }
}

/// Parses a SHA-256 fingerprint written as hex, with or without `:` separators, any case,
/// optionally prefixed `sha256:` or `SHA256 Fingerprint=` (as `openssl x509 -fingerprint` prints).
pub fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    let text = text
        .rsplit_once('=')
        .map_or(text, |(_, value)| value)
        .trim_start_matches("sha256:");
    let hex_digits: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut out).ok()?;
    Some(out)
}

/// Formats a fingerprint as lowercase hex pairs separated by `:`.
pub fn format_fingerprint(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_in_the_forms_people_paste() {
        let hex = "ab".repeat(32);
        let expected = Some([0xab; 32]);
        assert_eq!(parse_fingerprint(&hex), expected);
        let colons = format_fingerprint(&[0xab; 32]);
        assert_eq!(parse_fingerprint(&colons), expected);
        assert_eq!(parse_fingerprint(&colons.to_uppercase()), expected);
        assert_eq!(
            parse_fingerprint(&format!("SHA256 Fingerprint={}", colons.to_uppercase())),
            expected
        );
        assert_eq!(parse_fingerprint(&format!("sha256:{hex}")), expected);
        assert_eq!(parse_fingerprint("abcd"), None);
        assert_eq!(parse_fingerprint(&"zz".repeat(32)), None);
    }
}
