//! Unit tests of the import form's logic: splitting a pasted reference, field defaults, and
//! what may be submitted.

use super::*;

fn form(registry: &str, name: &str, tag: &str, iname: &str, itag: &str) -> ImportForm {
    ImportForm {
        registry: registry.to_owned(),
        name: name.to_owned(),
        tag: tag.to_owned(),
        internal_name: iname.to_owned(),
        internal_tag: itag.to_owned(),
    }
}

#[test]
fn a_valid_form_becomes_a_request_with_docker_hub_normalised() {
    let check = form("docker.io", "python", "3.12", "python", "3.12").check();
    assert!(check.errors.is_empty());
    let request = check.request.expect("valid");
    assert_eq!(request.external_name, "library/python");
    assert_eq!(request.internal_name, "python");
    assert!(check.notices.iter().any(|n| n.contains("library/python")));
}

#[test]
fn each_bad_field_gets_its_own_message() {
    let check = form("https://ghcr.io/x", "Bad", ".tag", "", "ok").check();
    assert!(check.request.is_none());
    assert!(
        check
            .error(ImportField::Registry)
            .is_some_and(|m| m.starts_with("Registry "))
    );
    assert!(
        check
            .error(ImportField::Name)
            .is_some_and(|m| m.contains("lowercase"))
    );
    assert!(check.error(ImportField::Tag).is_some());
    assert_eq!(
        check.error(ImportField::InternalName),
        Some("Name in the device must not be empty")
    );
    assert_eq!(check.error(ImportField::InternalTag), None);
}

#[test]
fn a_scheme_on_the_registry_is_removed_with_a_notice() {
    let check = form("https://ghcr.io", "acme/tool", "v1", "acme/tool", "v1").check();
    assert_eq!(check.request.expect("valid").external_url, "ghcr.io");
    assert!(check.notices[0].contains("https://"));
}

#[test]
fn pasted_references_are_split_and_defaults_follow_the_source() {
    let mut f = ImportForm::new();
    let notices = f.apply_reference("python:3.12").expect("valid");
    assert_eq!(
        (f.registry.as_str(), f.name.as_str(), f.tag.as_str()),
        ("docker.io", "library/python", "3.12")
    );
    assert_eq!(notices.len(), 1);
    assert_eq!(
        f.default_internal(),
        ("python".to_owned(), "3.12".to_owned())
    );
    f.apply_reference("registry.example.local:5000/team/app:1.2.3")
        .expect("valid");
    assert_eq!(
        f.default_internal(),
        ("team/app".to_owned(), "1.2.3".to_owned())
    );
    assert!(f.apply_reference("python@sha256:abc").is_err());
}

/// The reference input's new text applied the way the page does it.
fn type_reference(reference: &mut ReferenceInput, f: &mut ImportForm, text: &str) {
    reference.set_text(f, text);
    f.fill_default_internal();
}

fn source(f: &ImportForm) -> (&str, &str, &str) {
    (f.registry.as_str(), f.name.as_str(), f.tag.as_str())
}

#[test]
fn a_reference_that_stops_parsing_resets_the_fields_it_filled_and_blocks_the_import() {
    let mut f = ImportForm::new();
    let mut r = ReferenceInput::default();
    type_reference(&mut r, &mut f, "python:3.12");
    assert_eq!(source(&f), ("docker.io", "library/python", "3.12"));
    assert!(submission(&r, &f.check()).is_some());

    let reset = r.set_text(&mut f, "ghcr.io/Foo/Bar:1");
    f.fill_default_internal();
    assert_eq!(reset, FROM_REFERENCE.to_vec());
    assert_eq!(source(&f), ("docker.io", "", ""));
    assert_eq!(f.internal_name, "");
    assert!(r.blocks_import());
    assert!(r.error().is_some_and(|m| m.contains("lowercase")), "{r:?}");
    assert_eq!(submission(&r, &f.check()), None);

    // Pinned by digest: refused, and nginx:latest is not what the fields say either.
    type_reference(&mut r, &mut f, "python:3.12");
    type_reference(&mut r, &mut f, "nginx@sha256:abc");
    assert!(
        r.error().is_some_and(|m| m.contains("by tag only")),
        "{r:?}"
    );
    assert_eq!(source(&f), ("docker.io", "", ""));
    assert_eq!(submission(&r, &f.check()), None);

    // Emptied: nothing blocks, the fields stay as they are.
    type_reference(&mut r, &mut f, "python:3.12");
    type_reference(&mut r, &mut f, "");
    assert!(!r.blocks_import());
    assert_eq!(r.notices(), &[] as &[String]);
    assert_eq!(source(&f), ("docker.io", "library/python", "3.12"));
    assert!(submission(&r, &f.check()).is_some());
}

#[test]
fn typed_key_by_key_only_a_prefix_that_parses_is_ever_submittable_and_only_as_itself() {
    for target in ["ghcr.io/Foo/Bar:1", "nginx@sha256:0123abcd", "python:3.12"] {
        let mut f = ImportForm::new();
        let mut r = ReferenceInput::default();
        for end in 1..=target.len() {
            let prefix = &target[..end];
            type_reference(&mut r, &mut f, prefix);
            let sent = submission(&r, &f.check());
            match parse_reference(prefix) {
                Ok(parsed) => {
                    let sent = sent.expect("a valid prefix is importable");
                    assert_eq!(
                        (sent.external_url, sent.external_name, sent.external_tag),
                        (parsed.registry, parsed.name, parsed.tag),
                        "{prefix}"
                    );
                }
                Err(_) => assert_eq!(sent, None, "{prefix}"),
            }
        }
    }
}

#[test]
fn fields_typed_by_hand_stay_when_the_reference_does_not_parse_but_still_nothing_is_sent() {
    let mut f = ImportForm::new();
    let mut r = ReferenceInput::default();
    f.name = "acme/tool".to_owned();
    f.tag = "v1".to_owned();
    f.fill_default_internal();
    let reset = r.set_text(&mut f, "Bad");
    assert!(reset.is_empty());
    assert_eq!(source(&f), ("docker.io", "acme/tool", "v1"));
    assert_eq!(submission(&r, &f.check()), None);
    r.set_text(&mut f, "");
    assert!(submission(&r, &f.check()).is_some());

    // Pasted, then the tag retyped by hand: only the pasted registry and name are reset.
    type_reference(&mut r, &mut f, "ghcr.io/acme/tool:v1");
    f.tag = "v2".to_owned();
    r.edited_by_hand(ImportField::Tag);
    assert_eq!(
        r.set_text(&mut f, "ghcr.io/acme/tool@sha256:ab"),
        vec![ImportField::Registry, ImportField::Name]
    );
    assert_eq!(source(&f), ("docker.io", "", "v2"));
    assert_eq!(submission(&r, &f.check()), None);
}

#[test]
fn server_field_names_map_back_to_inputs() {
    assert_eq!(
        ImportField::from_wire_name("internalTag"),
        Some(ImportField::InternalTag)
    );
    assert_eq!(ImportField::from_wire_name("other"), None);
}

#[test]
fn an_existing_target_is_an_overwrite() {
    let row = ImageRow {
        name: "python".to_owned(),
        tag: "3.12".to_owned(),
        digest: Some("sha256:aa".to_owned()),
        size_bytes: None,
        timestamp_ms: None,
        shared_digest_tags: vec![],
        shared_digest_count: 0,
        flags: vec![],
    };
    let rows = [row];
    assert_eq!(
        existing_target(&rows, "python", "3.12"),
        Some(Some("sha256:aa".to_owned()))
    );
    assert_eq!(existing_target(&rows, "python", "3.13"), None);
}
