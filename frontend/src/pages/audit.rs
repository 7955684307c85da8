//! The audit trail (admins): filter by actor, action, device and time; export as JSON lines or CSV.

use leptos::prelude::*;
use shared::api::AuditRecord;

use crate::components::feedback::{ErrorMessage, Loading};
use crate::components::time::DateTime;
use crate::format::parse_local_datetime;
use crate::labels::{AUDIT_ACTIONS, AuditFilter, audit_action_label};
use crate::state::{AppState, Auth};
use crate::{api, browser};

/// `/audit`.
#[component]
pub fn AuditPage() -> impl IntoView {
    browser::set_title("Audit");
    let auth = expect_context::<Auth>();
    let is_admin = move || {
        auth.session
            .with(|s| s.as_ref().is_some_and(|s| s.role.can_administer()))
    };
    view! {
        <h1>"Audit trail"</h1>
        <Show
            when=is_admin
            fallback=|| view! {
                <div class="error-box" role="alert" data-testid="error-message">
                    <p class="error-headline">"The audit trail is not available for your role. Ask an admin."</p>
                </div>
            }
        >
            <AuditView/>
        </Show>
    }
}

#[component]
fn AuditView() -> impl IntoView {
    let state = expect_context::<AppState>();
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let device = RwSignal::new(String::new());
    let since = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let limit = RwSignal::new("200".to_owned());
    let filter_error = RwSignal::new(None::<String>);
    let applied = RwSignal::new(AuditFilter {
        limit: Some(200),
        ..AuditFilter::default()
    });
    let records = LocalResource::new(move || api::list_audit(applied.get()));
    let loading = RwSignal::new(false);
    let export = Action::new_local(|(filter, format): &(AuditFilter, &'static str)| {
        api::export_audit(filter.clone(), format)
    });
    let to_ms = |value: String| -> Result<Option<i64>, ()> {
        if value.trim().is_empty() {
            return Ok(None);
        }
        parse_local_datetime(&value, browser::utc_offset_minutes(browser::now_ms()))
            .map(Some)
            .ok_or(())
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(since_ms), Ok(until_ms)) =
            (to_ms(since.get_untracked()), to_ms(until.get_untracked()))
        else {
            filter_error.set(Some(
                "Enter dates as shown by the date picker (year-month-day and time).".to_owned(),
            ));
            return;
        };
        if let (Some(a), Some(b)) = (since_ms, until_ms)
            && a > b
        {
            filter_error.set(Some("\"From\" must be before \"Until\".".to_owned()));
            return;
        }
        filter_error.set(None);
        applied.set(AuditFilter {
            actor: actor.get_untracked(),
            action: action.get_untracked(),
            device: device.get_untracked(),
            since_ms,
            until_ms,
            limit: limit.get_untracked().parse().ok(),
        });
    };
    let export_button = move |format: &'static str, label: &'static str| {
        view! {
            <button
                type="button"
                class="button"
                data-testid=format!("audit-export-{format}")
                disabled=move || export.pending().get()
                on:click=move |_| {
                    export.dispatch_local((applied.get_untracked(), format));
                }
            >
                {label}
            </button>
        }
    };
    let retry = Callback::new(move |()| records.refetch());
    // The pickers read and write the viewer's local time; say which.
    let zone = crate::format::format_utc_offset(browser::utc_offset_minutes(browser::now_ms()));
    let zone = browser::time_zone_name().map_or(zone.clone(), |name| format!("{name}, {zone}"));
    let since_label = format!("From ({zone})");
    let until_label = format!("Until ({zone})");
    view! {
        <form class="filters" on:submit=apply data-testid="audit-filters">
            <div class="field">
                <label for="audit-actor">"User"</label>
                <input id="audit-actor" autocomplete="off" prop:value=move || actor.get() on:input=move |ev| actor.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="audit-action">"Action"</label>
                <select id="audit-action" on:change=move |ev| action.set(event_target_value(&ev))>
                    <option value="">"Any"</option>
                    {AUDIT_ACTIONS.into_iter().map(|a| view! { <option value=a.as_str()>{audit_action_label(a)}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-device">"Device"</label>
                <select id="audit-device" on:change=move |ev| device.set(event_target_value(&ev))>
                    <option value="">"Any"</option>
                    {move || state.devices.get().into_iter().map(|d| view! { <option value=d.id.clone()>{d.name}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-since">{since_label}</label>
                <input id="audit-since" type="datetime-local" prop:value=move || since.get() on:input=move |ev| since.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="audit-until">{until_label}</label>
                <input id="audit-until" type="datetime-local" prop:value=move || until.get() on:input=move |ev| until.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="audit-limit">"Show at most"</label>
                <select id="audit-limit" on:change=move |ev| limit.set(event_target_value(&ev))>
                    <option value="200">"200"</option>
                    <option value="1000">"1,000"</option>
                    <option value="5000">"5,000"</option>
                </select>
            </div>
            <div class="filter-actions">
                <button type="submit" class="button primary" disabled=move || loading.get()>
                    {move || if loading.get() { "Loading…" } else { "Apply filter" }}
                </button>
                {export_button("jsonl", "Export JSON lines")}
                {export_button("csv", "Export CSV")}
            </div>
        </form>
        {move || filter_error.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
        {move || match export.value().get() {
            Some(Err(e)) if !export.pending().get() => Some(view! { <ErrorMessage error=e/> }),
            _ => None,
        }}
        <Transition fallback=|| view! { <Loading label="Loading the audit trail…"/> } set_pending=loading.write_only()>
            {move || {
                records
                    .get()
                    .map(|result| match result {
                        Ok(r) if r.records.is_empty() => view! {
                            <p class="empty-note" data-testid="audit-empty">"No audit records match the filter."</p>
                        }
                        .into_any(),
                        Ok(r) => view! { <AuditTable records=r.records/> }.into_any(),
                        Err(e) => view! { <ErrorMessage error=e on_retry=retry/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn AuditTable(records: Vec<AuditRecord>) -> impl IntoView {
    let count = records.len();
    view! {
        <p class="muted">{format!("{count} records, newest first")}</p>
        <div class="table-scroll">
            <table class="data-table" data-testid="audit-table">
                <caption class="visually-hidden">"Audit records, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"User"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Device"</th>
                        <th scope="col">"Target"</th>
                        <th scope="col">"Outcome"</th>
                        <th scope="col">"Client"</th>
                        <th scope="col">"Request id"</th>
                    </tr>
                </thead>
                <tbody>
                    {records
                        .into_iter()
                        .map(|r| view! {
                            <tr data-testid="audit-row" data-action=r.action.as_str()>
                                <td><DateTime ms=Some(r.at_ms)/></td>
                                <td>{r.actor}</td>
                                <td>{audit_action_label(r.action)}</td>
                                <td>{r.device.unwrap_or_default()}</td>
                                <td class="break">{r.target.unwrap_or_default()}</td>
                                <td>{r.outcome}</td>
                                <td>{r.client_addr}</td>
                                <td><code class="break">{r.request_id}</code></td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
