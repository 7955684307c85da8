//! Import jobs: running and finished, with live status while any is running.

use std::time::Duration;

use leptos::prelude::*;
use shared::api::{Job, JobState};

use crate::components::feedback::{ErrorMessage, Loading};
use crate::components::time::DateTime;
use crate::format::{format_duration, short_digest};
use crate::labels::{
    any_active, job_elapsed_ms, job_outcome_note, job_state_key, job_state_label, job_summary,
};
use crate::routes::tag_path;
use crate::state::{AppState, Auth};
use crate::{api, browser};

/// How often running jobs are re-read.
const POLL: Duration = Duration::from_secs(2);

/// `/jobs`: the server's job list for the selected device (or all devices).
#[component]
pub fn JobsPage() -> impl IntoView {
    browser::set_title("Jobs");
    let state = expect_context::<AppState>();
    let all_devices = RwSignal::new(false);
    let jobs = LocalResource::new(move || {
        let device = if all_devices.get() {
            None
        } else {
            state.device_id.get()
        };
        api::list_jobs(device)
    });
    Effect::new(move |_| {
        let active = jobs.with(|r| matches!(r, Some(Ok(r)) if any_active(&r.jobs)));
        if active && let Ok(handle) = set_timeout_with_handle(move || jobs.refetch(), POLL) {
            on_cleanup(move || handle.clear());
        }
    });
    let refreshing = RwSignal::new(false);
    let retry = Callback::new(move |()| jobs.refetch());
    view! {
        <div class="page-head">
            <h1>"Import jobs"</h1>
            <label class="checkbox">
                <input
                    type="checkbox"
                    prop:checked=move || all_devices.get()
                    on:change=move |ev| all_devices.set(event_target_checked(&ev))
                />
                "Show every device"
            </label>
            <button
                type="button"
                class="button"
                disabled=move || refreshing.get()
                on:click=move |_| jobs.refetch()
            >
                "Refresh"
            </button>
        </div>
        <Transition fallback=|| view! { <Loading label="Loading jobs…"/> } set_pending=refreshing.write_only()>
            {move || {
                jobs.get()
                    .map(|result| match result {
                        Ok(r) if r.jobs.is_empty() => view! {
                            <div class="empty-state" data-testid="jobs-empty">
                                <p class="empty-title">"No import jobs yet"</p>
                            </div>
                        }
                        .into_any(),
                        Ok(r) => view! { <JobsTable jobs=r.jobs show_device=all_devices.get_untracked()/> }.into_any(),
                        Err(e) => view! { <ErrorMessage error=e on_retry=retry/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn JobsTable(jobs: Vec<Job>, show_device: bool) -> impl IntoView {
    let now = browser::now_ms();
    view! {
        <div class="table-scroll">
            <table class="data-table" data-testid="jobs-table">
                <caption class="visually-hidden">"Import jobs, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Started"</th>
                        <th scope="col">"Import"</th>
                        <th scope="col">"State"</th>
                        <th scope="col" class="num">"Elapsed"</th>
                        <th scope="col">"By"</th>
                        {show_device.then(|| view! { <th scope="col">"Device"</th> })}
                        <th scope="col">"Outcome"</th>
                    </tr>
                </thead>
                <tbody>
                    {jobs
                        .into_iter()
                        .map(|job| {
                            let (source, target) = job_summary(&job);
                            let (state_key, id) = (job_state_key(job.state), job.id);
                            view! {
                                <tr data-testid="job-row" data-state=state_key data-id=id>
                                    <td><DateTime ms=Some(job.created_at_ms)/></td>
                                    <td class="job-ref">
                                        <Reference text=source/>
                                        " → "
                                        <Reference text=target/>
                                    </td>
                                    <td><StateBadge job=job.clone()/></td>
                                    <td class="num">{format_duration(job_elapsed_ms(&job, now))}</td>
                                    <td>{job.started_by.clone()}</td>
                                    {show_device.then(|| view! { <td>{job.device.clone()}</td> })}
                                    <td class="job-outcome"><Outcome job=job/></td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// An image reference that wraps after a `/` (a `<wbr>` there) and breaks inside a word only
/// when one path part is wider than its cell.
#[component]
fn Reference(text: String) -> impl IntoView {
    let parts: Vec<String> = text.split_inclusive('/').map(str::to_owned).collect();
    view! {
        <span class="break">
            {parts.into_iter().map(|part| view! { {part}<wbr/> }).collect_view()}
        </span>
    }
}

/// The state as a badge in words.
#[component]
fn StateBadge(job: Job) -> impl IntoView {
    let key = job_state_key(job.state);
    view! {
        <span class=format!("state-badge state-{key}")>
            {(!job.state.is_finished()).then(|| view! { <span class="spinner small" aria-hidden="true"></span> })}
            {job_state_label(job.state, job.stage)}
        </span>
    }
}

/// Result digest, overwrite, or why it failed.
#[component]
fn Outcome(job: Job) -> impl IntoView {
    let reason = job.error.as_ref().map(|e| {
        let hint = e.hint.clone();
        view! {
            <p class="job-error">{e.message.clone()}</p>
            {hint.map(|h| view! { <p class="muted">{h}</p> })}
        }
    });
    let note = if job.state.is_finished() {
        job.error
            .is_none()
            .then(|| job_outcome_note(job.state))
            .flatten()
    } else {
        Some("Not finished yet.")
    };
    let result = job
        .result_digest
        .as_ref()
        .map(|d| format!("Digest {}", short_digest(d)));
    let overwrote = job
        .overwrote_digest
        .as_ref()
        .map(|d| format!("Replaced the earlier {}", short_digest(d)));
    view! {
        {result.map(|r| view! { <p>{r}</p> })}
        {overwrote.map(|o| view! { <p class="muted">{o}</p> })}
        {reason}
        {note.map(|n| view! { <p class="muted">{n}</p> })}
    }
}

/// One job, re-read every 2 s until it ends; a success refreshes the image list.
#[component]
pub fn LiveJob(
    /// The job as first seen.
    job: Job,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let auth = expect_context::<Auth>();
    let current = RwSignal::new(job);
    let poll_error = RwSignal::new(None);
    let id = current.with_untracked(|j| j.id);
    let reload = Action::new_local(move |_: &()| api::get_job(id));
    Effect::new(move |_| match reload.value().get() {
        Some(Ok(job)) => {
            let finished_now =
                job.state.is_finished() && !current.with_untracked(|j| j.state.is_finished());
            if finished_now && job.state == JobState::Succeeded {
                state.images.refetch();
            }
            current.set(job);
            poll_error.set(None);
        }
        Some(Err(e)) => {
            auth.handle(&e);
            poll_error.set(Some(e));
        }
        None => {}
    });
    Effect::new(move |_| {
        let running = current.with(|j| !j.state.is_finished());
        let _ = reload.version().get();
        if running
            && let Ok(handle) = set_timeout_with_handle(
                move || {
                    reload.dispatch_local(());
                },
                POLL,
            )
        {
            on_cleanup(move || handle.clear());
        }
    });
    let target_link = move || {
        let job = current.get();
        (job.state == JobState::Succeeded).then(|| {
            let path = tag_path(&job.request.internal_name, &job.request.internal_tag);
            view! { <a href=state.href(&path)>"View the imported image"</a> }
        })
    };
    view! {
        <div class="job-card">
            {move || {
                let job = current.get();
                let (source, target) = job_summary(&job);
                let elapsed = format_duration(job_elapsed_ms(&job, browser::now_ms()));
                let (state_key, id) = (job_state_key(job.state), job.id);
                let by = job.started_by.clone();
                view! {
                    <dl class="facts" data-testid="job-row" data-state=state_key data-id=id>
                        <dt>"Import"</dt>
                        <dd><Reference text=source/>" → "<Reference text=target/></dd>
                        <dt>"State"</dt>
                        <dd><StateBadge job=job.clone()/></dd>
                        <dt>"Elapsed"</dt>
                        <dd>{elapsed}</dd>
                        <dt>"Started by"</dt>
                        <dd>{by}</dd>
                        <dt>"Outcome"</dt>
                        <dd><Outcome job=job/></dd>
                    </dl>
                }
            }}
            {target_link}
            {move || poll_error.get().map(|e| view! { <ErrorMessage error=e/> })}
            <p>
                <a href=move || state.href("/jobs")>"All import jobs"</a>
            </p>
        </div>
    }
}
