//! Page controls for long lists: first, previous, "page X of Y", next, last.

use leptos::prelude::*;

use crate::table::{clamp_page, page_count};

/// Page controls; `page` is 0-based and clamped to the list.
#[component]
pub fn Pager(
    /// Current page (0-based).
    page: RwSignal<usize>,
    /// Number of items in the list.
    #[prop(into)]
    total: Signal<usize>,
    /// Items per page.
    page_size: usize,
    /// What the items are called ("images", "repositories").
    noun: &'static str,
) -> impl IntoView {
    let pages = move || page_count(total.get(), page_size);
    let current = move || clamp_page(page.get(), total.get(), page_size);
    let at_start = move || current() == 0;
    let at_end = move || current() + 1 >= pages();
    let first_item = move || (current() * page_size + 1).min(total.get());
    let last_item = move || ((current() + 1) * page_size).min(total.get());
    // A new page starts at its top, not where the previous one was scrolled to.
    let go = move |to: usize| {
        page.set(to);
        crate::browser::scroll_into_view(".table-scroll");
    };
    view! {
        <nav class="pager" aria-label=format!("Pages of {noun}")>
            <button
                type="button"
                class="button small"
                disabled=at_start
                on:click=move |_| go(0)
                aria-label="First page"
            >
                "«"
            </button>
            <button
                type="button"
                class="button small"
                disabled=at_start
                on:click=move |_| go(current().saturating_sub(1))
                data-testid="page-previous"
            >
                "‹ Previous"
            </button>
            <span class="pager-status" aria-live="polite">
                {move || {
                    format!(
                        "Page {} of {} ({}–{} of {} {noun})",
                        current() + 1,
                        pages(),
                        first_item(),
                        last_item(),
                        total.get(),
                    )
                }}
            </span>
            <button
                type="button"
                class="button small"
                disabled=at_end
                on:click=move |_| go(current() + 1)
                data-testid="page-next"
            >
                "Next ›"
            </button>
            <button
                type="button"
                class="button small"
                disabled=at_end
                on:click=move |_| go(pages() - 1)
                aria-label="Last page"
            >
                "»"
            </button>
        </nav>
    }
}
