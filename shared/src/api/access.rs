//! Team access: sessions, users, roles and the audit trail.

use serde::{Deserialize, Serialize};

use crate::validate::Invalid;

/// What a user may do. Ordered: each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Lists images, registry status and jobs.
    Viewer,
    /// Viewer, plus imports images.
    Operator,
    /// Operator, plus deletes images and manages users and the audit trail.
    Admin,
}

impl Role {
    /// All roles, least privileged first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    /// Whether this role may start imports.
    pub fn can_import(self) -> bool {
        self >= Role::Operator
    }

    /// Whether this role may delete images.
    pub fn can_delete(self) -> bool {
        self >= Role::Admin
    }

    /// Whether this role may manage users and read the audit trail.
    pub fn can_administer(self) -> bool {
        self >= Role::Admin
    }

    /// The wire name (`viewer`, `operator`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// `POST /api/v1/session`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `GET /api/v1/session` (and the answer to a login): who is logged in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    /// User name.
    pub username: String,
    /// Role (per-device roles may differ; see each device's `role`).
    pub role: Role,
    /// True until the user replaces a one-time password; other routes answer 403 until then.
    pub must_change_password: bool,
}

/// `PUT /api/v1/session/password`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The current password.
    pub current_password: String,
    /// The new password (at least 12 characters).
    pub new_password: String,
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePasswordRequest { <redacted> }")
    }
}

/// A user as admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    /// User name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// False once disabled: the user cannot log in and their sessions are ended.
    pub enabled: bool,
    /// True until the user replaces a one-time password.
    pub must_change_password: bool,
    /// When the user was created (Unix milliseconds).
    pub created_at_ms: i64,
    /// Last successful login (Unix milliseconds).
    pub last_login_at_ms: Option<i64>,
}

/// `GET /api/v1/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UsersResponse {
    /// All users, by name.
    pub users: Vec<UserSummary>,
}

/// `POST /api/v1/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUserRequest {
    /// User name (lowercase letters, digits, `.`, `_`, `-`; 1 to 64 characters).
    pub username: String,
    /// Role.
    pub role: Role,
}

/// The answer to creating a user: the one-time password, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateUserResponse {
    /// The new user.
    pub user: UserSummary,
    /// One-time password; the user must change it at first login.
    pub one_time_password: String,
}

/// `PATCH /api/v1/users/{username}`: change role or enable/disable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// New role.
    #[serde(default)]
    pub role: Option<Role>,
    /// Enable or disable (disabling ends the user's sessions at once).
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// The answer to `POST /api/v1/users/{username}/password-reset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResetPasswordResponse {
    /// One-time password; the user must change it at next login.
    pub one_time_password: String,
}

/// What an audit record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A successful login.
    LoginSucceeded,
    /// A failed login (unknown user or wrong password).
    LoginFailed,
    /// A login refused by throttling.
    LoginThrottled,
    /// A logout.
    Logout,
    /// An import was requested.
    ImportStarted,
    /// An import ended (outcome says how).
    ImportFinished,
    /// A deletion and its verified outcome.
    Deletion,
    /// A user was created.
    UserCreated,
    /// A user's role or enabled state changed.
    UserUpdated,
    /// A user changed their own password.
    PasswordChanged,
    /// An admin reset a user's password.
    PasswordReset,
    /// A user created a personal API token.
    ApiTokenCreated,
    /// A user revoked a personal API token.
    ApiTokenRevoked,
}

impl AuditAction {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::LoginThrottled => "login_throttled",
            Self::Logout => "logout",
            Self::ImportStarted => "import_started",
            Self::ImportFinished => "import_finished",
            Self::Deletion => "deletion",
            Self::UserCreated => "user_created",
            Self::UserUpdated => "user_updated",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::ApiTokenCreated => "api_token_created",
            Self::ApiTokenRevoked => "api_token_revoked",
        }
    }
}

/// One audit record. Append-only; user-supplied text has control characters escaped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// Sequence number.
    pub id: i64,
    /// When (Unix milliseconds, UTC).
    pub at_ms: i64,
    /// Who (user name, or the name tried for a failed login).
    pub actor: String,
    /// Client address as the panel saw it.
    pub client_addr: String,
    /// What.
    pub action: AuditAction,
    /// Device id, for device operations.
    pub device: Option<String>,
    /// What was acted on (`name:tag`, `name@digest`, source → target, a user name).
    pub target: Option<String>,
    /// How it ended (`ok`, `refused`, `failed: …`, `removed`, `still_listed`, …).
    pub outcome: String,
    /// The request id, to find the matching log lines.
    pub request_id: String,
}

/// `GET /api/v1/audit`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditResponse {
    /// The records matching the filter.
    pub records: Vec<AuditRecord>,
}

/// A personal API token, as its owner sees it (never the secret after creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiTokenSummary {
    /// Token id.
    pub id: i64,
    /// What the owner called it.
    pub name: String,
    /// When it was created (Unix milliseconds).
    pub created_at_ms: i64,
    /// When it was last used (Unix milliseconds, to the minute).
    pub last_used_at_ms: Option<i64>,
}

/// `GET /api/v1/session/tokens`: the caller's active tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ApiTokensResponse {
    /// Active tokens, newest first.
    pub tokens: Vec<ApiTokenSummary>,
}

/// `POST /api/v1/session/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateApiTokenRequest {
    /// A name to recognise it by (1 to 64 characters), e.g. "nightly sync script".
    pub name: String,
}

/// The answer to creating a token: the secret, shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateApiTokenResponse {
    /// The token.
    pub token: ApiTokenSummary,
    /// The secret to send as `Authorization: Bearer <secret>`; only its hash is stored.
    pub secret: String,
}

impl std::fmt::Debug for CreateApiTokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateApiTokenResponse")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// Checks a panel user name: 1 to 64 of lowercase letters, digits, `.`, `_`, `-`.
pub fn validate_username(name: &str) -> Result<(), Invalid> {
    if name.is_empty() {
        return Err(Invalid::Empty);
    }
    if name.len() > 64 {
        return Err(Invalid::TooLong {
            max: 64,
            actual: name.chars().count(),
        });
    }
    match name.chars().enumerate().find(|(_, c)| {
        !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    }) {
        Some((position, ch)) => Err(Invalid::BadChar {
            ch,
            position,
            allowed: "lowercase letters, digits, '.', '_' and '-'",
        }),
        None => Ok(()),
    }
}

/// Minimum length of a panel password.
pub const MIN_PASSWORD_LEN: usize = 12;

/// Checks a new panel password: at least 12 characters, at most 1024.
pub fn validate_password(password: &str) -> Result<(), Invalid> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(Invalid::Shape("must be at least 12 characters long"));
    }
    if len > 1024 {
        return Err(Invalid::TooLong {
            max: 1024,
            actual: len,
        });
    }
    Ok(())
}
