//! One row of the image table.

use std::collections::HashSet;

use leptos::prelude::*;
use shared::api::ImageRow;

use crate::components::copy::CopyButton;
use crate::components::time::DateTime;
use crate::deletion::deletable_digest;
use crate::format::{UNKNOWN, format_exact_bytes, format_size, short_digest};
use crate::labels::row_flag_label;
use crate::routes::{repository_path, tag_path};
use crate::state::AppState;
use crate::table::digest_bucket;

/// Marker colours for digest groups (see `.digest-mark-N` in the stylesheet).
const DIGEST_COLOURS: u8 = 6;

/// One `name:tag` row: links, digest with copy, size, date, flags and row actions.
#[component]
pub fn ImageRowView(
    /// The row.
    row: ImageRow,
    /// Its index in the list (selection key).
    index: usize,
    /// Selected row indices.
    selection: RwSignal<HashSet<usize>>,
    /// The digest whose rows are highlighted (hover or focus on one of them).
    highlight: RwSignal<Option<String>>,
    /// Whether the user may delete on this device (admins).
    #[prop(into)]
    can_delete: Signal<bool>,
    /// Opens the pull commands for this row.
    #[prop(into)]
    on_pull: Callback<usize>,
    /// Opens the delete dialog for this row.
    #[prop(into)]
    on_delete: Callback<usize>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let reference = row.reference();
    // Only rows that share their digest light up their partners on hover or focus.
    let digest = (row.shared_digest_count > 0)
        .then(|| row.digest.clone())
        .flatten();
    let linked = {
        let digest = digest.clone();
        move || digest.is_some() && highlight.with(|h| *h == digest)
    };
    let enter = move || highlight.set(digest.clone());
    let enter2 = enter.clone();
    let leave = move || highlight.set(None);
    let deletable = deletable_digest(&row).is_some();
    let timestamp_ms = row.timestamp_ms;
    let select_label = format!("Select {reference}");
    let delete_label = format!("Delete {reference}");
    let repo_href = {
        let path = repository_path(&row.name);
        move || state.href(&path)
    };
    let tag_href = {
        let path = tag_path(&row.name, &row.tag);
        move || state.href(&path)
    };
    view! {
        <tr
            data-testid="image-row"
            data-ref=reference.clone()
            class:linked=linked
            on:mouseenter=move |_| enter()
            on:mouseleave=move |_| leave()
            on:focusin=move |_| enter2()
        >
            <Show when=move || can_delete.get()>
                <td class="select-cell">
                    <input
                        type="checkbox"
                        data-testid="row-select"
                        aria-label=select_label.clone()
                        prop:checked=move || selection.with(|s| s.contains(&index))
                        on:change=move |ev| {
                            let checked = event_target_checked(&ev);
                            selection.update(|s| {
                                if checked { s.insert(index); } else { s.remove(&index); }
                            });
                        }
                    />
                </td>
            </Show>
            <td class="name-cell">
                <a href=repo_href>{row.name.clone()}</a>
            </td>
            <td class="tag-cell">
                <a href=tag_href>{row.tag.clone()}</a>
                <FlagList row=row.clone()/>
            </td>
            <td class="digest-cell">
                <DigestCell row=row.clone()/>
            </td>
            <td class="size-cell num">
                <SizeText bytes=row.size_bytes/>
            </td>
            <td class="date-cell">
                <DateTime ms=timestamp_ms with_age=true/>
            </td>
            <td class="actions-cell">
                <button
                    type="button"
                    class="button small"
                    aria-label=format!("Pull commands for {reference}")
                    on:click=move |_| on_pull.run(index)
                >
                    "Pull…"
                </button>
                <Show when=move || can_delete.get()>
                    <button
                        type="button"
                        class="button small danger"
                        data-testid="row-delete"
                        aria-label=delete_label.clone()
                        disabled=!deletable
                        title=(!deletable).then_some("The device listed no usable digest, so this cannot be deleted here")
                        on:click=move |_| on_delete.run(index)
                    >
                        "Delete"
                    </button>
                </Show>
            </td>
        </tr>
    }
}

/// The digest, shortened (full on hover), with copy button and a marker linking rows that share it.
#[component]
pub fn DigestCell(
    /// The row.
    row: ImageRow,
) -> impl IntoView {
    let Some(digest) = row.digest.clone() else {
        return view! { <span class="unknown">{UNKNOWN}</span> }.into_any();
    };
    let bucket = digest_bucket(&digest, DIGEST_COLOURS);
    let count = row.shared_digest_count;
    let shared_note = (count > 0).then(|| {
        let others = crate::labels::shared_tags_text(&row.name, &row.shared_digest_tags, count);
        view! {
            <span
                class="shared-badge"
                title=format!("Same digest as {others}: deleting one deletes all")
            >
                {if count == 1 { "+1 tag".to_owned() } else { format!("+{count} tags") }}
                <span class="visually-hidden">{format!(" shares its digest with {others}")}</span>
            </span>
        }
    });
    view! {
        <span class=format!("digest digest-mark-{bucket}")>
            <code title=digest.clone()>{short_digest(&digest)}</code>
            {shared_note}
            <CopyButton
                text=digest.clone()
                label=format!("Copy digest of {}", row.reference())
            />
        </span>
    }
    .into_any()
}

/// A size in binary units, the exact byte count on hover, "unknown" when missing.
#[component]
pub fn SizeText(
    /// Bytes, if known.
    bytes: Option<u64>,
) -> impl IntoView {
    match bytes {
        Some(b) => view! { <span title=format_exact_bytes(b)>{format_size(b)}</span> }.into_any(),
        None => view! { <span class="unknown">{UNKNOWN}</span> }.into_any(),
    }
}

/// The row's flags as small badges in words.
#[component]
pub fn FlagList(
    /// The row.
    row: ImageRow,
) -> impl IntoView {
    (!row.flags.is_empty()).then(|| {
        view! {
            <ul class="flags" aria-label="Notes from the panel">
                {row
                    .flags
                    .iter()
                    .map(|f| view! { <li class="flag">{row_flag_label(*f)}</li> })
                    .collect_view()}
            </ul>
        }
    })
}
