//! One typed configuration, layered: defaults → TOML file → `LEM_PANEL_*` environment → flags.
//! Loaded and validated once at start, with messages that say what to fix, then passed explicitly.

mod device;
mod keys;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use device::{DeviceSettings, DeviceTimeouts, ProxyChoice, TlsChoice, device_env_name};
pub use keys::{ENV_PREFIX, KEYS, Key};

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Path prefix everything is served under (`/` or e.g. `/registry`).
    pub base_path: String,
    /// SQLite database file.
    pub database: PathBuf,
    /// Public URL of the panel (for cookies: `https://…` makes them `Secure`).
    pub public_url: Option<String>,
    /// Serve the web app from this directory instead of the embedded copy (development).
    pub web_dir: Option<PathBuf>,
    /// Addresses of reverse proxies whose `X-Forwarded-For` (and proxy-auth headers) are trusted.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Sessions.
    pub session: SessionSettings,
    /// Login throttling.
    pub login: LoginSettings,
    /// Request and device-call limits.
    pub limits: LimitSettings,
    /// Trusted reverse-proxy authentication (SSO gateways).
    pub proxy_auth: ProxyAuthSettings,
    /// Personal API tokens for scripts.
    pub api_tokens: ApiTokenSettings,
    /// The devices.
    pub devices: Vec<DeviceSettings>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_path: "/".into(),
            database: PathBuf::from("lem-panel.db"),
            public_url: None,
            web_dir: None,
            trusted_proxies: Vec::new(),
            session: SessionSettings::default(),
            login: LoginSettings::default(),
            limits: LimitSettings::default(),
            proxy_auth: ProxyAuthSettings::default(),
            api_tokens: ApiTokenSettings::default(),
            devices: Vec::new(),
        }
    }
}

/// Session lifetimes and cookie policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// A session unused this long ends.
    pub idle_timeout_minutes: u64,
    /// A session ends this long after login, used or not.
    pub absolute_timeout_hours: u64,
    /// `auto` (Secure when `public_url` is https), `always` or `never`.
    pub cookie_secure: CookieSecure,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle_timeout_minutes: 30,
            absolute_timeout_hours: 12,
            cookie_secure: CookieSecure::Auto,
        }
    }
}

/// Whether session cookies carry `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CookieSecure {
    /// When `public_url` starts with `https://`.
    Auto,
    /// Always.
    Always,
    /// Never (plain-HTTP development only).
    Never,
}

/// Login throttling.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginSettings {
    /// Failures allowed per account and per client address within the window.
    pub max_failures: u32,
    /// Window length, in seconds; the lock lifts by itself when it has passed.
    pub window_seconds: u64,
}

impl Default for LoginSettings {
    fn default() -> Self {
        Self {
            max_failures: 5,
            window_seconds: 300,
        }
    }
}

/// Limits that protect the panel and the devices.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    /// Largest accepted request body, in bytes.
    pub body_bytes: usize,
    /// Device calls in flight per device; more wait up to `device_queue_seconds`, then get 503.
    pub device_concurrency: usize,
    /// How long a device call may wait for a free slot.
    pub device_queue_seconds: u64,
    /// Imports running at once per device; more are queued.
    pub import_concurrency: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            body_bytes: 64 * 1024,
            device_concurrency: 32,
            device_queue_seconds: 10,
            import_concurrency: 2,
        }
    }
}

/// Trusted reverse-proxy authentication: user and role from headers set by an SSO gateway,
/// accepted only from `trusted_proxies`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxyAuthSettings {
    /// Off by default.
    pub enabled: bool,
    /// Header carrying the user name.
    pub user_header: String,
    /// Header carrying the role (`viewer`, `operator`, `admin`); missing means `viewer`.
    pub role_header: String,
}

impl Default for ProxyAuthSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            user_header: "X-Forwarded-User".into(),
            role_header: "X-Forwarded-Role".into(),
        }
    }
}

/// Personal API tokens: shown once, stored hashed, revocable, sent as `Authorization: Bearer`.
/// Off by default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiTokenSettings {
    /// Whether users may create and use API tokens.
    pub enabled: bool,
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file or an environment value is not valid.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// "`devices.tls`: unknown variant … (set in panel.toml)": the refused value's key, found
/// from the error's place in the combined settings, and where that value came from.
fn explain_value_error(
    error: &toml::de::Error,
    text: &str,
    file: Option<&Path>,
    env: &impl Fn(&str) -> Option<String>,
) -> String {
    let message = error.message();
    let Some(start) = error.span().map(|span| span.start.min(text.len())) else {
        return message.to_owned();
    };
    let before = &text[..start];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default();
    let Some((key, _)) = line.split_once('=') else {
        return message.to_owned();
    };
    let section = before
        .lines()
        .rev()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix("[[")
                .and_then(|r| r.strip_suffix("]]"))
                .or_else(|| l.strip_prefix('[').and_then(|r| r.strip_suffix(']')))
        })
        .map(|s| format!("{s}."))
        .unwrap_or_default();
    let path = format!("{section}{}", key.trim());
    let from_env = KEYS
        .iter()
        .find(|k| k.path == path)
        .and_then(|k| k.env)
        .filter(|name| env(name).is_some());
    let source = match (from_env, file) {
        (Some(name), _) => format!("the environment variable {name}"),
        (None, Some(file)) => file.display().to_string(),
        (None, None) => "the defaults".to_owned(),
    };
    format!("`{path}`: {message} (set in {source})")
}

impl Config {
    /// Loads defaults, then `file` if given, then the environment (through `env`).
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?
            }
            None => toml::Table::new(),
        };
        keys::apply_env(&mut table, &env)?;
        // Through text, so that a value the types refuse comes back with its place in it.
        let text = toml::to_string(&table)
            .map_err(|e| ConfigError::Invalid(format!("cannot combine the settings: {e}")))?;
        let mut config: Config = toml::from_str(&text)
            .map_err(|e| ConfigError::Invalid(explain_value_error(&e, &text, file, &env)))?;
        let base_dir = file.and_then(Path::parent).unwrap_or(Path::new("."));
        for device in &mut config.devices {
            device.resolve_token(base_dir, &env)?;
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks cross-field rules and normalises the base path to `/x` form (no trailing slash,
    /// or exactly `/`).
    pub fn validate(&mut self) -> Result<(), ConfigError> {
        let trimmed = self.base_path.trim().trim_end_matches('/');
        if !trimmed.is_empty()
            && (!trimmed.starts_with('/')
                || trimmed.contains("//")
                || !trimmed[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
        {
            return Err(ConfigError::Invalid(format!(
                "base_path {:?} must look like /registry (letters, digits, '-', '_', '.', '/')",
                self.base_path
            )));
        }
        self.base_path = if trimmed.is_empty() {
            "/".into()
        } else {
            trimmed.to_owned()
        };
        if self.session.idle_timeout_minutes == 0 || self.session.absolute_timeout_hours == 0 {
            return Err(ConfigError::Invalid(
                "session timeouts must be greater than zero".into(),
            ));
        }
        if self.limits.device_concurrency == 0 || self.limits.import_concurrency == 0 {
            return Err(ConfigError::Invalid(
                "limits.device_concurrency and limits.import_concurrency must be at least 1".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for device in &self.devices {
            device.validate()?;
            if !seen.insert(device.id.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "two devices have the id {:?}; ids must be unique",
                    device.id
                )));
            }
        }
        Ok(())
    }

    /// The base path with a trailing slash (`/` or `/registry/`).
    pub fn base_with_slash(&self) -> String {
        if self.base_path == "/" {
            "/".into()
        } else {
            format!("{}/", self.base_path)
        }
    }

    /// Whether cookies are marked `Secure`.
    pub fn secure_cookies(&self) -> bool {
        match self.session.cookie_secure {
            CookieSecure::Always => true,
            CookieSecure::Never => false,
            CookieSecure::Auto => self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
        }
    }
}

#[cfg(test)]
mod tests;
