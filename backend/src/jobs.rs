//! Import jobs: a pull runs in the background (it is synchronous on the device and can take
//! minutes), survives the browser closing, and ends only after a re-list has decided what is
//! true. A timeout or 5xx means "outcome unknown", never "failed", and a pull is never retried.

mod in_flight;
mod verdict;

use std::sync::Arc;

use crate::audit::{self, AuditEvent};
use crate::auth::RequestContext;
use crate::clock::Clock;
use crate::db::{Db, JobUpdate};
use crate::devices::Device;
use crate::error::ApiError;
use in_flight::{InFlight, Registration};
use lem_client::{ImageList, PullRequest, Scalar};
use shared::api::{AuditAction, ErrorCode, ErrorDetail, ImportRequest, Job, JobStage, JobState};
use verdict::{Before, Verdict, verify};

/// Starts and tracks import jobs.
pub struct JobRunner {
    db: Db,
    clock: Arc<dyn Clock>,
    in_flight: InFlight,
}

impl std::fmt::Debug for JobRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobRunner")
    }
}

/// The digest the device lists for `name:tag`, if it lists it.
pub fn listed_digest(list: &ImageList, name: &str, tag: &str) -> Option<String> {
    list.images
        .iter()
        .find(|i| i.name.as_str() == Some(name) && i.tag.as_str() == Some(tag))
        .and_then(|i| match &i.digest {
            Scalar::Str(d) => Some(d.clone()),
            _ => None,
        })
}

impl JobRunner {
    /// A runner writing to `db`.
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            in_flight: InFlight::default(),
        }
    }

    /// Starts an import, or returns the identical one still queued or running (`true`).
    pub async fn start(
        self: &Arc<Self>,
        device: Arc<Device>,
        request: ImportRequest,
        actor: &str,
        context: RequestContext,
    ) -> Result<(Job, bool), ApiError> {
        let key = (device.id().to_owned(), request.clone());
        let mut in_flight = self.in_flight.lock().await;
        if let Some(&id) = in_flight.get(&key)
            && let Some(job) = self.db.job(id).await?
            && matches!(job.state, JobState::Queued | JobState::Running)
        {
            return Ok((job, true));
        }
        let job = self
            .db
            .create_job(
                device.id().to_owned(),
                request.clone(),
                actor.to_owned(),
                self.clock.now_ms(),
            )
            .await?;
        // From here on the entry goes with the registration, whatever happens.
        let registration = self.in_flight.register(&mut in_flight, key, job.id);
        drop(in_flight);
        let audited = audit::record(
            &self.db,
            self.clock.as_ref(),
            &context,
            AuditEvent {
                actor,
                action: AuditAction::ImportStarted,
                device: Some(device.id()),
                target: Some(describe(&request)),
                outcome: format!("job {}", job.id),
            },
        )
        .await;
        if let Err(error) = audited {
            // Never started: say so rather than leave it queued for ever.
            let detail = ErrorDetail::new(
                ErrorCode::Internal,
                "The import was not started: the audit trail could not be written.",
            );
            self.finish(job.id, JobState::Failed, None, Some(detail))
                .await;
            return Err(error);
        }
        let runner = Arc::clone(self);
        let job_id = job.id;
        let actor = actor.to_owned();
        tokio::spawn(async move {
            runner
                .run(job_id, device, request, &actor, &context, registration)
                .await;
        });
        Ok((job, false))
    }

    /// Saves a job's final state.
    async fn finish(
        &self,
        id: i64,
        state: JobState,
        result_digest: Option<String>,
        error: Option<ErrorDetail>,
    ) {
        let update = JobUpdate {
            state,
            stage: None,
            finished_at_ms: Some(self.clock.now_ms()),
            overwrote_digest: None,
            result_digest,
            error,
        };
        self.update(id, update).await;
    }

    async fn update(&self, id: i64, update: JobUpdate) {
        if let Err(error) = self.db.update_job(id, update).await {
            tracing::error!(%error, job = id, "could not save job progress");
        }
    }

    fn progress(state: JobState, stage: Option<JobStage>) -> JobUpdate {
        JobUpdate {
            state,
            stage,
            finished_at_ms: None,
            overwrote_digest: None,
            result_digest: None,
            error: None,
        }
    }

    async fn run(
        &self,
        id: i64,
        device: Arc<Device>,
        request: ImportRequest,
        actor: &str,
        context: &RequestContext,
        registration: Registration,
    ) {
        let _slot = device.import_slots.clone().acquire_owned().await;
        let before = match device.list().await {
            Ok(list) => listed_digest(&list, &request.internal_name, &request.internal_tag)
                .map_or(Before::Absent, Before::Listed),
            Err(_) => Before::Unknown,
        };
        let overwrote_digest = match &before {
            Before::Listed(digest) => Some(digest.clone()),
            Before::Unknown | Before::Absent => None,
        };
        self.update(
            id,
            JobUpdate {
                overwrote_digest,
                ..Self::progress(JobState::Running, Some(JobStage::Pulling))
            },
        )
        .await;
        let pull = PullRequest {
            external_url: request.external_url.clone(),
            external_name: request.external_name.clone(),
            external_tag: request.external_tag.clone(),
            internal_name: request.internal_name.clone(),
            internal_tag: request.internal_tag.clone(),
        };
        let result = device.pull(&pull).await;
        self.update(
            id,
            Self::progress(JobState::Running, Some(JobStage::Verifying)),
        )
        .await;
        let verdict = verify(&device, &request, result, &before).await;
        let (state, result_digest, error, outcome) = match verdict {
            Verdict::Succeeded(digest) => (
                JobState::Succeeded,
                digest.clone(),
                None,
                format!("succeeded {}", digest.unwrap_or_default()),
            ),
            Verdict::Failed(e) => (
                JobState::Failed,
                None,
                Some(e.clone()),
                format!("failed: {}", e.message),
            ),
            Verdict::Unknown(e) => (
                JobState::Unknown,
                None,
                Some(e.clone()),
                format!("unknown: {}", e.message),
            ),
        };
        // Gone from the in-flight map before the job reads as finished: a repeat import from
        // then on starts a new job instead of getting this one back.
        registration.release().await;
        self.finish(id, state, result_digest, error).await;
        audit::record_outcome(
            &self.db,
            self.clock.as_ref(),
            context,
            AuditEvent {
                actor,
                action: AuditAction::ImportFinished,
                device: Some(device.id()),
                target: Some(describe(&request)),
                outcome: format!("job {id} {outcome}"),
            },
        )
        .await;
    }
}

/// `source → target` for logs and the audit trail.
pub fn describe(request: &ImportRequest) -> String {
    format!(
        "{}/{}:{} -> {}:{}",
        request.external_url,
        request.external_name,
        request.external_tag,
        request.internal_name,
        request.internal_tag
    )
}

#[cfg(test)]
mod tests;
