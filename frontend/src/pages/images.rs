//! The main screen: the selected device's images.

use leptos::prelude::*;

use crate::browser;
use crate::components::feedback::{ErrorMessage, Loading};
use crate::components::image_table::ImageList;
use crate::state::{AppState, ListView};

/// `/images`.
#[component]
pub fn ImagesPage() -> impl IntoView {
    browser::set_title("Images");
    let state = expect_context::<AppState>();
    let device_name = move || state.device().map(|d| d.name).unwrap_or_default();
    view! {
        <div class="page-head">
            <h1>"Images"</h1>
            <p class="muted">{device_name}</p>
        </div>
        <ImagesLoader view_state=state.list_view repository=None/>
    }
}

/// Loads the selected device's list (shared by every image page) and shows it, or why not.
#[component]
pub fn ImagesLoader(
    /// Filter, sort, grouping and page.
    view_state: ListView,
    /// Only this repository (repository view); `None` for the whole list.
    repository: Option<String>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let refreshing = RwSignal::new(false);
    let on_refresh = Callback::new(move |()| state.images.refetch());
    view! {
        <Transition
            fallback=|| view! { <Loading label="Loading images from the device…"/> }
            set_pending=refreshing.write_only()
        >
            {move || {
                let repository = repository.clone();
                state
                    .images
                    .get()
                    .map(move |result| match result {
                        Ok(Some(data)) if state.device_id.get().as_deref() == Some(data.device.as_str()) => {
                            view! {
                                <ImageList
                                    data=data
                                    repository=repository
                                    view_state=view_state
                                    on_refresh=on_refresh
                                    refreshing=refreshing
                                />
                            }
                                .into_any()
                        }
                        Ok(Some(_)) => view! { <Loading label="Loading images from the device…"/> }.into_any(),
                        Ok(None) => view! { <NoDevices/> }.into_any(),
                        Err(e) => view! { <ErrorMessage error=e on_retry=on_refresh/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// Shown when the panel has no device configured.
#[component]
pub fn NoDevices() -> impl IntoView {
    view! {
        <div class="empty-state" data-testid="no-devices">
            <p class="empty-title">"No devices are configured"</p>
            <p>"An admin adds devices in the panel's configuration file."</p>
        </div>
    }
}
