//! Every configuration key, its environment variable and default, in one table. The table
//! drives environment overrides and is checked against README.md and config.example.toml by a
//! test, so documentation cannot drift from the code.

use super::ConfigError;

/// Prefix of every environment variable the panel reads.
pub const ENV_PREFIX: &str = "LEM_PANEL_";

/// How an environment value is parsed into TOML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Str,
    /// Whole number.
    Int,
    /// `true` / `false`.
    Bool,
    /// Comma-separated list of text.
    List,
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// Dotted path in the TOML file (`[[devices]]` keys are written `devices.<key>`).
    pub path: &'static str,
    /// Environment variable, if the key can be set from the environment.
    pub env: Option<&'static str>,
    /// Value type.
    pub kind: Kind,
    /// Default, as written in the docs.
    pub default: &'static str,
}

const fn key(
    path: &'static str,
    env: Option<&'static str>,
    kind: Kind,
    default: &'static str,
) -> Key {
    Key {
        path,
        env,
        kind,
        default,
    }
}

/// All keys.
pub const KEYS: &[Key] = &[
    key(
        "listen",
        Some("LEM_PANEL_LISTEN"),
        Kind::Str,
        "127.0.0.1:8080",
    ),
    key("base_path", Some("LEM_PANEL_BASE_PATH"), Kind::Str, "/"),
    key(
        "database",
        Some("LEM_PANEL_DATABASE"),
        Kind::Str,
        "lem-panel.db",
    ),
    key(
        "public_url",
        Some("LEM_PANEL_PUBLIC_URL"),
        Kind::Str,
        "(none)",
    ),
    key(
        "web_dir",
        Some("LEM_PANEL_WEB_DIR"),
        Kind::Str,
        "(embedded)",
    ),
    key(
        "trusted_proxies",
        Some("LEM_PANEL_TRUSTED_PROXIES"),
        Kind::List,
        "[]",
    ),
    key(
        "session.idle_timeout_minutes",
        Some("LEM_PANEL_SESSION_IDLE_TIMEOUT_MINUTES"),
        Kind::Int,
        "30",
    ),
    key(
        "session.absolute_timeout_hours",
        Some("LEM_PANEL_SESSION_ABSOLUTE_TIMEOUT_HOURS"),
        Kind::Int,
        "12",
    ),
    key(
        "session.cookie_secure",
        Some("LEM_PANEL_SESSION_COOKIE_SECURE"),
        Kind::Str,
        "auto",
    ),
    key(
        "login.max_failures",
        Some("LEM_PANEL_LOGIN_MAX_FAILURES"),
        Kind::Int,
        "5",
    ),
    key(
        "login.window_seconds",
        Some("LEM_PANEL_LOGIN_WINDOW_SECONDS"),
        Kind::Int,
        "300",
    ),
    key(
        "limits.body_bytes",
        Some("LEM_PANEL_LIMITS_BODY_BYTES"),
        Kind::Int,
        "65536",
    ),
    key(
        "limits.device_concurrency",
        Some("LEM_PANEL_LIMITS_DEVICE_CONCURRENCY"),
        Kind::Int,
        "32",
    ),
    key(
        "limits.device_queue_seconds",
        Some("LEM_PANEL_LIMITS_DEVICE_QUEUE_SECONDS"),
        Kind::Int,
        "10",
    ),
    key(
        "limits.import_concurrency",
        Some("LEM_PANEL_LIMITS_IMPORT_CONCURRENCY"),
        Kind::Int,
        "2",
    ),
    key(
        "proxy_auth.enabled",
        Some("LEM_PANEL_PROXY_AUTH_ENABLED"),
        Kind::Bool,
        "false",
    ),
    key(
        "proxy_auth.user_header",
        Some("LEM_PANEL_PROXY_AUTH_USER_HEADER"),
        Kind::Str,
        "X-Forwarded-User",
    ),
    key(
        "proxy_auth.role_header",
        Some("LEM_PANEL_PROXY_AUTH_ROLE_HEADER"),
        Kind::Str,
        "X-Forwarded-Role",
    ),
    key(
        "api_tokens.enabled",
        Some("LEM_PANEL_API_TOKENS_ENABLED"),
        Kind::Bool,
        "false",
    ),
    key("devices.id", None, Kind::Str, "(required)"),
    key("devices.name", None, Kind::Str, "(the id)"),
    key("devices.url", None, Kind::Str, "(required)"),
    key(
        "devices.token",
        Some("LEM_PANEL_DEVICE_<ID>_TOKEN"),
        Kind::Str,
        "(token or token_file required)",
    ),
    key(
        "devices.token_file",
        Some("LEM_PANEL_DEVICE_<ID>_TOKEN_FILE"),
        Kind::Str,
        "(token or token_file required)",
    ),
    key("devices.auth", None, Kind::Str, "basic"),
    key("devices.tls", None, Kind::Str, "(required)"),
    key(
        "devices.sha256",
        None,
        Kind::Str,
        "(required for tls = \"pin\")",
    ),
    key(
        "devices.ca_file",
        None,
        Kind::Str,
        "(required for tls = \"ca\")",
    ),
    key("devices.proxy", None, Kind::Str, "system"),
    key(
        "devices.registry_host",
        None,
        Kind::Str,
        "(device host):5000",
    ),
    key("devices.max_response_mib", None, Kind::Int, "64"),
    key("devices.timeouts.connect", None, Kind::Int, "10"),
    key("devices.timeouts.list", None, Kind::Int, "30"),
    key("devices.timeouts.info", None, Kind::Int, "30"),
    key("devices.timeouts.delete", None, Kind::Int, "60"),
    key("devices.timeouts.pull", None, Kind::Int, "1800"),
];

/// Writes environment overrides into the parsed TOML table.
pub(super) fn apply_env(
    table: &mut toml::Table,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    for key in KEYS.iter().filter(|k| !k.path.starts_with("devices.")) {
        let Some(name) = key.env else { continue };
        let Some(raw) = env(name) else { continue };
        let value = match key.kind {
            Kind::Str => toml::Value::String(raw),
            Kind::Int => toml::Value::Integer(raw.trim().parse().map_err(|_| {
                ConfigError::Invalid(format!("{name}={raw:?} is not a whole number"))
            })?),
            Kind::Bool => toml::Value::Boolean(match raw.trim() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "{name}={raw:?} must be true or false"
                    )));
                }
            }),
            Kind::List => toml::Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| toml::Value::String(s.to_owned()))
                    .collect(),
            ),
        };
        let mut parts = key.path.split('.').peekable();
        let mut current = &mut *table;
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                current.insert(part.to_owned(), value.clone());
            } else {
                let entry = current
                    .entry(part.to_owned())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                current = entry
                    .as_table_mut()
                    .ok_or_else(|| ConfigError::Invalid(format!("[{part}] must be a table")))?;
            }
        }
    }
    Ok(())
}
