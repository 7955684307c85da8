//! Layering, validation messages and token sources.

use super::*;

const PIN: &str = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn device_toml(extra: &str) -> String {
    format!(
        "[[devices]]\nid = \"edge-1\"\nurl = \"https://10.20.0.5:8446\"\ntls = \"pin\"\nsha256 = \"{PIN}\"\n{extra}\n"
    )
}

#[test]
fn defaults_then_file_then_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "edge.token", "  secret-token\n");
    let file = write(
        dir.path(),
        "panel.toml",
        &format!(
            "listen = \"0.0.0.0:9000\"\nbase_path = \"/registry/\"\n[session]\nidle_timeout_minutes = 5\n{}",
            device_toml("token_file = \"edge.token\"")
        ),
    );
    let env = |name: &str| match name {
        "LEM_PANEL_LISTEN" => Some("127.0.0.1:7000".to_owned()),
        "LEM_PANEL_LOGIN_MAX_FAILURES" => Some("3".to_owned()),
        _ => None,
    };
    let config = Config::load(Some(&file), env).expect("valid");
    assert_eq!(
        config.listen.to_string(),
        "127.0.0.1:7000",
        "environment beats the file"
    );
    assert_eq!(config.base_path, "/registry", "trailing slash normalised");
    assert_eq!(config.session.idle_timeout_minutes, 5);
    assert_eq!(config.session.absolute_timeout_hours, 12, "default kept");
    assert_eq!(config.login.max_failures, 3);
    let token = config.devices[0].token.as_ref().expect("token");
    assert_eq!(secrecy::ExposeSecret::expose_secret(token), "secret-token");
    assert!(
        !format!("{config:?}").contains("secret-token"),
        "Debug never shows the token"
    );
}

#[test]
fn a_device_token_can_come_from_the_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "panel.toml", &device_toml(""));
    let env = |name: &str| (name == "LEM_PANEL_DEVICE_EDGE_1_TOKEN").then(|| "from-env".to_owned());
    let config = Config::load(Some(&file), env).expect("valid");
    assert_eq!(
        config.devices[0]
            .token
            .as_ref()
            .map(|t| secrecy::ExposeSecret::expose_secret(t).to_owned())
            .as_deref(),
        Some("from-env")
    );
}

#[test]
fn mistakes_get_messages_that_say_what_to_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (device_toml(""), "no token"),
        (device_toml("token = \"a\"\ntoken_file = \"b\""), "not both"),
        (
            device_toml("token = \"t\"").replace(PIN, "abc"),
            "needs sha256",
        ),
        (
            device_toml("token = \"t\"").replace("https://", "http://"),
            "https://",
        ),
        (
            device_toml("token = \"t\"") + &device_toml("token = \"t\""),
            "unique",
        ),
        (
            device_toml("token = \"t\"\ncolour = \"red\""),
            "unknown field",
        ),
        ("base_path = \"registry\"".to_owned(), "base_path"),
        (
            device_toml("token = \"t\"").replace("tls = \"pin\"", "tls = \"ca\""),
            "ca_file",
        ),
    ];
    for (text, expected) in cases {
        let file = write(dir.path(), "bad.toml", &text);
        let err = Config::load(Some(&file), |_| None)
            .expect_err(expected)
            .to_string();
        assert!(err.contains(expected), "{expected:?} not in {err:?}");
    }
    let err = Config::load(None, |n| {
        (n == "LEM_PANEL_LOGIN_MAX_FAILURES").then(|| "many".into())
    })
    .expect_err("not a number")
    .to_string();
    assert!(err.contains("LEM_PANEL_LOGIN_MAX_FAILURES"), "{err}");
}

#[test]
fn a_zero_device_timeout_is_refused_with_the_key_and_a_usable_value_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    for key in ["connect", "list", "info", "delete", "pull"] {
        let text = device_toml(&format!("token = \"t\"\n[devices.timeouts]\n{key} = 0"));
        let file = write(dir.path(), "zero.toml", &text);
        let err = Config::load(Some(&file), |_| None)
            .expect_err(key)
            .to_string();
        assert!(err.contains("edge-1"), "{err}");
        assert!(err.contains(&format!("timeouts.{key} = 0")), "{err}");
        assert!(err.contains("above 0"), "{err}");
    }
    let text = device_toml("token = \"t\"\n[devices.timeouts]\nconnect = 1\nlist = 1");
    let file = write(dir.path(), "one.toml", &text);
    Config::load(Some(&file), |_| None).expect("1 s is allowed");
}

#[test]
fn every_key_in_the_table_is_accepted_by_the_file_format() {
    // A file setting every documented top-level key parses (keys the structs do not know fail).
    let text = r#"
        listen = "127.0.0.1:8080"
        base_path = "/"
        database = "x.db"
        public_url = "https://panel.example.local"
        web_dir = "dist"
        trusted_proxies = ["127.0.0.1"]
        [session]
        idle_timeout_minutes = 30
        absolute_timeout_hours = 12
        cookie_secure = "auto"
        [login]
        max_failures = 5
        window_seconds = 300
        [limits]
        body_bytes = 65536
        device_concurrency = 32
        device_queue_seconds = 10
        import_concurrency = 2
        [proxy_auth]
        enabled = false
        user_header = "X-Forwarded-User"
        role_header = "X-Forwarded-Role"
    "#;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "all.toml", text);
    let config = Config::load(Some(&file), |_| None).expect("valid");
    assert!(config.secure_cookies());
    let top_level = KEYS.iter().filter(|k| !k.path.starts_with("devices."));
    for key in top_level {
        let leaf = key.path.rsplit('.').next().unwrap_or(key.path);
        assert!(
            text.contains(&format!("{leaf} =")),
            "{} missing from this test",
            key.path
        );
    }
}

#[test]
fn a_value_the_types_refuse_names_its_key_and_where_it_was_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "edge.token", "t");
    let good = write(
        dir.path(),
        "good.toml",
        &device_toml("token_file = \"edge.token\""),
    );
    let err = Config::load(Some(&good), |n| {
        (n == "LEM_PANEL_LISTEN").then(|| "nonsense".to_owned())
    })
    .expect_err("not an address")
    .to_string();
    assert!(err.contains("`listen`"), "{err}");
    assert!(err.contains("LEM_PANEL_LISTEN"), "{err}");

    let bad = write(
        dir.path(),
        "bad.toml",
        &device_toml("token_file = \"edge.token\"").replace("tls = \"pin\"", "tls = \"pinned\""),
    );
    let err = Config::load(Some(&bad), |_| None)
        .expect_err("no such policy")
        .to_string();
    assert!(err.contains("`devices.tls`"), "{err}");
    assert!(err.contains("pinned"), "{err}");
    assert!(err.contains("bad.toml"), "{err}");
}
