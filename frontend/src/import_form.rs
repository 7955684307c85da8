//! The import form's logic: splitting a pasted reference, defaulting the internal name and tag,
//! validating every field with the shared validators, and spotting an overwrite. Pure and tested.

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
