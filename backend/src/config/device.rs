//! One `[[devices]]` entry: where the device is, its token, and how to trust it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lem_client::{
    DeviceConfig, ProxySetting, SecretString, Timeouts, TlsPolicy, parse_fingerprint,
};
use secrecy::ExposeSecret;
use serde::Deserialize;
use shared::api::{AuthMode, TlsMode};
use url::Url;

use super::ConfigError;

/// How a device's certificate is checked (`tls = "pin" | "ca" | "system" | "insecure"`).
pub type TlsChoice = TlsMode;

/// Which proxy a device is reached through: `"system"` (environment), `"none"`, or a URL.
pub type ProxyChoice = String;

/// A device as configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSettings {
    /// Id used in API paths and logs (lowercase letters, digits, `-`, `_`).
    pub id: String,
    /// Display name (defaults to the id).
    #[serde(default)]
    pub name: Option<String>,
    /// Admin URL, e.g. `https://lem.example:8446`.
    pub url: String,
    /// The API token (prefer `token_file` or the environment).
    #[serde(default)]
    pub token: Option<SecretString>,
    /// File holding the API token (whitespace around it is ignored).
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// `basic` (default) or `x-auth-token`.
    #[serde(default = "default_auth")]
    pub auth: AuthMode,
    /// Certificate policy.
    pub tls: TlsChoice,
    /// SHA-256 fingerprint of the device certificate, for `tls = "pin"`.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Extra CA / certificate PEM file, for `tls = "ca"`.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Outbound proxy: `system`, `none` or a URL.
    #[serde(default = "default_proxy")]
    pub proxy: ProxyChoice,
    /// Host[:port] that `docker pull` uses for the device's registry (for copyable commands).
    #[serde(default)]
    pub registry_host: Option<String>,
    /// Largest device response accepted, in MiB.
    #[serde(default = "default_max_response_mib")]
    pub max_response_mib: usize,
    /// Per-operation time limits, in seconds.
    #[serde(default)]
    pub timeouts: DeviceTimeouts,
}

fn default_auth() -> AuthMode {
    AuthMode::Basic
}

fn default_proxy() -> String {
    "system".into()
}

fn default_max_response_mib() -> usize {
    64
}

/// Per-operation time limits, in seconds.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceTimeouts {
    /// Connecting (TCP + TLS).
    pub connect: u64,
    /// The list call.
    pub list: u64,
    /// The info call.
    pub info: u64,
    /// The delete call.
    pub delete: u64,
    /// The pull call (synchronous on the device: can take minutes).
    pub pull: u64,
}

impl Default for DeviceTimeouts {
    fn default() -> Self {
        let t = Timeouts::default();
        Self {
            connect: t.connect.as_secs(),
            list: t.list.as_secs(),
            info: t.info.as_secs(),
            delete: t.delete.as_secs(),
            pull: t.pull.as_secs(),
        }
    }
}

impl DeviceTimeouts {
    /// The device client's limits.
    pub fn to_client(&self) -> Timeouts {
        let secs = Duration::from_secs;
        Timeouts {
            connect: secs(self.connect),
            list: secs(self.list),
            info: secs(self.info),
            delete: secs(self.delete),
            pull: secs(self.pull),
        }
    }
}

/// The environment variable name for a device-specific setting (`LEM_PANEL_DEVICE_EDGE_1_TOKEN`).
pub fn device_env_name(id: &str, suffix: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("LEM_PANEL_DEVICE_{id}_{suffix}")
}

impl DeviceSettings {
    /// Display name.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// Fills `token` from the environment or `token_file` (relative paths from the config's folder).
    pub(super) fn resolve_token(
        &mut self,
        base_dir: &Path,
        env: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(token) = env(&device_env_name(&self.id, "TOKEN")) {
            self.token = Some(SecretString::from(token.trim().to_owned()));
            self.token_file = None;
        } else if let Some(file) = env(&device_env_name(&self.id, "TOKEN_FILE")) {
            self.token = None;
            self.token_file = Some(PathBuf::from(file));
        }
        match (&self.token, &self.token_file) {
            (Some(_), Some(_)) => Err(ConfigError::Invalid(format!(
                "device {:?}: set token or token_file, not both",
                self.id
            ))),
            (None, Some(file)) => {
                let path = base_dir.join(file);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    ConfigError::Invalid(format!(
                        "device {:?}: cannot read token_file {}: {e}",
                        self.id,
                        path.display()
                    ))
                })?;
                self.token = Some(SecretString::from(text.trim().to_owned()));
                Ok(())
            }
            (None, None) => Err(ConfigError::Invalid(format!(
                "device {:?}: no token. Set token_file (recommended), token, or the environment variable {}",
                self.id,
                device_env_name(&self.id, "TOKEN")
            ))),
            (Some(_), None) => Ok(()),
        }
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let bad = |why: String| Err(ConfigError::Invalid(format!("device {:?}: {why}", self.id)));
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return bad("id must be lowercase letters, digits, '-' or '_'".into());
        }
        let url = match Url::parse(&self.url) {
            Ok(url) => url,
            Err(e) => {
                return bad(format!(
                    "url {:?} is not a URL ({e}); expected e.g. https://lem.example:8446",
                    self.url
                ));
            }
        };
        if url.scheme() != "https" {
            return bad(
                "url must start with https:// (the panel never sends the token over plain HTTP)"
                    .into(),
            );
        }
        if self
            .token
            .as_ref()
            .is_none_or(|t| t.expose_secret().is_empty())
        {
            return bad("the token is empty".into());
        }
        let defaults = DeviceTimeouts::default();
        for (key, value, default) in [
            ("connect", self.timeouts.connect, defaults.connect),
            ("list", self.timeouts.list, defaults.list),
            ("info", self.timeouts.info, defaults.info),
            ("delete", self.timeouts.delete, defaults.delete),
            ("pull", self.timeouts.pull, defaults.pull),
        ] {
            if value == 0 {
                return bad(format!(
                    "timeouts.{key} = 0 would fail every call at once; set it to a number of seconds above 0 (the default is {default}) or leave it out"
                ));
            }
        }
        match self.tls {
            TlsMode::Pin if self.sha256.as_deref().and_then(parse_fingerprint).is_none() => bad(
                "tls = \"pin\" needs sha256 = \"<64 hex digits, colons optional>\" (openssl x509 -noout -fingerprint -sha256)".into(),
            ),
            TlsMode::Ca if self.ca_file.is_none() => bad("tls = \"ca\" needs ca_file = \"/path/to/ca.pem\"".into()),
            _ => Ok(()),
        }
    }

    /// The device client's configuration.
    pub fn client_config(&self, config_dir: &Path) -> Result<DeviceConfig, ConfigError> {
        let invalid = |why: &str| ConfigError::Invalid(format!("device {:?}: {why}", self.id));
        let url = Url::parse(&self.url).map_err(|_| invalid("url is not valid"))?;
        let tls = match self.tls {
            TlsMode::Pin => TlsPolicy::Pin {
                sha256: self
                    .sha256
                    .as_deref()
                    .and_then(parse_fingerprint)
                    .ok_or_else(|| invalid("sha256 is not valid"))?,
            },
            TlsMode::Ca => TlsPolicy::Ca {
                pem_file: config_dir.join(
                    self.ca_file
                        .as_ref()
                        .ok_or_else(|| invalid("ca_file missing"))?,
                ),
            },
            TlsMode::System => TlsPolicy::System,
            TlsMode::Insecure => TlsPolicy::Insecure,
        };
        let token = self.token.clone().ok_or_else(|| invalid("no token"))?;
        let mut config = DeviceConfig::new(&self.id, url, token, tls);
        config.auth = match self.auth {
            AuthMode::Basic => lem_client::AuthMode::Basic,
            AuthMode::XAuthToken => lem_client::AuthMode::XAuthToken,
        };
        config.proxy = match self.proxy.as_str() {
            "system" => ProxySetting::System,
            "none" => ProxySetting::None,
            url => ProxySetting::Url(url.to_owned()),
        };
        config.timeouts = self.timeouts.to_client();
        config.max_response_bytes = self.max_response_mib.saturating_mul(1024 * 1024);
        Ok(config)
    }

    /// Host[:port] for pull commands: configured, or the device's host on port 5000.
    pub fn registry_host(&self) -> Option<String> {
        self.registry_host.clone().or_else(|| {
            Url::parse(&self.url)
                .ok()
                .and_then(|u| u.host_str().map(|h| format!("{h}:5000")))
        })
    }
}
