//! The banner on every page when the selected device is unreachable, rejects the panel's token,
//! fails TLS or times out. Fed by the registry status check and by any page's device error.

use leptos::prelude::*;

use crate::api;
use crate::state::{AppState, Auth};

/// How often the status check repeats while a page stays open.
const STATUS_RECHECK_MS: u64 = 60_000;

/// Shows the selected device's current problem, in the server's words, naming the device.
#[component]
pub fn DeviceBanner() -> impl IntoView {
    let state = expect_context::<AppState>();
    let auth = expect_context::<Auth>();
    let status = LocalResource::new(move || {
        let device = state.device_id.get();
        async move {
            match device {
                Some(d) => Some((d.clone(), api::registry_status(d).await)),
                None => None,
            }
        }
    });
    // Feed the check's outcome into the shared problem slot.
    Effect::new(move |_| {
        let Some(Some((device, result))) = status.get() else {
            return;
        };
        match result {
            Ok(s) => match s.error {
                Some(detail) if !s.reachable => state.report_status_check(
                    &device,
                    &Err(crate::error::ApiError::server(502, detail, None)),
                ),
                _ => state.report_status_check(&device, &Ok(())),
            },
            Err(e) => auth.handle(&e),
        }
    });
    let handle = set_interval_with_handle(
        move || status.refetch(),
        std::time::Duration::from_millis(STATUS_RECHECK_MS),
    )
    .ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });
    let problem = move || {
        let current = state.device_id.get()?;
        state
            .problem
            .get()
            .filter(|p| p.device == current)
            .map(|p| p.error)
    };
    move || {
        problem().map(|error| {
            let device = state.device();
            let name = device
                .as_ref()
                .map_or_else(String::new, |d| format!("{} ({})", d.name, d.url));
            view! {
                <div class="banner" role="alert" data-testid="device-banner">
                    <p>
                        <strong>"Device problem: " {name}</strong>
                    </p>
                    <p>{error.headline()}</p>
                    {error.hint().map(|h| view! { <p class="error-hint">{h}</p> })}
                    <button type="button" class="button small" on:click=move |_| status.refetch()>
                        "Check again"
                    </button>
                </div>
            }
        })
    }
}
