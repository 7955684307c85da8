//! `/images/<name…>` (one repository) and `/images/<name…>:<tag>` (one tag's detail).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::browser;
use crate::components::feedback::{ErrorMessage, Loading};
use crate::components::time::DateTime;
use crate::pages::images::ImagesLoader;
use crate::routes::{ImagePath, parse_image_path};
use crate::state::{AppState, ListView};

mod tag_detail;

use tag_detail::TagDetail;

/// Chooses the repository view or the tag detail from the wildcard path.
#[component]
pub fn ImagePathPage() -> impl IntoView {
    let params = use_params_map();
    let parsed =
        Memo::new(move |_| params.with(|p| parse_image_path(&p.get("rest").unwrap_or_default())));
    move || match parsed.get() {
        Some(ImagePath::Repository(name)) => view! { <RepositoryView name=name/> }.into_any(),
        Some(ImagePath::Tag { name, tag }) => view! { <TagDetail name=name tag=tag/> }.into_any(),
        None => view! { <BackToList/> }.into_any(),
    }
}

/// One repository's tags, with the list's own controls.
#[component]
fn RepositoryView(name: String) -> impl IntoView {
    browser::set_title(&name);
    let state = expect_context::<AppState>();
    // Its own sort and filter, so the main list keeps its settings.
    let view_state = ListView::new();
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <a href=move || state.href("/images")>"Images"</a>
            " / "
            <span aria-current="page">{name.clone()}</span>
        </nav>
        <h1 class="break">{format!("Repository {name}")}</h1>
        <ImagesLoader view_state=view_state repository=Some(name)/>
    }
}

/// A link back for an empty wildcard.
#[component]
fn BackToList() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <p>
            <a href=move || state.href("/images")>"Back to the image list"</a>
        </p>
    }
}

/// Loads the list and renders `found` for it (loading and errors handled here).
#[component]
fn WithImages<F, V>(found: F) -> impl IntoView
where
    F: Fn(std::sync::Arc<shared::api::ImagesResponse>) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let state = expect_context::<AppState>();
    let retry = Callback::new(move |()| state.images.refetch());
    view! {
        <Transition fallback=|| view! { <Loading label="Loading from the device…"/> }>
            {move || {
                state
                    .images
                    .get()
                    .map(|result| match result {
                        Ok(Some(data)) => found(data).into_any(),
                        Ok(None) => view! { <p>"No devices are configured."</p> }.into_any(),
                        Err(e) => view! { <ErrorMessage error=e on_retry=retry/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// The "as of" line under a detail.
#[component]
fn AsOf(ms: i64) -> impl IntoView {
    view! {
        <p class="muted">
            "As listed by the device " <DateTime ms=Some(ms) with_age=true/>
        </p>
    }
}
