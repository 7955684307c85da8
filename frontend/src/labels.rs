//! Words for wire values: job states, registry status facts, TLS and auth modes, row flags, audit
//! actions and roles; plus the audit filter's query string. Pure and tested.

use shared::api::{
    AuditAction, AuthMode, Job, JobStage, JobState, RegistryInfo, Role, RowFlag, TlsMode,
};

use crate::routes::query_string;

/// A job's state in words (the stage of a running job included).
pub fn job_state_label(state: JobState, stage: Option<JobStage>) -> &'static str {
    match (state, stage) {
        (JobState::Queued, _) => "Queued",
        (JobState::Running, Some(JobStage::Verifying)) => "Verifying",
        (JobState::Running, _) => "Pulling",
        (JobState::Succeeded, _) => "Succeeded",
        (JobState::Failed, _) => "Failed",
        (JobState::Unknown, _) => "Outcome unknown",
        (JobState::Interrupted, _) => "Interrupted",
    }
}

/// The `data-state` value of a job row (the wire name).
pub fn job_state_key(state: JobState) -> &'static str {
    match state {
        JobState::Queued => "queued",
        JobState::Running => "running",
        JobState::Succeeded => "succeeded",
        JobState::Failed => "failed",
        JobState::Unknown => "unknown",
        JobState::Interrupted => "interrupted",
    }
}

/// What to tell people about a finished job that did not succeed, when the server gave no reason.
pub fn job_outcome_note(state: JobState) -> Option<&'static str> {
    match state {
        JobState::Unknown => Some("The device did not confirm the result; check the image list."),
        JobState::Interrupted => Some("The panel restarted while this ran; check the image list."),
        _ => None,
    }
}

/// How long a job ran (or has been running, when not finished).
pub fn job_elapsed_ms(job: &Job, now_ms: i64) -> i64 {
    job.finished_at_ms.unwrap_or(now_ms) - job.created_at_ms
}

/// Whether any job is still queued or running (so the list keeps polling).
pub fn any_active(jobs: &[Job]) -> bool {
    jobs.iter().any(|j| !j.state.is_finished())
}

/// `source → target` of an import, as people write references.
pub fn job_summary(job: &Job) -> (String, String) {
    let r = &job.request;
    (
        format!("{}/{}:{}", r.external_url, r.external_name, r.external_tag),
        format!("{}:{}", r.internal_name, r.internal_tag),
    )
}

/// A yes/no/unknown fact.
pub fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown (the device did not say)",
    }
}

/// The device's registry info as (label, value) lines, labelled neutrally because the vendor does
/// not document what the fields mean.
pub fn registry_facts(info: &RegistryInfo) -> Vec<(&'static str, String)> {
    vec![
        ("Registry enabled", yes_no(info.enabled).to_owned()),
        (
            "Registry requires authentication",
            yes_no(info.auth_required).to_owned(),
        ),
        (
            "Proxy / pull-through configured",
            yes_no(info.proxy_configured).to_owned(),
        ),
        (
            "Proxy user",
            info.proxy_user
                .clone()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "none".to_owned()),
        ),
    ]
}

/// How the panel checks the device's certificate, in words.
pub fn tls_mode_label(mode: TlsMode) -> &'static str {
    match mode {
        TlsMode::Pin => "Pinned certificate (SHA-256 fingerprint)",
        TlsMode::Ca => "Trusted CA or certificate file",
        TlsMode::System => "System trust roots",
        TlsMode::Insecure => "Not verified (insecure: any certificate is accepted)",
    }
}

/// How the panel sends its token to the device, in words.
pub fn auth_mode_label(mode: AuthMode) -> &'static str {
    match mode {
        AuthMode::Basic => "HTTP Basic (token as user name)",
        AuthMode::XAuthToken => "X-AuthToken header",
    }
}

/// What a row flag means, in words.
pub fn row_flag_label(flag: RowFlag) -> &'static str {
    match flag {
        RowFlag::MissingName => "no name from the device",
        RowFlag::MissingTag => "no tag from the device",
        RowFlag::MissingDigest => "no digest: cannot be deleted here",
        RowFlag::InvalidDigest => "unusual digest: cannot be deleted here",
        RowFlag::NonStandardName => "name outside the OCI rules",
        RowFlag::NonStandardTag => "tag outside the OCI rules",
        RowFlag::UnknownSize => "size unknown",
        RowFlag::SizeBeyondExactRange => "very large size",
        RowFlag::InvalidTimestamp => "date invalid",
        RowFlag::TimestampInSeconds => "date was in seconds (converted)",
        RowFlag::Duplicate => "listed twice by the device",
    }
}

/// A role in words.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Viewer => "Viewer",
        Role::Operator => "Operator",
        Role::Admin => "Admin",
    }
}

/// The other `name:tag`s sharing a row's digest, in words: the listed ones, and how many more
/// the server did not list (`count` is the total).
pub fn shared_tags_text(name: &str, listed: &[String], count: u32) -> String {
    let mut text = listed
        .iter()
        .map(|t| format!("{name}:{t}"))
        .collect::<Vec<_>>()
        .join(", ");
    let more = usize::try_from(count)
        .unwrap_or(usize::MAX)
        .saturating_sub(listed.len());
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

/// Every audit action, for the filter's choices.
pub const AUDIT_ACTIONS: [AuditAction; 13] = [
    AuditAction::LoginSucceeded,
    AuditAction::LoginFailed,
    AuditAction::LoginThrottled,
    AuditAction::Logout,
    AuditAction::ImportStarted,
    AuditAction::ImportFinished,
    AuditAction::Deletion,
    AuditAction::UserCreated,
    AuditAction::UserUpdated,
    AuditAction::PasswordChanged,
    AuditAction::PasswordReset,
    AuditAction::ApiTokenCreated,
    AuditAction::ApiTokenRevoked,
];

/// An audit action in words.
pub fn audit_action_label(action: AuditAction) -> &'static str {
    match action {
        AuditAction::LoginSucceeded => "Login",
        AuditAction::LoginFailed => "Login failed",
        AuditAction::LoginThrottled => "Login throttled",
        AuditAction::Logout => "Logout",
        AuditAction::ImportStarted => "Import started",
        AuditAction::ImportFinished => "Import finished",
        AuditAction::Deletion => "Deletion",
        AuditAction::UserCreated => "User created",
        AuditAction::UserUpdated => "User updated",
        AuditAction::PasswordChanged => "Password changed",
        AuditAction::PasswordReset => "Password reset",
        AuditAction::ApiTokenCreated => "API token created",
        AuditAction::ApiTokenRevoked => "API token revoked",
    }
}

/// The audit page's filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// User name (exact), empty for all.
    pub actor: String,
    /// Action wire name, empty for all.
    pub action: String,
    /// Device id, empty for all.
    pub device: String,
    /// From (Unix ms).
    pub since_ms: Option<i64>,
    /// Until (Unix ms).
    pub until_ms: Option<i64>,
    /// At most this many records.
    pub limit: Option<u32>,
}

impl AuditFilter {
    /// The query string for `GET audit` (`?actor=…&since=…`), empty values left out.
    pub fn query(&self) -> String {
        query_string(&self.pairs())
    }

    /// The query string for the export link in a format (`jsonl` or `csv`).
    pub fn export_query(&self, format: &str) -> String {
        let mut pairs = vec![("format", format.to_owned())];
        pairs.extend(self.pairs().into_iter().filter(|(k, _)| *k != "limit"));
        query_string(&pairs)
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        vec![
            ("actor", self.actor.trim().to_owned()),
            ("action", self.action.clone()),
            ("device", self.device.clone()),
            ("since", opt(self.since_ms)),
            ("until", opt(self.until_ms)),
            (
                "limit",
                self.limit.map(|l| l.to_string()).unwrap_or_default(),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::ImportRequest;

    fn job(state: JobState, finished: Option<i64>) -> Job {
        Job {
            id: 1,
            device: "d".to_owned(),
            request: ImportRequest {
                external_url: "docker.io".to_owned(),
                external_name: "library/python".to_owned(),
                external_tag: "3.12".to_owned(),
                internal_name: "python".to_owned(),
                internal_tag: "3.12".to_owned(),
            },
            state,
            stage: None,
            started_by: "ada".to_owned(),
            created_at_ms: 1_000,
            finished_at_ms: finished,
            overwrote_digest: None,
            result_digest: None,
            error: None,
        }
    }

    #[test]
    fn jobs_read_in_words_and_time_themselves() {
        assert_eq!(
            job_state_label(JobState::Running, Some(JobStage::Verifying)),
            "Verifying"
        );
        assert_eq!(job_state_label(JobState::Unknown, None), "Outcome unknown");
        assert_eq!(
            job_elapsed_ms(&job(JobState::Running, None), 61_000),
            60_000
        );
        assert_eq!(
            job_elapsed_ms(&job(JobState::Failed, Some(3_000)), 99_000),
            2_000
        );
        assert!(any_active(&[
            job(JobState::Succeeded, Some(2)),
            job(JobState::Queued, None)
        ]));
        assert!(!any_active(&[job(JobState::Failed, Some(2))]));
        assert_eq!(
            job_summary(&job(JobState::Queued, None)),
            (
                "docker.io/library/python:3.12".to_owned(),
                "python:3.12".to_owned()
            )
        );
    }

    #[test]
    fn registry_facts_use_neutral_words() {
        let info = RegistryInfo {
            enabled: Some(true),
            auth_required: None,
            proxy_configured: Some(false),
            proxy_user: None,
        };
        let facts = registry_facts(&info);
        assert_eq!(facts[0], ("Registry enabled", "yes".to_owned()));
        assert!(facts[1].1.starts_with("unknown"));
        assert_eq!(facts[2].1, "no");
        assert_eq!(facts[3].1, "none");
    }

    #[test]
    fn audit_filters_become_query_strings() {
        let f = AuditFilter {
            actor: " ada ".to_owned(),
            action: "deletion".to_owned(),
            since_ms: Some(5),
            limit: Some(100),
            ..AuditFilter::default()
        };
        assert_eq!(f.query(), "?actor=ada&action=deletion&since=5&limit=100");
        assert_eq!(
            f.export_query("csv"),
            "?format=csv&actor=ada&action=deletion&since=5"
        );
        assert_eq!(AuditFilter::default().query(), "");
    }

    #[test]
    fn every_audit_action_has_a_label_and_wire_name() {
        for action in AUDIT_ACTIONS {
            assert!(!audit_action_label(action).is_empty());
            assert!(!action.as_str().is_empty());
        }
    }

    #[test]
    fn shared_tags_say_how_many_were_not_listed() {
        let listed = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(shared_tags_text("app", &listed, 2), "app:a, app:b");
        assert_eq!(
            shared_tags_text("app", &listed, 40),
            "app:a, app:b and 38 more"
        );
    }
}
