//! The panel's `/api/v1` request and response bodies. Field names are camelCase on the wire.

mod access;
mod devices;
mod error;
mod images;
mod jobs;

pub use access::{
    ApiTokenSummary, ApiTokensResponse, AuditAction, AuditRecord, AuditResponse,
    ChangePasswordRequest, CreateApiTokenRequest, CreateApiTokenResponse, CreateUserRequest,
    CreateUserResponse, LoginRequest, ResetPasswordResponse, Role, SessionResponse,
    UpdateUserRequest, UserSummary, UsersResponse, validate_password, validate_username,
};
pub use devices::{
    AuthMode, CertificateInfo, DeviceSummary, DevicesResponse, RegistryInfo,
    RegistryStatusResponse, TlsMode,
};
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use images::{
    DeletionOutcome, DeletionRequest, DeletionResponse, ImageRow, ImagesResponse, RowFlag,
    SHARED_TAGS_LISTED,
};
pub use jobs::{ImportRequest, ImportResponse, Job, JobStage, JobState, JobsResponse};

#[cfg(test)]
mod contract_tests;
