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
        let leaf = key.path.rsplit('.').next().unwrap_or(key.path);
        assert!(
            example.contains(&format!("{leaf} =")),
            "config.example.toml lacks {}",
            key.path
        );
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
