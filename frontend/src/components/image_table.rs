//! The image list: summary, filter, flat or grouped view, sortable table with one page of rows,
//! pull commands and (for admins) single and bulk deletion.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;
use shared::api::{ImageRow, ImagesResponse};

use crate::components::delete_dialog::{DeleteDialog, DeleteTarget};
use crate::components::flat_table::FlatTable;
use crate::components::list_parts::{EmptyState, ListControls, SummaryLine};
use crate::components::pull_dialog::PullDialog;
use crate::components::repo_table::RepoTable;
use crate::deletion::plan_deletions;
use crate::state::{AppState, ListView};
use crate::table::{self, Filter};

/// The image list of one device, or of one repository when `repository` is set.
#[component]
pub fn ImageList(
    /// The device's list.
    data: Arc<ImagesResponse>,
    /// Only this repository's tags (repository view); `None` for the whole list.
    repository: Option<String>,
    /// Filter, sort, grouping and page.
    view_state: ListView,
    /// Re-reads the list from the device.
    #[prop(into)]
    on_refresh: Callback<()>,
    /// Whether a refresh is running.
    #[prop(into)]
    refreshing: Signal<bool>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let in_repository = repository.is_some();
    // Rows are indexed in place (never cloned): 10,000 rows stay cheap to sort and filter.
    let rows = Rows(data.clone());
    let haystacks: Arc<Vec<String>> = Arc::new(rows.all().iter().map(table::haystack).collect());
    let in_scope: Arc<Vec<usize>> = Arc::new(match &repository {
        Some(name) => (0..rows.len()).filter(|&i| rows[i].name == *name).collect(),
        None => (0..rows.len()).collect(),
    });
    let summary = table::summarize(rows.all(), &in_scope);
    let sorted = {
        let rows = rows.clone();
        let repository = repository.clone();
        Memo::new(move |_| {
            let order = table::sort_indices(rows.all(), view_state.sort.get());
            Arc::new(match &repository {
                Some(name) => order
                    .into_iter()
                    .filter(|&i| rows[i].name == *name)
                    .collect(),
                None => order,
            })
        })
    };
    let visible = {
        let rows = rows.clone();
        Memo::new(move |_| {
            let filter = Filter::parse(&view_state.filter.get());
            Arc::new(filter.apply(rows.all(), &haystacks, &sorted.get()))
        })
    };
    let grouped = move || view_state.grouped.get() && !in_repository;
    let selection = RwSignal::new(HashSet::<usize>::new());
    let pull_row = RwSignal::new(None::<usize>);
    let delete_target = RwSignal::new(None::<DeleteTarget>);
    let can_delete = Signal::derive(move || state.can_delete());

    let open_delete = {
        let rows = rows.clone();
        move |indices: Vec<usize>, single: bool| {
            let chosen: Vec<&ImageRow> = indices.iter().map(|&i| &rows[i]).collect();
            let (plans, skipped) = plan_deletions(chosen.iter().copied(), rows.all());
            let single_reference = single
                .then(|| chosen.first().map(|r| r.reference()))
                .flatten();
            delete_target.set(Some(DeleteTarget {
                plans,
                skipped,
                single_reference,
            }));
        }
    };
    let open_single = {
        let open_delete = open_delete.clone();
        Callback::new(move |i: usize| open_delete(vec![i], true))
    };
    let open_bulk = move |_| {
        let mut chosen: Vec<usize> = selection.get_untracked().into_iter().collect();
        chosen.sort_unstable();
        open_delete(chosen, false);
    };
    let close_delete = Callback::new(move |deleted: bool| {
        delete_target.set(None);
        if deleted {
            selection.set(HashSet::new());
            on_refresh.run(());
        }
    });
    let rows_for_pull = rows.clone();
    let empty = in_scope.is_empty();
    let total = in_scope.len();
    view! {
        <SummaryLine
            summary=summary
            fetched_at_ms=data.fetched_at_ms
            skipped=data.skipped_entries
            on_refresh=on_refresh
            refreshing=refreshing
        />
        {if empty {
            view! { <EmptyState repository=repository.clone()/> }.into_any()
        } else {
            let rows = rows.clone();
            view! {
                <ListControls view_state=view_state in_repository=in_repository visible=visible total=total/>
                <Show when=move || can_delete.get() && !grouped()>
                    <div class="bulk-bar">
                        <span aria-live="polite">
                            {move || format!("{} selected", selection.with(HashSet::len))}
                        </span>
                        <button
                            type="button"
                            class="button danger"
                            data-testid="bulk-delete"
                            disabled=move || selection.with(HashSet::is_empty)
                            on:click=open_bulk.clone()
                        >
                            "Delete selected…"
                        </button>
                        <button
                            type="button"
                            class="button"
                            disabled=move || selection.with(HashSet::is_empty)
                            on:click=move |_| selection.set(HashSet::new())
                        >
                            "Clear selection"
                        </button>
                    </div>
                </Show>
                {move || {
                    if grouped() {
                        view! { <RepoTable rows=rows.clone() visible=visible page=view_state.page/> }
                            .into_any()
                    } else {
                        view! {
                            <FlatTable
                                rows=rows.clone()
                                visible=visible
                                view_state=view_state
                                selection=selection
                                can_delete=can_delete
                                on_pull=Callback::new(move |i| pull_row.set(Some(i)))
                                on_delete=open_single
                            />
                        }
                            .into_any()
                    }
                }}
            }
                .into_any()
        }}
        {move || {
            pull_row
                .get()
                .map(|i| {
                    view! {
                        <PullDialog
                            row=rows_for_pull[i].clone()
                            on_close=Callback::new(move |()| pull_row.set(None))
                        />
                    }
                })
        }}
        {move || {
            delete_target
                .get()
                .map(|target| view! { <DeleteDialog target=target on_close=close_delete/> })
        }}
    }
}

/// The device's rows, shared (not copied) by every part of the list.
#[derive(Clone)]
pub struct Rows(Arc<ImagesResponse>);

impl Rows {
    /// Every row of the device's list.
    pub fn all(&self) -> &[ImageRow] {
        &self.0.images
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.0.images.len()
    }

    /// Whether the device listed nothing.
    pub fn is_empty(&self) -> bool {
        self.0.images.is_empty()
    }
}

impl std::ops::Index<usize> for Rows {
    type Output = ImageRow;

    fn index(&self, index: usize) -> &ImageRow {
        &self.0.images[index]
    }
}
