//! User management (admins): create (one-time password shown once), change role, disable or
//! enable, reset password.

use leptos::prelude::*;
use shared::api::{CreateUserRequest, Role, UpdateUserRequest, UserSummary, validate_username};

use crate::components::copy::CopyButton;
use crate::components::dialog::Dialog;
use crate::components::feedback::{ErrorMessage, Loading};
use crate::components::time::DateTime;
use crate::error::ApiError;
use crate::labels::role_label;
use crate::state::Auth;
use crate::{api, browser};

/// `/users`.
#[component]
pub fn UsersPage() -> impl IntoView {
    browser::set_title("Users");
    let auth = expect_context::<Auth>();
    let is_admin = move || {
        auth.session
            .with(|s| s.as_ref().is_some_and(|s| s.role.can_administer()))
    };
    view! {
        <h1>"Users"</h1>
        <Show
            when=is_admin
            fallback=|| view! {
                <div class="error-box" role="alert" data-testid="error-message">
                    <p class="error-headline">"Managing users is not allowed for your role. Ask an admin."</p>
                </div>
            }
        >
            <UsersView/>
        </Show>
    }
}

/// A one-time password to show once, for whom.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OneTime {
    username: String,
    password: String,
}

#[component]
fn UsersView() -> impl IntoView {
    let users = LocalResource::new(api::list_users);
    let one_time = RwSignal::new(None::<OneTime>);
    let update = Action::new_local(|(name, request): &(String, UpdateUserRequest)| {
        api::update_user(name.clone(), request.clone())
    });
    let reset = Action::new_local(|name: &String| {
        let name = name.clone();
        async move { api::reset_password(name.clone()).await.map(|r| (name, r)) }
    });
    let confirm_reset = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            users.refetch();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok((username, r))) = reset.value().get() {
            one_time.set(Some(OneTime {
                username,
                password: r.one_time_password,
            }));
            users.refetch();
        }
    });
    let busy = Signal::derive(move || update.pending().get() || reset.pending().get());
    let action_error = move || {
        let failed = |r: Option<Result<(), ApiError>>| match r {
            Some(Err(e)) => Some(e),
            _ => None,
        };
        failed(update.value().get().map(|r| r.map(drop)))
            .or_else(|| failed(reset.value().get().map(|r| r.map(drop))))
    };
    let retry = Callback::new(move |()| users.refetch());
    view! {
        <CreateUser on_created=Callback::new(move |created: OneTime| {
            one_time.set(Some(created));
            users.refetch();
        })/>
        {move || one_time.get().map(|o| view! { <OneTimePassword one_time=o on_dismiss=Callback::new(move |()| one_time.set(None))/> })}
        {move || action_error().map(|e| view! { <ErrorMessage error=e/> })}
        <h2>"Everyone"</h2>
        <Transition fallback=|| view! { <Loading label="Loading users…"/> }>
            {move || {
                users
                    .get()
                    .map(|result| match result {
                        Ok(r) => view! {
                            <UsersTable
                                users=r.users
                                busy=busy
                                on_update=Callback::new(move |args| { update.dispatch_local(args); })
                                on_reset=Callback::new(move |name| confirm_reset.set(Some(name)))
                            />
                        }
                        .into_any(),
                        Err(e) => view! { <ErrorMessage error=e on_retry=retry/> }.into_any(),
                    })
            }}
        </Transition>
        {move || confirm_reset.get().map(|name| {
            let close = Callback::new(move |()| confirm_reset.set(None));
            let name2 = name.clone();
            view! {
                <Dialog title=format!("Reset the password of {name}?") testid="reset-dialog" on_close=close>
                    <p>"Their current password stops working at once and their sessions end. You will see a one-time password to give them; they must change it at their next login."</p>
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| close.run(())>"Cancel"</button>
                        <button
                            type="button"
                            class="button danger"
                            data-testid="reset-confirm"
                            on:click=move |_| {
                                reset.dispatch_local(name2.clone());
                                confirm_reset.set(None);
                            }
                        >
                            "Reset password"
                        </button>
                    </div>
                </Dialog>
            }
        })}
    }
}

/// The create-user form with live user-name validation.
#[component]
fn CreateUser(on_created: Callback<OneTime>) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer);
    let touched = RwSignal::new(false);
    let create = Action::new_local(|request: &CreateUserRequest| api::create_user(request.clone()));
    Effect::new(move |_| {
        if let Some(Ok(r)) = create.value().get() {
            on_created.run(OneTime {
                username: r.user.username,
                password: r.one_time_password,
            });
            username.set(String::new());
            touched.set(false);
        }
    });
    let name_error = move || {
        touched
            .get()
            .then(|| {
                validate_username(username.get().trim())
                    .err()
                    .map(|e| format!("User name {e}"))
            })
            .flatten()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        let name = username.get_untracked().trim().to_owned();
        if validate_username(&name).is_ok() && !create.pending().get_untracked() {
            create.dispatch_local(CreateUserRequest {
                username: name,
                role: role.get_untracked(),
            });
        }
    };
    view! {
        <form class="inline-form" on:submit=submit data-testid="create-user-form">
            <h2>"Add a user"</h2>
            <div class="field">
                <label for="new-username">"User name"</label>
                <input
                    id="new-username"
                    data-testid="new-username"
                    autocomplete="off"
                    autocapitalize="none"
                    spellcheck="false"
                    aria-describedby="new-username-error"
                    aria-invalid=move || if name_error().is_some() { "true" } else { "false" }
                    prop:value=move || username.get()
                    on:input=move |ev| {
                        username.set(event_target_value(&ev));
                        touched.set(true);
                    }
                />
                <p id="new-username-error" class="field-error" aria-live="polite">{name_error}</p>
            </div>
            <div class="field">
                <label for="new-role">"Role"</label>
                <RoleSelect id="new-role".to_owned() value=role.get_untracked() on_change=Callback::new(move |r| role.set(r)) disabled=Signal::derive(|| false)/>
            </div>
            <button type="submit" class="button primary" data-testid="create-user" disabled=move || create.pending().get()>
                {move || if create.pending().get() { "Adding…" } else { "Add user" }}
            </button>
            {move || match create.value().get() {
                Some(Err(e)) if !create.pending().get() => Some(view! { <ErrorMessage error=e/> }),
                _ => None,
            }}
        </form>
    }
}

/// The one-time password, shown once.
#[component]
fn OneTimePassword(one_time: OneTime, on_dismiss: Callback<()>) -> impl IntoView {
    view! {
        <div class="warning-box" role="status" data-testid="one-time-password-box">
            <p>
                <strong>{format!("One-time password for {}", one_time.username)}</strong>
            </p>
            <p>
                <code class="otp" data-testid="one-time-password">{one_time.password.clone()}</code>
                " "
                <CopyButton text=one_time.password label="Copy the one-time password"/>
            </p>
            <p>"It is shown only this once. Give it to the user; they must choose a new password when they log in."</p>
            <button type="button" class="button small" on:click=move |_| on_dismiss.run(())>"Done"</button>
        </div>
    }
}

/// A role choice.
#[component]
fn RoleSelect(
    id: String,
    value: Role,
    on_change: Callback<Role>,
    disabled: Signal<bool>,
    #[prop(optional, into)] label: Option<String>,
) -> impl IntoView {
    view! {
        <select
            id=id
            aria-label=label
            disabled=move || disabled.get()
            on:change=move |ev| {
                if let Some(r) = Role::parse(&event_target_value(&ev)) {
                    on_change.run(r);
                }
            }
        >
            {Role::ALL
                .into_iter()
                .map(|r| view! { <option value=r.as_str() selected=r == value>{role_label(r)}</option> })
                .collect_view()}
        </select>
    }
}

#[component]
fn UsersTable(
    users: Vec<UserSummary>,
    busy: Signal<bool>,
    on_update: Callback<(String, UpdateUserRequest)>,
    on_reset: Callback<String>,
) -> impl IntoView {
    let me = expect_context::<Auth>()
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.username.clone()));
    view! {
        <div class="table-scroll">
            <table class="data-table" data-testid="users-table">
                <caption class="visually-hidden">"Panel users"</caption>
                <thead>
                    <tr>
                        <th scope="col">"User"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Last login"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|u| {
                            let name = u.username.clone();
                            let (n1, n2, n3) = (name.clone(), name.clone(), name.clone());
                            let is_me = me.as_deref() == Some(name.as_str());
                            let enabled = u.enabled;
                            let status = match (u.enabled, u.must_change_password) {
                                (false, _) => "Disabled",
                                (true, true) => "Must change password",
                                (true, false) => "Active",
                            };
                            view! {
                                <tr data-testid="user-row" data-username=name.clone()>
                                    <th scope="row">{name.clone()}{is_me.then_some(" (you)")}</th>
                                    <td>
                                        <RoleSelect
                                            id=format!("role-{name}")
                                            label=format!("Role of {name}")
                                            value=u.role
                                            disabled=Signal::derive(move || busy.get() || is_me)
                                            on_change=Callback::new(move |role| on_update.run((n1.clone(), UpdateUserRequest { role: Some(role), enabled: None })))
                                        />
                                    </td>
                                    <td>{status}</td>
                                    <td><DateTime ms=u.last_login_at_ms with_age=true missing="never"/></td>
                                    <td><DateTime ms=Some(u.created_at_ms)/></td>
                                    <td class="actions-cell">
                                        <button
                                            type="button"
                                            class="button small"
                                            disabled=move || busy.get() || is_me
                                            on:click=move |_| on_update.run((n2.clone(), UpdateUserRequest { role: None, enabled: Some(!enabled) }))
                                        >
                                            {if enabled { "Disable" } else { "Enable" }}
                                        </button>
                                        <button
                                            type="button"
                                            class="button small"
                                            disabled=move || busy.get()
                                            on:click=move |_| on_reset.run(n3.clone())
                                        >
                                            "Reset password…"
                                        </button>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
