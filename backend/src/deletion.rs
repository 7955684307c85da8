//! Safe deletion. The device deletes by digest, which removes every tag of the name that
//! points at it, so: re-list first and refuse (409) if that set of tags differs from what the
//! user confirmed; call the device exactly once; re-list and report what actually vanished.

use std::collections::BTreeSet;

use lem_client::{ImageList, Scalar};
use shared::api::{DeletionOutcome, DeletionResponse};

use crate::devices::Device;
use crate::error::ApiError;

/// The tags of `name` whose digest is `digest`, in the device's list.
pub fn tags_sharing(list: &ImageList, name: &str, digest: &str) -> BTreeSet<String> {
    list.images
        .iter()
        .filter(|i| i.name.as_str() == Some(name) && i.digest.as_str() == Some(digest))
        .filter_map(|i| match &i.tag {
            Scalar::Str(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn refs(name: &str, tags: &BTreeSet<String>) -> String {
    if tags.is_empty() {
        return "none".into();
    }
    tags.iter()
        .map(|t| format!("{name}:{t}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Deletes `name@digest` if the tags sharing the digest are exactly `expected`.
pub async fn delete_verified(
    device: &Device,
    name: &str,
    digest: &str,
    expected: &BTreeSet<String>,
) -> Result<DeletionResponse, ApiError> {
    let current = tags_sharing(&device.list().await?, name, digest);
    if &current != expected {
        let message = if current.is_empty() {
            format!(
                "No tag of {name} points at this digest any more (it may already be deleted). Refresh the list."
            )
        } else {
            format!(
                "The tags that would disappear changed since you looked: now {}. Review them and confirm again.",
                refs(name, &current)
            )
        };
        return Err(ApiError::Conflict {
            message,
            current_tags: Some(current.into_iter().collect()),
        });
    }
    // A timeout or dropped connection may still have deleted: the re-list decides.
    let device_error = match device.delete(name, digest).await {
        Ok(()) => None,
        Err(e @ ApiError::Device { .. }) if matches!(&e, ApiError::Device { error, .. } if error.outcome_unknown()) => {
            Some(e)
        }
        Err(e) => return Err(e),
    };
    let (outcome, still) = match (device.list().await, device_error) {
        (Ok(after), error) => {
            let still = tags_sharing(&after, name, digest);
            match error {
                _ if still.is_empty() => (DeletionOutcome::Removed, still),
                // The device failed and nothing vanished: report the failure itself.
                Some(error) => return Err(error),
                None => (DeletionOutcome::StillListed, still),
            }
        }
        (Err(_), None) => (DeletionOutcome::Unverified, BTreeSet::new()),
        (Err(_), Some(error)) => return Err(error),
    };
    let removed: Vec<String> = current.difference(&still).cloned().collect();
    let message = match outcome {
        DeletionOutcome::Removed => format!("Deleted {}.", refs(name, &current)),
        DeletionOutcome::StillListed => format!(
            "The device accepted the deletion, but it still lists {}. The registry may need a garbage collection or a restart.",
            refs(name, &still)
        ),
        DeletionOutcome::Unverified => format!(
            "The device accepted the deletion of {}, but the panel could not re-list to confirm it. Refresh the list to check.",
            refs(name, &current)
        ),
    };
    Ok(DeletionResponse {
        name: name.to_owned(),
        digest: digest.to_owned(),
        outcome,
        removed_tags: removed,
        still_listed_tags: still.into_iter().collect(),
        message,
    })
}
