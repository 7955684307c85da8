//! The parts around the image table: summary line with refresh, filter and view switch, and the
//! empty state.

use std::sync::Arc;

use leptos::prelude::*;

use crate::components::time::DateTime;
use crate::format::format_size;
use crate::state::{AppState, ListView};
use crate::table::Summary;

/// "N images in M repositories · ≤ size · as of …" with the refresh button.
#[component]
pub fn SummaryLine(
    /// Counts and size bound.
    summary: Summary,
    /// When the panel read the list (Unix ms).
    fetched_at_ms: i64,
    /// Entries the device sent that could not be shown.
    skipped: u32,
    /// Re-reads the list.
    #[prop(into)]
    on_refresh: Callback<()>,
    /// Whether a refresh is running.
    #[prop(into)]
    refreshing: Signal<bool>,
) -> impl IntoView {
    let images = plural(summary.images, "image", "images");
    let repositories = plural(summary.repositories, "repository", "repositories");
    let unknown = (summary.unknown_sizes > 0)
        .then(|| format!(" ({} with unknown size not counted)", summary.unknown_sizes));
    view! {
        <div class="summary" data-testid="images-summary">
            <p>
                <strong>{format!("{images} in {repositories}")}</strong>
                " · "
                <span title="Layers are shared between images, so the real disk use is lower">
                    {format!("at most {} in total", format_size(summary.size_upper_bound))}
                    " (an upper bound: layers are shared)"
                </span>
                {unknown}
                " · as of "
                <DateTime ms=Some(fetched_at_ms) with_age=true/>
            </p>
            {(skipped > 0)
                .then(|| {
                    view! {
                        <p class="note">
                            {if skipped == 1 {
                                "The device sent 1 list entry that could not be shown at all.".to_owned()
                            } else {
                                format!("The device sent {skipped} list entries that could not be shown at all.")
                            }}
                        </p>
                    }
                })}
            <button
                type="button"
                class="button"
                data-testid="refresh"
                disabled=move || refreshing.get()
                on:click=move |_| on_refresh.run(())
            >
                {move || if refreshing.get() { "Refreshing…" } else { "Refresh" }}
            </button>
        </div>
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The filter box and the flat/grouped switch.
#[component]
pub fn ListControls(
    /// Filter and grouping.
    view_state: ListView,
    /// In a repository view (no grouping switch).
    in_repository: bool,
    /// Filtered row indices (for the match count).
    visible: Memo<Arc<Vec<usize>>>,
    /// Rows before filtering.
    total: usize,
) -> impl IntoView {
    let matching = move || {
        let n = visible.with(|v| v.len());
        if view_state.filter.with(|f| f.trim().is_empty()) {
            String::new()
        } else {
            format!("{n} of {total} match")
        }
    };
    view! {
        <div class="list-controls">
            <div class="field filter-field">
                <label for="images-filter">"Filter"</label>
                <input
                    id="images-filter"
                    type="search"
                    data-testid="images-filter"
                    placeholder="name:tag, glob like python:3.* or digest prefix"
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || view_state.filter.get()
                    on:input=move |ev| {
                        view_state.filter.set(event_target_value(&ev));
                        view_state.page.set(0);
                    }
                />
                <span class="field-note" aria-live="polite">{matching}</span>
            </div>
            {(!in_repository)
                .then(|| {
                    view! {
                        <fieldset class="view-switch">
                            <legend>"View"</legend>
                            <label>
                                <input
                                    type="radio"
                                    name="image-view"
                                    data-testid="view-flat"
                                    prop:checked=move || !view_state.grouped.get()
                                    on:change=move |_| {
                                        view_state.grouped.set(false);
                                        view_state.page.set(0);
                                    }
                                />
                                "All tags"
                            </label>
                            <label>
                                <input
                                    type="radio"
                                    name="image-view"
                                    data-testid="view-grouped"
                                    prop:checked=move || view_state.grouped.get()
                                    on:change=move |_| {
                                        view_state.grouped.set(true);
                                        view_state.page.set(0);
                                    }
                                />
                                "By repository"
                            </label>
                        </fieldset>
                    }
                })}
        </div>
    }
}

/// The friendly empty state.
#[component]
pub fn EmptyState(
    /// The repository of a repository view.
    repository: Option<String>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let text = match repository {
        Some(name) => format!("The device lists no tags of {name}."),
        None => "No images in the device registry".to_owned(),
    };
    view! {
        <div class="empty-state" data-testid="empty-state">
            <p class="empty-title">{text}</p>
            <Show when=move || state.can_import()>
                <p>
                    <a href=move || state.href("/import")>"Import an image"</a>
                    " from an external registry."
                </p>
            </Show>
        </div>
    }
}
