//! The user's own account: change password (forced while a one-time password is in use) and,
//! when the panel allows them, personal API tokens.

mod tokens;

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use shared::api::{ChangePasswordRequest, validate_password};

use crate::components::feedback::{ErrorMessage, Notice};
use crate::labels::role_label;
use crate::state::{AppState, Auth};
use crate::{api, browser};

/// `/account`.
#[component]
pub fn AccountPage() -> impl IntoView {
    browser::set_title("Account");
    let auth = expect_context::<Auth>();
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let forced = move || {
        auth.session
            .with(|s| s.as_ref().is_some_and(|s| s.must_change_password))
    };
    let change = Action::new_local(|request: &ChangePasswordRequest| {
        let request = request.clone();
        async move {
            if let Err(e) = api::change_password(request).await {
                // A wrong current password may be answered 401; only a gone session logs out.
                if e.is_unauthenticated() && api::get_session().await.is_ok() {
                    return Err(wrong_current_password());
                }
                return Err(e);
            }
            // The server may end the session with the password change; read what is left.
            Ok::<_, crate::error::ApiError>(api::get_session().await.ok())
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(session)) = change.value().get() {
            current.set(String::new());
            new.set(String::new());
            repeat.set(String::new());
            touched.set(false);
            match session {
                Some(session) => {
                    let was_forced = auth
                        .session
                        .with_untracked(|s| s.as_ref().is_some_and(|s| s.must_change_password));
                    auth.session.set(Some(session));
                    if was_forced {
                        state.boot_version.update(|v| *v += 1);
                        navigate(&state.nav_path("/images"), NavigateOptions::default());
                    }
                }
                None => {
                    auth.session.set(None);
                    auth.redirect.set(None);
                    navigate("/login?changed=1", NavigateOptions::default());
                }
            }
        }
    });
    let new_error = move || {
        touched
            .get()
            .then(|| {
                validate_password(&new.get())
                    .err()
                    .map(|e| format!("New password {e}"))
            })
            .flatten()
    };
    let repeat_error = move || {
        (touched.get() && !repeat.get().is_empty() && repeat.get() != new.get())
            .then_some("The two new passwords differ.")
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        let (c, n, r) = (
            current.get_untracked(),
            new.get_untracked(),
            repeat.get_untracked(),
        );
        if c.is_empty()
            || validate_password(&n).is_err()
            || n != r
            || change.pending().get_untracked()
        {
            return;
        }
        change.dispatch_local(ChangePasswordRequest {
            current_password: c,
            new_password: n,
        });
    };
    let who = move || {
        auth.session.with(|s| {
            s.as_ref()
                .map(|s| format!("Logged in as {} ({})", s.username, role_label(s.role)))
        })
    };
    let done = move || matches!(change.value().get(), Some(Ok(Some(_)))) && !forced();
    view! {
        <h1>"Account"</h1>
        <p>{who}</p>
        <Show when=forced>
            <div class="warning-box" role="alert" data-testid="password-change-required">
                <p><strong>"Choose a new password before continuing."</strong>" You logged in with a one-time password."</p>
            </div>
        </Show>
        <form class="narrow-form" on:submit=submit data-testid="password-form">
            <h2>"Change password"</h2>
            // Lets password managers pair the new password with the right account.
            <input
                type="text"
                autocomplete="username"
                hidden=true
                readonly=true
                prop:value=move || auth.session.with(|s| s.as_ref().map(|s| s.username.clone()).unwrap_or_default())
            />
            <div class="field">
                <label for="current-password">"Current password"</label>
                <input id="current-password" type="password" autocomplete="current-password" data-testid="current-password"
                    prop:value=move || current.get() on:input=move |ev| current.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="new-password">"New password (at least 12 characters)"</label>
                <input id="new-password" type="password" autocomplete="new-password" data-testid="new-password"
                    aria-describedby="new-password-error"
                    prop:value=move || new.get() on:input=move |ev| { new.set(event_target_value(&ev)); touched.set(true); }/>
                <p id="new-password-error" class="field-error" aria-live="polite">{new_error}</p>
            </div>
            <div class="field">
                <label for="repeat-password">"New password again"</label>
                <input id="repeat-password" type="password" autocomplete="new-password" data-testid="repeat-password"
                    aria-describedby="repeat-password-error"
                    prop:value=move || repeat.get() on:input=move |ev| repeat.set(event_target_value(&ev))/>
                <p id="repeat-password-error" class="field-error" aria-live="polite">{repeat_error}</p>
            </div>
            {move || match change.value().get() {
                Some(Err(e)) if !change.pending().get() => Some(view! { <ErrorMessage error=e/> }),
                _ => None,
            }}
            <Show when=done>
                <Notice text="Your password was changed."/>
            </Show>
            <button type="submit" class="button primary" data-testid="change-password" disabled=move || change.pending().get()>
                {move || if change.pending().get() { "Changing…" } else { "Change password" }}
            </button>
        </form>
        <Show when=move || !forced()>
            <tokens::ApiTokens/>
        </Show>
    }
}

fn wrong_current_password() -> crate::error::ApiError {
    let mut detail = shared::api::ErrorDetail::new(
        shared::api::ErrorCode::Validation,
        "The current password is not right.",
    );
    detail.field = Some("currentPassword".to_owned());
    crate::error::ApiError::server(400, detail, None)
}
