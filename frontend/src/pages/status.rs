//! The device's registry status in plain words, and the panel's connection to it.

use leptos::prelude::*;
use shared::api::{DeviceSummary, RegistryStatusResponse, TlsMode};

use crate::components::feedback::{ErrorMessage, Loading};
use crate::components::time::DateTime;
use crate::error::ApiError;
use crate::labels::{auth_mode_label, registry_facts, tls_mode_label};
use crate::state::{AppState, Auth};
use crate::{api, browser};

/// `/status`.
#[component]
pub fn StatusPage() -> impl IntoView {
    browser::set_title("Registry status");
    let state = expect_context::<AppState>();
    let auth = expect_context::<Auth>();
    let status = LocalResource::new(move || {
        let device = state.device_id.get();
        async move {
            match device {
                Some(d) => api::registry_status(d).await.map(Some),
                None => Ok(None),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = status.get() {
            auth.handle(&e);
        }
    });
    let checking = RwSignal::new(false);
    let retry = Callback::new(move |()| status.refetch());
    view! {
        <div class="page-head">
            <h1>"Registry status"</h1>
            <button
                type="button"
                class="button"
                data-testid="refresh"
                disabled=move || checking.get()
                on:click=move |_| status.refetch()
            >
                {move || if checking.get() { "Checking…" } else { "Check again" }}
            </button>
        </div>
        <Transition fallback=|| view! { <Loading label="Asking the device…"/> } set_pending=checking.write_only()>
            {move || {
                status
                    .get()
                    .map(|result| match result {
                        Ok(Some(s)) => {
                            let device = untrack(|| state.device());
                            view! { <StatusPanel status=s device=device/> }.into_any()
                        }
                        Ok(None) => view! { <p>"No devices are configured."</p> }.into_any(),
                        Err(e) => view! { <ErrorMessage error=e on_retry=retry/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn StatusPanel(status: RegistryStatusResponse, device: Option<DeviceSummary>) -> impl IntoView {
    let (name, url, auth_mode, pinned) = match &device {
        Some(d) => (
            d.name.clone(),
            d.url.clone(),
            Some(d.auth_mode),
            d.pinned_sha256.clone(),
        ),
        None => (status.device.clone(), String::new(), None, None),
    };
    let reachable = if status.reachable { "yes" } else { "no" };
    let error = status
        .error
        .clone()
        .map(|detail| ApiError::server(502, detail, None));
    let insecure = status.tls_mode == TlsMode::Insecure;
    let certificate = status.certificate.clone();
    let facts = status.registry.as_ref().map(registry_facts);
    view! {
        <section class="status-panel" data-testid="status-panel">
            {insecure.then(|| view! {
                <div class="warning-box" role="status">
                    <p><strong>"The panel does not verify this device's TLS certificate."</strong>
                    " Anyone on the network path could impersonate the device. Ask an admin to pin its certificate."</p>
                </div>
            })}
            {error.map(|e| view! { <ErrorMessage error=e/> })}
            <h2>"Connection"</h2>
            <dl class="facts">
                <dt>"Device"</dt>
                <dd>{name}" "<span class="muted break">{url}</span></dd>
                <dt>"Reachable"</dt>
                <dd data-testid="status-reachable">{reachable}</dd>
                <dt>"Round-trip time"</dt>
                <dd>{status.round_trip_ms.map_or_else(|| "unknown".to_owned(), |ms| format!("{ms} ms"))}</dd>
                <dt>"Checked"</dt>
                <dd><DateTime ms=Some(status.checked_at_ms) with_age=true/></dd>
                <dt>"TLS mode"</dt>
                <dd>{tls_mode_label(status.tls_mode)}</dd>
                <dt>"Pinned fingerprint"</dt>
                <dd><code class="break">{pinned.unwrap_or_else(|| "none".to_owned())}</code></dd>
                <dt>"Certificate seen"</dt>
                <dd>
                    {match certificate.clone() {
                        Some(c) => view! {
                            <code class="break">{c.sha256}</code>
                            {c.subject.map(|s| view! { <span class="muted">" " {s}</span> })}
                        }.into_any(),
                        None => view! { <span class="unknown">"none seen"</span> }.into_any(),
                    }}
                </dd>
                <dt>"Certificate expires"</dt>
                <dd>
                    <DateTime ms=certificate.and_then(|c| c.not_after_ms) with_age=true/>
                </dd>
                <dt>"Token sent as"</dt>
                <dd>{auth_mode.map_or("unknown", auth_mode_label)}</dd>
            </dl>
            <h2>"Registry"</h2>
            {match facts {
                Some(facts) => view! {
                    <dl class="facts" data-testid="registry-facts">
                        {facts.into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
                    </dl>
                    <p class="note">"The vendor does not document these fields, so they are shown as the device reports them."</p>
                }.into_any(),
                None => view! { <p>"The device did not report its registry settings."</p> }.into_any(),
            }}
        </section>
    }
}
