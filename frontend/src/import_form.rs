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
mod tests;
