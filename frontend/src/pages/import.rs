//! Import an image from an external registry into the device (operators and admins).

use std::collections::HashSet;

use leptos::prelude::*;
use shared::api::{ImportRequest, ImportResponse};

use crate::components::feedback::{ErrorMessage, Notice};
use crate::format::short_digest;
use crate::import_form::{ImportField, ImportForm, ReferenceInput, existing_target, submission};
use crate::pages::jobs::LiveJob;
use crate::state::AppState;
use crate::{api, browser};

/// `/import`: paste a reference or fill the fields; live validation; overwrite warning; the job
/// shows as soon as it is accepted.
#[component]
pub fn ImportPage() -> impl IntoView {
    browser::set_title("Import");
    let state = expect_context::<AppState>();
    view! {
        <h1>"Import an image"</h1>
        {move || {
            if state.can_import() {
                view! { <ImportFormView/> }.into_any()
            } else {
                view! {
                    <div class="error-box" role="alert" data-testid="error-message">
                        <p class="error-headline">
                            "Importing is not allowed for your role on this device. Ask an admin if you need it."
                        </p>
                    </div>
                }
                    .into_any()
            }
        }}
    }
}

#[component]
fn ImportFormView() -> impl IntoView {
    let state = expect_context::<AppState>();
    let form = RwSignal::new(ImportForm::new());
    let reference = RwSignal::new(ReferenceInput::default());
    let blocked = Memo::new(move |_| reference.with(ReferenceInput::blocks_import));
    let internal_edited = RwSignal::new(false);
    let shown = RwSignal::new(HashSet::<ImportField>::new());
    let check = Memo::new(move |_| form.with(ImportForm::check));
    let submit = Action::new_local(|(device, request): &(String, ImportRequest)| {
        api::start_import(device.clone(), request.clone())
    });
    let update = move |f: &mut ImportForm| {
        if !internal_edited.get_untracked() {
            f.fill_default_internal();
        }
    };
    let on_source_edit = move |field: ImportField| {
        reference.update(|r| r.edited_by_hand(field));
        form.update(update);
    };
    let on_reference = move |value: String| {
        let mut r = reference.get_untracked();
        let mut f = form.get_untracked();
        let reset = r.set_text(&mut f, &value);
        update(&mut f);
        let filled = !value.trim().is_empty() && !r.blocks_import();
        reference.set(r);
        form.set(f);
        shown.update(|s| {
            if filled {
                s.extend([ImportField::Registry, ImportField::Name, ImportField::Tag]);
            }
            // The reference's own message says what is wrong; no "must not be empty" beside it.
            for field in &reset {
                s.remove(field);
            }
        });
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if blocked.get_untracked() {
            return;
        }
        shown.set(ImportField::ALL.into_iter().collect());
        let request = reference.with_untracked(|r| check.with_untracked(|c| submission(r, c)));
        let Some(request) = request else {
            return;
        };
        let Some(device) = state.device_id.get_untracked() else {
            return;
        };
        if !submit.pending().get_untracked() {
            submit.dispatch_local((device, request));
        }
    };
    let server_error = move || match submit.value().get() {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let field_error = move |field: ImportField| {
        let server = server_error()
            .filter(|e| e.field() == Some(field.wire_name()))
            .map(|e| e.headline());
        let local = shown
            .with(|s| s.contains(&field))
            .then(|| check.with(|c| c.error(field).map(str::to_owned)))
            .flatten();
        local.or(server)
    };
    let accepted = move || match submit.value().get() {
        Some(Ok(r)) => Some(r),
        _ => None,
    };
    view! {
        <form class="import-form" data-testid="import-form" on:submit=on_submit novalidate=true>
            <div class="field">
                <label for="import-reference">"Paste a reference (optional)"</label>
                <input
                    id="import-reference"
                    data-testid="import-reference"
                    placeholder="e.g. docker.io/library/python:3.12 or ghcr.io/acme/tool:v1"
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby="import-reference-note"
                    aria-invalid=move || if blocked.get() { "true" } else { "false" }
                    prop:value=move || reference.with(|r| r.text().to_owned())
                    on:input=move |ev| on_reference(event_target_value(&ev))
                />
                <p id="import-reference-note" class="field-note" aria-live="polite">
                    {move || reference.with(|r| match r.error() {
                        Some(message) => view! { <span class="field-error" data-testid="import-reference-error">{message.to_owned()}</span> }.into_any(),
                        None if !r.notices().is_empty() => view! { <span>{r.notices().join(" ")}</span> }.into_any(),
                        None => view! { <span>"The fields below are filled in from it."</span> }.into_any(),
                    })}
                </p>
            </div>
            <fieldset>
                <legend>"Source"</legend>
                <TextField form=form field=ImportField::Registry testid="import-registry" error=Signal::derive(move || field_error(ImportField::Registry)) shown=shown on_edit=Callback::new(move |()| on_source_edit(ImportField::Registry))/>
                <TextField form=form field=ImportField::Name testid="import-name" error=Signal::derive(move || field_error(ImportField::Name)) shown=shown on_edit=Callback::new(move |()| on_source_edit(ImportField::Name))/>
                <TextField form=form field=ImportField::Tag testid="import-tag" error=Signal::derive(move || field_error(ImportField::Tag)) shown=shown on_edit=Callback::new(move |()| on_source_edit(ImportField::Tag))/>
            </fieldset>
            <fieldset>
                <legend>"Store in the device as"</legend>
                <TextField form=form field=ImportField::InternalName testid="import-internal-name" error=Signal::derive(move || field_error(ImportField::InternalName)) shown=shown on_edit=Callback::new(move |()| internal_edited.set(true))/>
                <TextField form=form field=ImportField::InternalTag testid="import-internal-tag" error=Signal::derive(move || field_error(ImportField::InternalTag)) shown=shown on_edit=Callback::new(move |()| internal_edited.set(true))/>
                <Show when=move || internal_edited.get()>
                    <button
                        type="button"
                        class="button small"
                        on:click=move |_| {
                            internal_edited.set(false);
                            form.update(update);
                        }
                    >
                        "Use the source's name and tag"
                    </button>
                </Show>
            </fieldset>
            {move || {
                let notices = check.with(|c| c.notices.clone());
                (!notices.is_empty()).then(|| view! { <Notice text=notices.join(" ")/> })
            }}
            <OverwriteWarning form=form/>
            {move || {
                server_error()
                    .filter(|e| e.field().is_none())
                    .map(|e| view! { <ErrorMessage error=e/> })
            }}
            <button
                type="submit"
                class="button primary"
                data-testid="import-submit"
                disabled=move || submit.pending().get() || blocked.get()
                aria-describedby=move || blocked.get().then_some("import-blocked-note")
            >
                {move || if submit.pending().get() { "Starting import…" } else { "Import" }}
            </button>
            <Show when=move || blocked.get()>
                <p id="import-blocked-note" class="field-note" data-testid="import-blocked">
                    "Correct or clear the pasted reference to import."
                </p>
            </Show>
        </form>
        {move || accepted().map(|r| view! { <Accepted response=r/> })}
    }
}

/// One labelled input with its field-specific message.
#[component]
fn TextField(
    form: RwSignal<ImportForm>,
    field: ImportField,
    testid: &'static str,
    error: Signal<Option<String>>,
    shown: RwSignal<HashSet<ImportField>>,
    on_edit: Callback<()>,
) -> impl IntoView {
    let id = testid;
    let error_id = format!("{testid}-error");
    let value = move || {
        form.with(|f| match field {
            ImportField::Registry => f.registry.clone(),
            ImportField::Name => f.name.clone(),
            ImportField::Tag => f.tag.clone(),
            ImportField::InternalName => f.internal_name.clone(),
            ImportField::InternalTag => f.internal_tag.clone(),
        })
    };
    let set = move |v: String| {
        form.update(|f| match field {
            ImportField::Registry => f.registry = v,
            ImportField::Name => f.name = v,
            ImportField::Tag => f.tag = v,
            ImportField::InternalName => f.internal_name = v,
            ImportField::InternalTag => f.internal_tag = v,
        });
        shown.update(|s| {
            s.insert(field);
        });
        on_edit.run(());
    };
    let error_id2 = error_id.clone();
    view! {
        <div class="field" class:invalid=move || error.with(Option::is_some)>
            <label for=id>{field.label()}</label>
            <input
                id=id
                data-testid=testid
                autocomplete="off"
                spellcheck="false"
                autocapitalize="none"
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=error_id2
                prop:value=value
                on:input=move |ev| set(event_target_value(&ev))
            />
            <p id=error_id class="field-error" aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// Warns when the target name:tag already exists in the device, with its current digest.
#[component]
fn OverwriteWarning(form: RwSignal<ImportForm>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let existing = move || {
        let (name, tag) = form.with(|f| (f.internal_name.clone(), f.internal_tag.clone()));
        if name.trim().is_empty() || tag.trim().is_empty() {
            return None;
        }
        let data = state.images.get()?.ok()??;
        existing_target(&data.images, &name, &tag)
            .map(|digest| (format!("{}:{}", name.trim(), tag.trim()), digest))
    };
    move || {
        existing().map(|(reference, digest)| {
            let digest_text = digest.map_or_else(
                || "an unknown digest".to_owned(),
                |d| format!("digest {}", short_digest(&d)),
            );
            view! {
                <div class="warning-box" role="status" data-testid="overwrite-warning">
                    <p>
                        <strong>{format!("{reference} already exists in the device")}</strong>
                        {format!(" (current {digest_text}). Importing overwrites that tag.")}
                    </p>
                </div>
            }
        })
    }
}

/// The accepted import: notices and the job, live.
#[component]
fn Accepted(response: ImportResponse) -> impl IntoView {
    let note = response
        .deduplicated
        .then_some("The same import was already running; this is that job.");
    view! {
        <section class="accepted" aria-live="polite">
            <h2>"Import started"</h2>
            {note.map(|n| view! { <p>{n}</p> })}
            {(!response.notices.is_empty()).then(|| view! { <Notice text=response.notices.join(" ")/> })}
            <LiveJob job=response.job/>
        </section>
    }
}
