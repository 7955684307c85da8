//! The delete dialog: exactly which `name:tag` rows disappear, a typed confirmation, one request
//! per (name, digest), and what the server verified as removed.

use leptos::prelude::*;
use shared::api::{DeletionOutcome, DeletionResponse, ErrorCode};

use crate::api;
use crate::components::dialog::Dialog;
use crate::deletion::{DeletionPlan, Undeletable, all_references, confirmation_phrase};
use crate::error::ApiError;
use crate::format::short_digest;
use crate::state::{AppState, Auth};

/// What the user chose to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteTarget {
    /// One deletion per (name, digest).
    pub plans: Vec<DeletionPlan>,
    /// Selected rows that cannot be deleted, with why.
    pub skipped: Vec<Undeletable>,
    /// For a single row's delete: its `name:tag`, which the user types to confirm.
    pub single_reference: Option<String>,
}

type Outcome = (DeletionPlan, Result<DeletionResponse, ApiError>);

/// The dialog. `on_close(true)` when anything may have been deleted (refresh the list).
#[component]
pub fn DeleteDialog(
    /// What to delete.
    target: DeleteTarget,
    /// Closes the dialog.
    #[prop(into)]
    on_close: Callback<bool>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let auth = expect_context::<Auth>();
    let device = state.device_id.get_untracked().unwrap_or_default();
    let plans = RwSignal::new(target.plans);
    let typed = RwSignal::new(String::new());
    let progress = RwSignal::new(0usize);
    let touched = RwSignal::new(false);
    let single = target.single_reference;
    let phrase = Memo::new(move |_| plans.with(|p| confirmation_phrase(p, single.as_deref())));
    let run = Action::new_local(move |plans: &Vec<DeletionPlan>| {
        let plans = plans.clone();
        let device = device.clone();
        async move {
            let mut outcomes: Vec<Outcome> = Vec::with_capacity(plans.len());
            // One at a time: the device is small, and each outcome is reported on its own.
            for (i, plan) in plans.into_iter().enumerate() {
                progress.set(i + 1);
                let result = api::delete_image(device.clone(), plan.request()).await;
                state.report(&device, &result);
                if let Err(e) = &result {
                    auth.handle(e);
                }
                touched.set(true);
                outcomes.push((plan, result));
            }
            outcomes
        }
    });
    let matches = move || typed.with(|t| t.trim() == phrase.get());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if matches() && !run.pending().get_untracked() {
            run.dispatch_local(plans.get_untracked());
        }
    };
    let review = Callback::new(move |updated: Vec<DeletionPlan>| {
        plans.set(updated);
        typed.set(String::new());
        run.clear();
    });
    let close = Callback::new(move |()| on_close.run(touched.get_untracked()));
    let count = plans.with_untracked(Vec::len);
    let title = if count == 1 {
        "Delete image".to_owned()
    } else {
        format!("Delete {count} images")
    };
    let skipped = target.skipped;
    view! {
        <Dialog title=title testid="delete-dialog" on_close=close>
            {move || match run.value().get() {
                Some(outcomes) if !run.pending().get() => {
                    view! { <Results outcomes=outcomes on_review=review on_close=close/> }.into_any()
                }
                _ => {
                    view! {
                        <Preview plans=plans skipped=skipped.clone()/>
                        <form class="confirm-form" on:submit=submit>
                            <div class="field">
                                <label for="delete-confirm-input">
                                    "To confirm, type "
                                    <code class="confirm-phrase">{move || phrase.get()}</code>
                                </label>
                                <input
                                    id="delete-confirm-input"
                                    data-testid="delete-confirm-input"
                                    autocomplete="off"
                                    spellcheck="false"
                                    autofocus=true
                                    prop:value=move || typed.get()
                                    on:input=move |ev| typed.set(event_target_value(&ev))
                                    disabled=move || run.pending().get()
                                />
                            </div>
                            <div class="dialog-actions">
                                <button type="button" class="button" on:click=move |_| close.run(())>
                                    "Cancel"
                                </button>
                                <button
                                    type="submit"
                                    class="button danger"
                                    data-testid="delete-confirm"
                                    disabled=move || !matches() || run.pending().get() || plans.with(Vec::is_empty)
                                >
                                    {move || {
                                        if run.pending().get() {
                                            format!("Deleting {} of {}…", progress.get(), plans.with(Vec::len))
                                        } else {
                                            "Delete".to_owned()
                                        }
                                    }}
                                </button>
                            </div>
                        </form>
                    }
                        .into_any()
                }
            }}
        </Dialog>
    }
}

/// Exactly which rows will disappear, and which selected rows will not be touched.
#[component]
fn Preview(plans: RwSignal<Vec<DeletionPlan>>, skipped: Vec<Undeletable>) -> impl IntoView {
    let shared_note = move || {
        plans.with(|p| p.iter().any(|plan| plan.tags.len() > 1)).then(|| {
            view! {
                <p class="note">
                    "Deleting removes the image by digest, so every tag of the same name pointing at it disappears too."
                </p>
            }
        })
    };
    view! {
        <p>{move || plans.with(|p| format!("These {} rows will disappear from the device:", all_references(p).len()))}</p>
        {shared_note}
        <ul class="delete-preview" data-testid="delete-preview">
            {move || {
                plans
                    .get()
                    .into_iter()
                    .flat_map(|plan| {
                        let digest = short_digest(&plan.digest);
                        plan.references()
                            .into_iter()
                            .map(move |r| {
                                let data_ref = r.clone();
                                view! {
                                    <li data-ref=data_ref>
                                        <code>{r}</code>
                                        <span class="muted">{format!(" digest {digest}")}</span>
                                    </li>
                                }
                            })
                            .collect::<Vec<_>>()
                    })
                    .collect_view()
            }}
        </ul>
        {(!skipped.is_empty())
            .then(|| {
                view! {
                    <p>"Not deleted:"</p>
                    <ul class="skipped-list">
                        {skipped
                            .into_iter()
                            .map(|s| view! { <li><code>{s.reference}</code>" — " {s.reason}</li> })
                            .collect_view()}
                    </ul>
                }
            })}
    }
}

/// What the server verified for each deletion.
#[component]
fn Results(
    outcomes: Vec<Outcome>,
    on_review: Callback<Vec<DeletionPlan>>,
    on_close: Callback<()>,
) -> impl IntoView {
    let conflicts: Vec<DeletionPlan> = outcomes
        .iter()
        .filter_map(|(plan, r)| match r {
            Err(e) if e.code() == Some(ErrorCode::Conflict) => Some(
                plan.with_current_tags(
                    e.detail()
                        .and_then(|d| d.current_tags.as_deref())
                        .unwrap_or(&[]),
                ),
            ),
            _ => None,
        })
        .filter(|p| !p.tags.is_empty())
        .collect();
    view! {
        <div data-testid="delete-result" role="status">
            <ul class="result-list">
                {outcomes.into_iter().map(|(plan, result)| view! { <ResultItem plan=plan result=result/> }).collect_view()}
            </ul>
        </div>
        <div class="dialog-actions">
            {(!conflicts.is_empty())
                .then(|| {
                    let conflicts = conflicts.clone();
                    view! {
                        <button type="button" class="button" on:click=move |_| on_review.run(conflicts.clone())>
                            "Review the current tags"
                        </button>
                    }
                })}
            <button type="button" class="button primary" on:click=move |_| on_close.run(())>
                "Close"
            </button>
        </div>
    }
}

#[component]
fn ResultItem(plan: DeletionPlan, result: Result<DeletionResponse, ApiError>) -> impl IntoView {
    let target = format!("{}@{}", plan.name, short_digest(&plan.digest));
    match result {
        Ok(r) => {
            let (class, state) = match r.outcome {
                DeletionOutcome::Removed => ("ok", "Removed"),
                DeletionOutcome::StillListed => ("warn", "Accepted, but still listed"),
                DeletionOutcome::Unverified => ("warn", "Accepted, not verified"),
            };
            let tags = |t: &[String]| {
                t.iter()
                    .map(|t| format!("{}:{t}", r.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let removed = (!r.removed_tags.is_empty())
                .then(|| format!("Gone now: {}", tags(&r.removed_tags)));
            let still = (!r.still_listed_tags.is_empty())
                .then(|| format!("Still listed: {}", tags(&r.still_listed_tags)));
            view! {
                <li class=format!("result {class}") data-outcome=class>
                    <strong>{format!("{state}: {target}")}</strong>
                    <p>{r.message}</p>
                    {removed.map(|t| view! { <p>{t}</p> })}
                    {still.map(|t| view! { <p>{t}</p> })}
                </li>
            }
            .into_any()
        }
        Err(e) => {
            let now = e
                .detail()
                .and_then(|d| d.current_tags.clone())
                .filter(|t| !t.is_empty())
                .map(|t| format!("Tags sharing this digest now: {}", t.join(", ")));
            view! {
                <li class="result error" data-outcome="error">
                    <strong>{format!("Not deleted: {target}")}</strong>
                    <p>{e.headline()}</p>
                    {e.hint().map(|h| view! { <p>{h}</p> })}
                    {now.map(|t| view! { <p>{t}</p> })}
                </li>
            }
            .into_any()
        }
    }
}
