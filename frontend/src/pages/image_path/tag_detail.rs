//! One tag's detail: digest, size, date, flags, the tags sharing its digest, pull commands, delete.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use shared::api::ImageRow;

use super::{AsOf, WithImages};
use crate::browser;
use crate::components::copy::CopyButton;
use crate::components::delete_dialog::{DeleteDialog, DeleteTarget};
use crate::components::image_row::{FlagList, SizeText};
use crate::components::pull_dialog::PullCommandsPanel;
use crate::components::time::DateTime;
use crate::deletion::plan_deletions;
use crate::format::UNKNOWN;
use crate::routes::{repository_path, tag_path};
use crate::state::AppState;

/// `/images/<name>:<tag>`. Name and tag come from the address, so they show even when the
/// device no longer lists the tag.
#[component]
pub fn TagDetail(name: String, tag: String) -> impl IntoView {
    browser::set_title(&format!("{name}:{tag}"));
    let state = expect_context::<AppState>();
    let repo_path = repository_path(&name);
    let (n, t) = (name.clone(), tag.clone());
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <a href=move || state.href("/images")>"Images"</a>
            " / "
            <a href=move || state.href(&repo_path)>{name.clone()}</a>
            " / "
            <span aria-current="page">{tag.clone()}</span>
        </nav>
        <section class="tag-detail" data-testid="tag-detail">
            <h1 class="break">
                <span data-testid="detail-name">{name.clone()}</span>
                <span class="muted">":"</span>
                <span data-testid="detail-tag">{tag.clone()}</span>
            </h1>
            <WithImages found=move |data| {
                let row = data.images.iter().find(|r| r.name == n && r.tag == t).cloned();
                match row {
                    Some(row) => view! { <Details row=row all=data.clone()/> <AsOf ms=data.fetched_at_ms/> }.into_any(),
                    None => view! {
                        <p class="empty-note" data-testid="tag-missing">
                            {format!("The device does not list {n}:{t}. It may have been deleted or never imported.")}
                        </p>
                        <AsOf ms=data.fetched_at_ms/>
                    }
                        .into_any(),
                }
            }/>
        </section>
    }
}

/// Partner tags shown on the detail page before "and N more".
const SHOWN_PARTNERS: usize = 50;

#[component]
fn Details(row: ImageRow, all: std::sync::Arc<shared::api::ImagesResponse>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let delete_target = RwSignal::new(None::<DeleteTarget>);
    let repo = repository_path(&row.name);
    let on_close = Callback::new(move |deleted: bool| {
        delete_target.set(None);
        if deleted {
            state.images.refetch();
            navigate(&state.nav_path(&repo), NavigateOptions::default());
        }
    });
    let open_delete = {
        let row = row.clone();
        let all = all.clone();
        move |_| {
            let (plans, skipped) = plan_deletions([&row], &all.images);
            delete_target.set(Some(DeleteTarget {
                plans,
                skipped,
                single_reference: Some(row.reference()),
            }));
        }
    };
    let deletable = crate::deletion::deletable_digest(&row).is_some();
    let digest = match row.digest.clone() {
        Some(d) => view! {
            <code class="break" data-testid="detail-digest">{d.clone()}</code>
            " "
            <CopyButton text=d label="Copy digest"/>
        }
        .into_any(),
        None => {
            view! { <span class="unknown" data-testid="detail-digest">{UNKNOWN}</span> }.into_any()
        }
    };
    // The whole list names every partner tag (a row itself lists only a few).
    let mut shared: Vec<String> = all
        .images
        .iter()
        .filter(|r| {
            r.name == row.name && r.tag != row.tag && r.digest.is_some() && r.digest == row.digest
        })
        .map(|r| r.tag.clone())
        .collect();
    shared.sort();
    shared.dedup();
    let more = shared.len().saturating_sub(SHOWN_PARTNERS);
    shared.truncate(SHOWN_PARTNERS);
    let name = row.name.clone();
    view! {
        <dl class="facts">
            <dt>"Digest"</dt>
            <dd>{digest}</dd>
            <dt>"Size"</dt>
            <dd><SizeText bytes=row.size_bytes/></dd>
            <dt>"Created"</dt>
            <dd><DateTime ms=row.timestamp_ms with_age=true/></dd>
            <dt>"Same digest"</dt>
            <dd>
                {if shared.is_empty() {
                    view! { <span>"No other tag of this repository points at this digest."</span> }.into_any()
                } else {
                    view! {
                        <ul class="inline-list">
                            {shared
                                .into_iter()
                                .map(|t| {
                                    let path = tag_path(&name, &t);
                                    view! { <li><a href=move || state.href(&path)>{format!("{name}:{t}")}</a></li> }
                                })
                                .collect_view()}
                        </ul>
                        {(more > 0).then(|| view! { <p class="note">{format!("… and {more} more.")}</p> })}
                        <p class="note">"Deleting this image deletes these tags too."</p>
                    }
                        .into_any()
                }}
            </dd>
            {(!row.flags.is_empty()).then(|| view! { <dt>"Notes"</dt> <dd><FlagList row=row.clone()/></dd> })}
        </dl>
        <h2>"Pull this image"</h2>
        <PullCommandsPanel row=row.clone()/>
        <Show when=move || state.can_delete()>
            <h2>"Delete"</h2>
            <button
                type="button"
                class="button danger"
                data-testid="row-delete"
                disabled=!deletable
                on:click=open_delete.clone()
            >
                "Delete this image…"
            </button>
        </Show>
        {move || delete_target.get().map(|target| view! { <DeleteDialog target=target on_close=on_close/> })}
    }
}
