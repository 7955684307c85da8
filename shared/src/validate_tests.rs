//! Grammar edge cases and property tests for the validators.

use super::*;
use proptest::prelude::*;

const D1: &str = "sha256:c50f2833761e7c5a151a2c2fd72bdf64a8ee52de35016ae4141af24f1dc655f4";
const D512: &str = "sha512:fa045f7322fc68501dff8b3157c5a6ba52a2fde177340d5514f8467008cd25918b30a62bebff8cb6e5de9e592806d390ff44207e31270e2b4c20f88be39eac70";

#[test]
fn repository_names_follow_the_oci_grammar() {
    for ok in [
        "python",
        "library/python",
        "acme/plant-a/opcua-gateway",
        "repo.with.dots/app-name",
        "timeseries_tools__x/exporter",
        "a--b",
        "a---b/c",
        "mcr.microsoft.com/dotnet/runtime",
        "myuser/php-5.5",
        "0",
    ] {
        assert_eq!(validate_repository_name(ok), Ok(()), "{ok}");
    }
    for bad in [
        "",
        "Python",
        "a/",
        "/a",
        "a//b",
        "-a",
        "a-",
        "a..b",
        "a___b",
        "a._b",
        "a b",
        "a&b",
        "a:b",
        "a@b",
        "ä",
        "../../admin",
        "line1/hmi#x",
    ] {
        assert!(validate_repository_name(bad).is_err(), "{bad}");
    }
    assert_eq!(validate_repository_name(&"a".repeat(255)), Ok(()));
    assert_eq!(
        validate_repository_name(&"a".repeat(256)),
        Err(Invalid::TooLong {
            max: 255,
            actual: 256
        })
    );
}

#[test]
fn bc14_tags_are_at_most_128_characters_and_start_with_a_word_character() {
    assert_eq!(validate_tag(&"a".repeat(128)), Ok(()));
    assert_eq!(
        validate_tag(&"a".repeat(129)),
        Err(Invalid::TooLong {
            max: 128,
            actual: 129
        })
    );
    assert!(validate_tag(".hidden").is_err());
    assert!(validate_tag("-rc1").is_err());
    assert_eq!(validate_tag("v1.2.3-rc.1_b7"), Ok(()));
    assert_eq!(validate_tag(""), Err(Invalid::Empty));
    assert_eq!(validate_tag("_x"), Ok(()));
    assert_eq!(validate_tag("Latest"), Ok(()));
    assert!(validate_tag("1.0+build5").is_err());
    // Unicode letters and digits are not `\w` here.
    assert!(validate_tag("é").is_err());
    assert!(validate_tag("١٢").is_err());
}

#[test]
fn bc15_digests_are_lowercase_sha256_or_sha512() {
    assert_eq!(validate_digest(D1), Ok(()));
    assert_eq!(validate_digest(D512), Ok(()));
    assert!(validate_digest(&D1.to_uppercase()).is_err());
    assert!(
        validate_digest("sha256:C50F2833761E7C5A151A2C2FD72BDF64A8EE52DE35016AE4141AF24F1DC655F4")
            .is_err()
    );
    assert!(validate_digest("sha256:c50f").is_err());
    assert!(validate_digest(&D1["sha256:".len()..]).is_err());
    assert!(validate_digest(&format!("{D1}&name=other")).is_err());
    assert!(validate_digest("md5:d41d8cd98f00b204e9800998ecf8427e").is_err());
}

#[test]
fn bc12_listed_names_may_be_legacy_but_cannot_smuggle_parameters_or_paths() {
    assert_eq!(validate_listed_name("Legacy_Name/App"), Ok(()));
    assert_eq!(validate_listed_name("tools/cfg"), Ok(()));
    for bad in [
        "line1/hmi&digest=x",
        "../../admin",
        "line1/hmi#x",
        "a?b",
        "a%2Fb",
        "a+b",
        "a b",
        "/a",
        "a//b",
        "a/./b",
        "",
        "a\u{0}b",
    ] {
        assert!(validate_listed_name(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn registry_hosts_take_a_name_or_ip_and_an_optional_port() {
    let ok = |s: &str| normalize_registry_host(s).map(|n| n.value);
    assert_eq!(ok("docker.io").as_deref(), Ok("docker.io"));
    assert_eq!(
        ok("registry.example.local:5000").as_deref(),
        Ok("registry.example.local:5000")
    );
    assert_eq!(ok("[fd00::5]:5000").as_deref(), Ok("[fd00::5]:5000"));
    assert_eq!(ok("[fd00::5]").as_deref(), Ok("[fd00::5]"));
    assert_eq!(ok("10.20.0.5").as_deref(), Ok("10.20.0.5"));
    assert_eq!(ok("localhost:5000").as_deref(), Ok("localhost:5000"));
    let stripped = normalize_registry_host("https://ghcr.io/").expect("valid after stripping");
    assert_eq!(stripped.value, "ghcr.io");
    assert!(stripped.notice.is_some());
    for bad in [
        "",
        "ghcr.io/acme",
        "user@ghcr.io",
        "ghcr.io:0",
        "ghcr.io:70000",
        "ghcr.io:",
        "fd00::5",
        "[fd00::5",
        "-bad.io",
        "a..b",
        "bad_host.io",
        "host io",
    ] {
        assert!(normalize_registry_host(bad).is_err(), "{bad}");
    }
}

#[test]
fn messages_say_what_is_wrong_in_words() {
    let e = validate_repository_name("Python").expect_err("uppercase");
    assert_eq!(e.to_string(), "must be lowercase ('P' at position 1)");
    let e = validate_tag("1.0+build5").expect_err("plus");
    assert!(e.to_string().contains("'+' at position 4"), "{e}");
    let e = validate_tag("a\u{7}").expect_err("bell");
    assert!(e.to_string().contains("U+0007"), "{e}");
}

/// Every message reads after a field label ("Registry …", "Invalid digest: it …").
fn reads_after_a_label(message: &str) -> bool {
    ["must ", "is ", "has ", "contains ", "may "]
        .iter()
        .any(|verb| message.starts_with(verb))
}

/// Every validator's refusal of `s`, as text.
fn refusals(s: &str) -> Vec<String> {
    [
        validate_repository_name(s).err(),
        validate_listed_name(s).err(),
        validate_tag(s).err(),
        validate_digest(s).err(),
        normalize_registry_host(s).err(),
    ]
    .into_iter()
    .flatten()
    .map(|e| e.to_string())
    .collect()
}

#[test]
fn every_message_is_a_predicate_that_follows_the_fields_label() {
    let inputs = [
        "",
        "Python",
        "a//b",
        "-a",
        "a..b",
        "a___b",
        ".hidden",
        "1.0+build5",
        "sha256:c50f",
        "sha256:C50F2833761E7C5A151A2C2FD72BDF64A8EE52DE35016AE4141AF24F1DC655F4",
        "sha384:abc",
        "c50f",
        "sha512:abc",
        "../../admin",
        "user@host",
        "host/path",
        "[fd00::5",
        "[fd00::5]x",
        "fd00::5",
        "[zz::1]",
        "host:99999",
        ":5000",
        "-host.example",
        "a.b.ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
        "registry.example.local:0",
        "a b",
        "x\u{7}",
    ];
    for input in inputs {
        for message in refusals(input) {
            assert!(reads_after_a_label(&message), "{input:?}: {message:?}");
        }
    }
}

fn component() -> impl Strategy<Value = String> {
    let alnum = "[a-z0-9]{1,6}";
    let sep = prop_oneof![
        Just(".".to_owned()),
        Just("_".to_owned()),
        Just("__".to_owned()),
        "-{1,3}"
    ];
    (alnum, proptest::collection::vec((sep, alnum), 0..3)).prop_map(|(head, rest)| {
        rest.into_iter()
            .fold(head, |acc, (s, a)| format!("{acc}{s}{a}"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_valid_names_are_accepted(parts in proptest::collection::vec(component(), 1..4)) {
        let name = parts.join("/");
        prop_assume!(name.len() <= MAX_NAME_LEN);
        prop_assert_eq!(validate_repository_name(&name), Ok(()));
        prop_assert_eq!(validate_listed_name(&name), Ok(()));
    }

    #[test]
    fn generated_valid_tags_are_accepted(tag in "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}") {
        prop_assert_eq!(validate_tag(&tag), Ok(()));
    }

    #[test]
    fn generated_valid_digests_are_accepted(hex in "[0-9a-f]{64}", long in "[0-9a-f]{128}") {
        prop_assert_eq!(validate_digest(&format!("sha256:{hex}")), Ok(()));
        prop_assert_eq!(validate_digest(&format!("sha512:{long}")), Ok(()));
    }

    #[test]
    fn junk_never_panics(s in "\\PC{0,300}") {
        let _ = validate_repository_name(&s);
        let _ = validate_listed_name(&s);
        let _ = validate_tag(&s);
        let _ = validate_digest(&s);
        let _ = normalize_registry_host(&s);
        let _ = crate::reference::parse_reference(&s);
        for message in refusals(&s) {
            prop_assert!(reads_after_a_label(&message), "{:?}: {:?}", s, message);
        }
    }

    #[test]
    fn accepted_names_never_carry_query_or_path_tricks(s in "[a-zA-Z0-9./_&=?#%+ -]{0,40}") {
        if validate_listed_name(&s).is_ok() {
            prop_assert!(!s.contains(['&', '=', '?', '#', '%', '+', ' ']));
            prop_assert!(!s.split('/').any(|c| c == ".." || c.is_empty()));
        }
    }
}
