//! The grouped view: one row per repository with its tag count, newest tag and size bound.

use std::sync::Arc;

use leptos::prelude::*;

use crate::components::image_table::Rows;
use crate::components::pager::Pager;
use crate::components::time::DateTime;
use crate::format::format_size;
use crate::routes::repository_path;
use crate::state::AppState;
use crate::table::{self, PAGE_SIZE};

/// Repositories of the filtered list, in the current sort's order, one page at a time.
#[component]
pub fn RepoTable(
    /// The device's rows.
    rows: Rows,
    /// Filtered, sorted row indices.
    visible: Memo<Arc<Vec<usize>>>,
    /// Current page.
    page: RwSignal<usize>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let groups =
        Memo::new(move |_| Arc::new(table::group_by_repository(rows.all(), &visible.get())));
    let total = Signal::derive(move || groups.with(|g| g.len()));
    let page_groups = move || {
        let p = page.get();
        groups.with(|g| g[table::page_range(p, g.len(), PAGE_SIZE)].to_vec())
    };
    view! {
        <div class="table-scroll">
            <table class="data-table" data-testid="repositories-table">
                <caption class="visually-hidden">"Repositories in the device registry"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Repository"</th>
                        <th scope="col" class="num">"Tags"</th>
                        <th scope="col">"Newest"</th>
                        <th scope="col" class="num">"Size (upper bound)"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=page_groups
                        key=|g| g.name.clone()
                        children=move |g| {
                            let path = repository_path(&g.name);
                            let tags = g.rows.len();
                            let size = format!(
                                "{}{}",
                                format_size(g.size_upper_bound),
                                if g.has_unknown_size { " + unknown" } else { "" },
                            );
                            view! {
                                <tr data-testid="repository-row" data-name=g.name.clone()>
                                    <th scope="row">
                                        <a href=move || state.href(&path)>{g.name.clone()}</a>
                                    </th>
                                    <td class="num">
                                        {if tags == 1 { "1 tag".to_owned() } else { format!("{tags} tags") }}
                                    </td>
                                    <td>
                                        <DateTime ms=g.newest_ms with_age=true/>
                                    </td>
                                    <td class="num">{size}</td>
                                </tr>
                            }
                        }
                    />
                </tbody>
            </table>
        </div>
        <Pager page=page total=total page_size=PAGE_SIZE noun="repositories"/>
    }
}
