//! The flat image table: sortable headers, one page of rows, page controls.

use std::collections::HashSet;
use std::sync::Arc;

use leptos::prelude::*;

use crate::components::image_row::ImageRowView;
use crate::components::image_table::Rows;
use crate::components::pager::Pager;
use crate::state::ListView;
use crate::table::{self, PAGE_SIZE, SortColumn};

/// The flat table: sortable headers, one page of rows, page controls.
#[component]
pub fn FlatTable(
    /// The device's rows.
    rows: Rows,
    /// Filtered, sorted row indices.
    visible: Memo<Arc<Vec<usize>>>,
    /// Sort and page.
    view_state: ListView,
    /// Selected row indices.
    selection: RwSignal<HashSet<usize>>,
    /// Whether the user may delete (shows selection and delete controls).
    can_delete: Signal<bool>,
    /// Opens a row's pull commands.
    on_pull: Callback<usize>,
    /// Opens a row's delete dialog.
    on_delete: Callback<usize>,
) -> impl IntoView {
    let highlight = RwSignal::new(None::<String>);
    let page_rows = move || {
        let page = view_state.page.get();
        visible.with(|v| v[table::page_range(page, v.len(), PAGE_SIZE)].to_vec())
    };
    let page_for_select = page_rows;
    let all_on_page_selected = move || {
        let on_page = page_for_select();
        !on_page.is_empty() && selection.with(|s| on_page.iter().all(|i| s.contains(i)))
    };
    let toggle_page = move |ev: leptos::ev::Event| {
        let checked = event_target_checked(&ev);
        let on_page = page_rows();
        selection.update(|s| {
            for i in on_page {
                if checked {
                    s.insert(i);
                } else {
                    s.remove(&i);
                }
            }
        });
    };
    let total = Signal::derive(move || visible.with(|v| v.len()));
    let none_match = move || total.get() == 0;
    view! {
        <div class="table-scroll">
            <table class="data-table images-table" data-testid="images-table">
                <caption class="visually-hidden">"Images in the device registry"</caption>
                <thead>
                    <tr>
                        <Show when=move || can_delete.get()>
                            <th scope="col" class="select-cell">
                                <input
                                    type="checkbox"
                                    aria-label="Select every image on this page"
                                    prop:checked=all_on_page_selected
                                    on:change=toggle_page
                                />
                            </th>
                        </Show>
                        <SortHeader view_state=view_state column=SortColumn::Name label="Name" testid="sort-name"/>
                        <SortHeader view_state=view_state column=SortColumn::Tag label="Tag" testid="sort-tag"/>
                        <SortHeader view_state=view_state column=SortColumn::Digest label="Digest" testid="sort-digest"/>
                        <SortHeader view_state=view_state column=SortColumn::Size label="Size" testid="sort-size"/>
                        <SortHeader view_state=view_state column=SortColumn::Date label="Created" testid="sort-date"/>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=page_rows
                        key=|i| *i
                        children=move |i| {
                            view! {
                                <ImageRowView
                                    row=rows[i].clone()
                                    index=i
                                    selection=selection
                                    highlight=highlight
                                    can_delete=can_delete
                                    on_pull=on_pull
                                    on_delete=on_delete
                                />
                            }
                        }
                    />
                </tbody>
            </table>
        </div>
        <Show when=none_match>
            <p class="empty-note" data-testid="no-matches">
                "No images match the filter. Clear it to see every image."
            </p>
        </Show>
        <Pager page=view_state.page total=total page_size=PAGE_SIZE noun="images"/>
    }
}

/// A column header whose button sorts the whole list; `aria-sort` tells which way.
#[component]
pub fn SortHeader(
    /// Sort state.
    view_state: ListView,
    /// The column.
    column: SortColumn,
    /// Header text.
    label: &'static str,
    /// `data-testid` of the button.
    testid: &'static str,
) -> impl IntoView {
    let order = view_state.sort;
    let arrow = move || match order.get().aria_sort(column) {
        "ascending" => "▲",
        "descending" => "▼",
        _ => "",
    };
    view! {
        <th scope="col" aria-sort=move || order.get().aria_sort(column)>
            <button
                type="button"
                class="sort-button"
                data-testid=testid
                on:click=move |_| {
                    order.update(|o| *o = o.toggled(column));
                    view_state.page.set(0);
                }
            >
                {label}
                <span class="sort-arrow" aria-hidden="true">{arrow}</span>
            </button>
        </th>
    }
}
