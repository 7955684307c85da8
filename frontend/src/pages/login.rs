//! The login page.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::api::{ErrorCode, LoginRequest};

use crate::components::feedback::Notice;
use crate::error::ApiError;
use crate::state::Auth;
use crate::{api, browser, routes};

/// User name and password; on success returns to the page the user came from.
#[component]
pub fn LoginPage() -> impl IntoView {
    browser::set_title("Log in");
    let auth = expect_context::<Auth>();
    let navigate = use_navigate();
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let login = Action::new_local(|request: &LoginRequest| api::login(request.clone()));
    Effect::new(move |_| {
        if let Some(Ok(session)) = login.value().get() {
            let must_change = session.must_change_password;
            auth.session.set(Some(session));
            auth.redirect.set(None);
            let next = query.with_untracked(|q| q.get("next"));
            let target = if must_change {
                "/account".to_owned()
            } else {
                next.as_deref()
                    .and_then(routes::safe_return_path)
                    .unwrap_or("/images")
                    .to_owned()
            };
            navigate(&target, NavigateOptions::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if login.pending().get_untracked() {
            return;
        }
        login.dispatch_local(LoginRequest {
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        });
    };
    let error = move || match login.value().get() {
        Some(Err(e)) if !login.pending().get() => Some(login_error_text(&e)),
        _ => None,
    };
    let changed = move || query.with(|q| q.get("changed").is_some());
    view! {
        <main id="main" class="login-page">
            <form class="login-card" on:submit=submit>
                <h1>"lem-panel"</h1>
                <p class="muted">"Docker registry console for Litmus Edge Manager devices"</p>
                <Show when=changed>
                    <Notice text="Your password was changed. Log in with the new one."/>
                </Show>
                <div class="field">
                    <label for="login-username">"User name"</label>
                    <input
                        id="login-username"
                        data-testid="login-username"
                        name="username"
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        required=true
                        autofocus=true
                        prop:value=move || username.get()
                        on:input=move |ev| username.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="login-password">"Password"</label>
                    <input
                        id="login-password"
                        data-testid="login-password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required=true
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </div>
                {move || {
                    error()
                        .map(|text| {
                            view! {
                                <div class="error-box" role="alert" data-testid="error-message">
                                    <p class="error-headline">{text}</p>
                                </div>
                            }
                        })
                }}
                <button
                    type="submit"
                    class="button primary wide"
                    data-testid="login-submit"
                    disabled=move || login.pending().get()
                >
                    {move || if login.pending().get() { "Logging in…" } else { "Log in" }}
                </button>
            </form>
        </main>
    }
}

/// Login failures in words: a wrong name or password reads as such, not as "session ended".
fn login_error_text(error: &ApiError) -> String {
    match error.code() {
        Some(ErrorCode::Unauthenticated) => {
            "The user name or password is not right. Check both and try again.".to_owned()
        }
        Some(ErrorCode::Validation) => "Enter your user name and password.".to_owned(),
        _ => error.headline(),
    }
}
