//! The import form's logic: splitting a pasted reference (and never keeping another image's
//! fields once the pasted text stops parsing), defaulting the internal name and tag, validating
//! every field with the shared validators, and spotting an overwrite. Pure and tested.

use shared::api::{ImageRow, ImportRequest};
use shared::reference::{default_internal_name, normalize_hub_name, parse_reference};
use shared::validate::{normalize_registry_host, validate_repository_name, validate_tag};

/// The form's five inputs, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportForm {
    /// External registry host[:port].
    pub registry: String,
    /// External repository name.
    pub name: String,
    /// External tag.
    pub tag: String,
    /// Name inside the device.
    pub internal_name: String,
    /// Tag inside the device.
    pub internal_tag: String,
}

/// One input of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportField {
    /// External registry.
    Registry,
    /// External name.
    Name,
    /// External tag.
    Tag,
    /// Internal name.
    InternalName,
    /// Internal tag.
    InternalTag,
}

impl ImportField {
    /// Every field, in form order.
    pub const ALL: [ImportField; 5] = [
        Self::Registry,
        Self::Name,
        Self::Tag,
        Self::InternalName,
        Self::InternalTag,
    ];

    /// The request's wire field name, as the server's validation errors name it.
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::Registry => "externalUrl",
            Self::Name => "externalName",
            Self::Tag => "externalTag",
            Self::InternalName => "internalName",
            Self::InternalTag => "internalTag",
        }
    }

    /// The field a server validation error is about.
    pub fn from_wire_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.wire_name() == name)
    }

    /// The label people see (also the prefix of its error messages).
    pub fn label(self) -> &'static str {
        match self {
            Self::Registry => "Registry",
            Self::Name => "Image name",
            Self::Tag => "Tag",
            Self::InternalName => "Name in the device",
            Self::InternalTag => "Tag in the device",
        }
    }
}

/// The result of checking the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCheck {
    /// Field-specific messages, in form order.
    pub errors: Vec<(ImportField, String)>,
    /// Harmless corrections the panel will make, in words.
    pub notices: Vec<String>,
    /// The request to send, when every field is valid.
    pub request: Option<ImportRequest>,
}

impl ImportCheck {
    /// The message for one field, if it is invalid.
    pub fn error(&self, field: ImportField) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

impl ImportForm {
    /// A form for Docker Hub with nothing else filled in.
    pub fn new() -> Self {
        Self {
            registry: shared::reference::DOCKER_HUB.to_owned(),
            ..Self::default()
        }
    }

    /// Checks every field with the shared validators.
    pub fn check(&self) -> ImportCheck {
        let mut check = ImportCheck::default();
        let mut fail = |field: ImportField, why: String| {
            check
                .errors
                .push((field, format!("{} {why}", field.label())));
        };
        let registry = match normalize_registry_host(&self.registry) {
            Ok(host) => {
                check.notices.extend(host.notice);
                Some(host.value)
            }
            Err(e) => {
                fail(ImportField::Registry, e.to_string());
                None
            }
        };
        let name = self.name.trim();
        let name = match validate_repository_name(name) {
            Ok(()) => Some(name),
            Err(e) => {
                fail(ImportField::Name, e.to_string());
                None
            }
        };
        for (field, value) in [
            (ImportField::Tag, &self.tag),
            (ImportField::InternalTag, &self.internal_tag),
        ] {
            if let Err(e) = validate_tag(value.trim()) {
                fail(field, e.to_string());
            }
        }
        if let Err(e) = validate_repository_name(self.internal_name.trim()) {
            fail(ImportField::InternalName, e.to_string());
        }
        check
            .errors
            .sort_by_key(|(f, _)| ImportField::ALL.iter().position(|x| x == f));
        let (Some(registry), Some(name)) = (registry, name) else {
            return check;
        };
        let external_name = normalize_hub_name(&registry, name);
        if external_name != name {
            check.notices.push(format!(
                "On Docker Hub, '{name}' means '{external_name}' (official images live under library/)."
            ));
        }
        if check.errors.is_empty() {
            check.request = Some(ImportRequest {
                external_url: registry,
                external_name,
                external_tag: self.tag.trim().to_owned(),
                internal_name: self.internal_name.trim().to_owned(),
                internal_tag: self.internal_tag.trim().to_owned(),
            });
        }
        check
    }

    /// The default name and tag inside the device for the current source fields.
    pub fn default_internal(&self) -> (String, String) {
        let registry = normalize_registry_host(&self.registry)
            .map(|h| h.value)
            .unwrap_or_else(|_| self.registry.trim().to_owned());
        let name = normalize_hub_name(&registry, self.name.trim());
        let internal = if self.name.trim().is_empty() {
            String::new()
        } else {
            default_internal_name(&registry, &name)
        };
        (internal, self.tag.trim().to_owned())
    }

    /// Fills registry, name and tag from a pasted reference (`ghcr.io/acme/tool:v1`). Returns the
    /// parser's notices, or its message naming the bad part.
    pub fn apply_reference(&mut self, reference: &str) -> Result<Vec<String>, String> {
        let parsed = parse_reference(reference).map_err(|e| e.to_string())?;
        self.registry = parsed.registry;
        self.name = parsed.name;
        self.tag = parsed.tag;
        Ok(parsed.notices)
    }

    /// Sets the internal name and tag to the source's defaults (used while the person has not
    /// typed them by hand).
    pub fn fill_default_internal(&mut self) {
        let (name, tag) = self.default_internal();
        self.internal_name = name;
        self.internal_tag = tag;
    }
}

/// The source fields a pasted reference fills.
const FROM_REFERENCE: [ImportField; 3] =
    [ImportField::Registry, ImportField::Name, ImportField::Tag];

/// The "paste a reference" input and what it did to the source fields.
///
/// While its text does not parse, the source fields it filled are reset (fields typed by hand
/// stay as typed) and [`submission`] sends nothing: the form never shows or imports an image the
/// text does not name, e.g. the last valid prefix of a reference typed key by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceInput {
    text: String,
    result: Result<Vec<String>, String>,
    /// Source fields holding what a reference gave them, not edited by hand since.
    derived: Vec<ImportField>,
}

impl Default for ReferenceInput {
    fn default() -> Self {
        Self {
            text: String::new(),
            result: Ok(Vec::new()),
            derived: Vec::new(),
        }
    }
}

impl ReferenceInput {
    /// The text as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parser's notices for the current text (none when it is empty).
    pub fn notices(&self) -> &[String] {
        self.result.as_deref().unwrap_or_default()
    }

    /// The parser's message when the text is not empty and does not parse.
    pub fn error(&self) -> Option<&str> {
        self.result.as_ref().err().map(String::as_str)
    }

    /// Whether the text blocks importing: it is not empty and does not parse.
    pub fn blocks_import(&self) -> bool {
        self.result.is_err()
    }

    /// Takes the input's new text and updates `form`'s source fields: a reference that parses
    /// fills registry, name and tag; text that does not parse resets the fields a reference
    /// filled (to a fresh form's values) and leaves hand-typed ones alone; empty text changes
    /// nothing (the fields stay, editable, and are what Import sends). Returns the fields it
    /// reset. The internal name and tag are the caller's (see
    /// [`ImportForm::fill_default_internal`]).
    pub fn set_text(&mut self, form: &mut ImportForm, text: &str) -> Vec<ImportField> {
        text.clone_into(&mut self.text);
        if text.trim().is_empty() {
            self.result = Ok(Vec::new());
            return Vec::new();
        }
        self.result = form.apply_reference(text);
        if self.result.is_ok() {
            self.derived = FROM_REFERENCE.to_vec();
            return Vec::new();
        }
        let fresh = ImportForm::new();
        for field in &self.derived {
            match field {
                ImportField::Registry => form.registry.clone_from(&fresh.registry),
                ImportField::Name => form.name.clone_from(&fresh.name),
                ImportField::Tag => form.tag.clone_from(&fresh.tag),
                ImportField::InternalName | ImportField::InternalTag => {}
            }
        }
        self.derived.clone()
    }

    /// Records that the person typed into `field`: a reference that stops parsing leaves it be.
    pub fn edited_by_hand(&mut self, field: ImportField) {
        self.derived.retain(|f| *f != field);
    }
}

/// The request the Import button sends: none while the reference input holds text that does not
/// parse, or while any field is invalid.
pub fn submission(reference: &ReferenceInput, check: &ImportCheck) -> Option<ImportRequest> {
    if reference.blocks_import() {
        return None;
    }
    check.request.clone()
}

/// Whether importing onto `name:tag` would overwrite a listed image: `Some(digest)` when it
/// exists (the digest itself may be unknown).
pub fn existing_target(rows: &[ImageRow], name: &str, tag: &str) -> Option<Option<String>> {
    rows.iter()
        .find(|r| r.name == name.trim() && r.tag == tag.trim())
        .map(|r| r.digest.clone())
}

#[cfg(test)]
mod tests {
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
}
