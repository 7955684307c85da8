//! Deciding an import's outcome: what the device listed before the pull, what the pull
//! answered and what a re-list shows. An ambiguous answer (timeout, 5xx) is only a success when
//! the re-list shows an image that cannot be the old one.

use shared::api::{ErrorCode, ErrorDetail, ImportRequest};

use super::listed_digest;
use crate::devices::Device;
use crate::error::ApiError;

/// What the device listed for the target before the pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Before {
    /// The list could not be read: an image listed afterwards may be the old one.
    Unknown,
    /// Not listed.
    Absent,
    /// Listed with this digest (the pull overwrites it).
    Listed(String),
}

/// How an import ended.
pub(super) enum Verdict {
    /// The image is listed and is the pulled one (its digest, when the device gave one).
    Succeeded(Option<String>),
    /// The device refused the pull or failed definitely.
    Failed(ErrorDetail),
    /// The pull may or may not have happened.
    Unknown(ErrorDetail),
}

/// Re-lists the device to decide what happened.
pub(super) async fn verify(
    device: &Device,
    request: &ImportRequest,
    result: Result<(), ApiError>,
    before: &Before,
) -> Verdict {
    let definite_failure = match &result {
        Ok(()) => None,
        Err(ApiError::Device { error, .. }) if error.outcome_unknown() => None,
        Err(e) => Some(e.to_parts().1),
    };
    if let Some(detail) = definite_failure {
        return Verdict::Failed(detail);
    }
    let after = match device.list().await {
        Ok(list) => listed_digest(&list, &request.internal_name, &request.internal_tag),
        Err(e) => {
            let why = e.to_parts().1.message;
            return Verdict::Unknown(ErrorDetail::new(
                ErrorCode::DeviceError,
                format!(
                    "The pull's outcome could not be checked: re-listing the device failed. {why}"
                ),
            ));
        }
    };
    match (&result, after) {
        (Ok(()), Some(digest)) => Verdict::Succeeded(Some(digest)),
        (Ok(()), None) => Verdict::Unknown(ErrorDetail::new(
            ErrorCode::DeviceError,
            "The device reported success, but the image is not in its list.",
        )),
        (Err(e), Some(_)) if *before == Before::Unknown => {
            let detail = e.to_parts().1;
            Verdict::Unknown(ErrorDetail {
                message: format!(
                    "{} The image is listed, but the panel could not tell whether it is the new one: the device's list could not be read before the pull. Compare its digest with the source before relying on it.",
                    detail.message
                ),
                ..detail
            })
        }
        (Err(_), Some(digest)) if *before != Before::Listed(digest.clone()) => {
            Verdict::Succeeded(Some(digest))
        }
        (Err(e), _) => {
            let detail = e.to_parts().1;
            Verdict::Unknown(ErrorDetail {
                message: format!(
                    "{} The image is not (newly) listed on the device, so it is unknown whether the pull ran; check the list before trying again.",
                    detail.message
                ),
                ..detail
            })
        }
    }
}
