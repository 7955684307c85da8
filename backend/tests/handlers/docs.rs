//! The documentation cannot drift from the code: every configuration key the code knows is in
//! the README's reference and in config.example.toml, and the example file is valid.

use lem_panel::config::{Config, KEYS};

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../{name}", env!("CARGO_MANIFEST_DIR"))).expect(name)
}

#[test]
fn every_configuration_key_is_documented_in_the_readme_and_the_example() {
    let readme = read("README.md");
    let example = read("config.example.toml");
    for key in KEYS {
        assert!(
            readme.contains(&format!("`{}`", key.path)),
            "README lacks `{}`",
            key.path
        );
        if let Some(env) = key.env {
            assert!(readme.contains(env), "README lacks {env}");
        }
    }
    let documented = example_keys(&example);
    for key in KEYS {
        assert!(
            documented.iter().any(|k| k == key.path),
            "config.example.toml lacks {} (in its own section)",
            key.path
        );
    }
    for key in &documented {
        assert!(
            KEYS.iter().any(|k| k.path == key),
            "config.example.toml has {key}, which the code does not know"
        );
    }
}

/// The dotted path of every key in config.example.toml, set or commented out (`# key = …`),
/// qualified by the section it is written in (`[[devices]]` keys become `devices.<key>`).
fn example_keys(example: &str) -> Vec<String> {
    let mut section = String::new();
    let mut keys = Vec::new();
    for line in example.lines() {
        let line = line.trim();
        if let Some(name) = line
            .strip_prefix("[[")
            .and_then(|l| l.strip_suffix("]]"))
            .or_else(|| line.strip_prefix('[').and_then(|l| l.strip_suffix(']')))
        {
            section = format!("{name}.");
            continue;
        }
        let entry = line.strip_prefix("# ").unwrap_or(line);
        if let Some((key, _)) = entry.split_once(" = ")
            && !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
        {
            keys.push(format!("{section}{key}"));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Field names of the `pub struct`s in a Rust source file, by struct name.
fn struct_fields(source: &str) -> Vec<(String, Vec<String>)> {
    let mut structs: Vec<(String, Vec<String>)> = Vec::new();
    let mut open = false;
    for line in source.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("pub struct ") {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
            open = rest.trim_end().ends_with('{');
            structs.push((name, Vec::new()));
        } else if line == "}" {
            open = false;
        } else if open
            && let Some((field, _)) = line.strip_prefix("pub ").and_then(|l| l.split_once(':'))
            && let Some((_, fields)) = structs.last_mut()
        {
            fields.push(field.to_owned());
        }
    }
    structs
}

#[test]
fn every_field_of_the_configuration_types_is_a_documented_key() {
    // Which prefix each settings struct's fields live under in the TOML file.
    let prefixes = [
        ("Config", ""),
        ("SessionSettings", "session."),
        ("LoginSettings", "login."),
        ("LimitSettings", "limits."),
        ("ProxyAuthSettings", "proxy_auth."),
        ("ApiTokenSettings", "api_tokens."),
        ("DeviceSettings", "devices."),
        ("DeviceTimeouts", "devices.timeouts."),
    ];
    let mut seen = Vec::new();
    let mut fields_checked = 0;
    for file in ["backend/src/config/mod.rs", "backend/src/config/device.rs"] {
        for (name, fields) in struct_fields(&read(file)) {
            let Some((_, prefix)) = prefixes.iter().find(|(n, _)| *n == name) else {
                continue;
            };
            seen.push(name.clone());
            for field in fields {
                let path = format!("{prefix}{field}");
                let known = KEYS
                    .iter()
                    .any(|k| k.path == path || k.path.starts_with(&format!("{path}.")));
                assert!(known, "{name}.{field} is not in config::KEYS ({path})");
                fields_checked += 1;
            }
        }
    }
    for (name, _) in prefixes {
        assert!(
            seen.iter().any(|s| s == name),
            "{name} not found in the config sources"
        );
    }
    assert!(fields_checked > 30, "only {fields_checked} fields found");
}

#[test]
fn the_troubleshooting_table_has_a_row_for_every_device_error_code() {
    let readme = read("README.md");
    let source = read("shared/src/api/error.rs");
    let body = source
        .split("pub enum ErrorCode {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("ErrorCode in shared/src/api/error.rs");
    let variants: Vec<String> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//") && !l.starts_with('#') && l.ends_with(','))
        .map(|l| l.trim_end_matches(','))
        .filter(|v| *v != "Unknown")
        .map(|v| {
            v.chars().fold(String::new(), |mut out, c| {
                if c.is_uppercase() && !out.is_empty() {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
                out
            })
        })
        .collect();
    assert!(variants.len() > 20, "{variants:?}");
    for code in variants {
        if code.starts_with("device_") {
            assert!(
                readme.contains(&format!("| `{code}` |")),
                "README's troubleshooting table lacks a row for {code}"
            );
        } else {
            assert!(
                readme.contains(&format!("`{code}`")),
                "README does not explain the panel error {code}"
            );
        }
    }
}

#[test]
fn the_example_configuration_parses_with_every_key_known() {
    let example = read("config.example.toml");
    // Uncomment the optional keys so that they are checked too.
    let uncommented: String = example
        .lines()
        .map(|l| {
            match l
                .strip_prefix("# ")
                .and_then(|rest| rest.split_once(" = ").map(|(key, _)| (rest, key)))
            {
                Some((rest, key))
                    if key != "token"
                        && key.chars().all(|c| c.is_ascii_lowercase() || c == '_') =>
                {
                    rest.to_owned()
                }
                _ => l.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let config: Config = toml::from_str(&uncommented).expect("config.example.toml is valid");
    assert_eq!(config.devices.len(), 1);
    assert!(config.devices[0].token_file.is_some());
}
