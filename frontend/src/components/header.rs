//! The app shell's top bar: navigation, device switcher, the user's name and role, theme, log out.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};

use crate::state::{AppState, Auth};
use crate::{api, browser, labels, routes};

/// The top bar.
#[component]
pub fn Header() -> impl IntoView {
    let state = expect_context::<AppState>();
    let auth = expect_context::<Auth>();
    let is_admin = move || {
        auth.session
            .with(|s| s.as_ref().is_some_and(|s| s.role.can_administer()))
    };
    view! {
        <header class="topbar">
            <div class="topbar-row">
                <a class="brand" href=move || state.href("/images")>
                    "lem-panel"
                </a>
                <DeviceSwitcher/>
                <UserMenu/>
            </div>
            <nav class="mainnav" aria-label="Main">
                <NavLink path="/images" testid="nav-images" label="Images"/>
                <Show when=move || state.can_import()>
                    <NavLink path="/import" testid="nav-import" label="Import"/>
                </Show>
                <NavLink path="/jobs" testid="nav-jobs" label="Jobs"/>
                <NavLink path="/status" testid="nav-status" label="Registry status"/>
                <Show when=is_admin>
                    <NavLink path="/audit" testid="nav-audit" label="Audit"/>
                    <NavLink path="/users" testid="nav-users" label="Users"/>
                </Show>
            </nav>
        </header>
    }
}

/// A navigation link marked `aria-current="page"` when its section is showing.
#[component]
fn NavLink(path: &'static str, testid: &'static str, label: &'static str) -> impl IntoView {
    let state = expect_context::<AppState>();
    let location = use_location();
    let current = move || {
        let here = location.pathname.get();
        let here = state
            .base
            .with_value(|b| routes::strip_base(b, &here).to_owned());
        (here == path || here.starts_with(&format!("{path}/"))).then_some("page")
    };
    view! {
        <a href=move || state.href(path) data-testid=testid aria-current=current>
            {label}
        </a>
    }
}

/// The device switcher: keeps the current page, changes `?device=`.
#[component]
fn DeviceSwitcher() -> impl IntoView {
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let location = use_location();
    let on_change = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        let here = location.pathname.get_untracked();
        let path = state
            .base
            .with_value(|b| routes::strip_base(b, &here).to_owned());
        navigate(
            &routes::href("/", &path, Some(&id)),
            NavigateOptions::default(),
        );
    };
    view! {
        <label class="device-switcher">
            <span class="label-text">"Device"</span>
            <select
                data-testid="device-switcher"
                prop:value=move || state.device_id.get().unwrap_or_default()
                on:change=on_change
            >
                <For
                    each=move || state.devices.get()
                    key=|d| d.id.clone()
                    children=move |d| {
                        let id = d.id.clone();
                        let selected = move || state.device_id.get().as_deref() == Some(id.as_str());
                        view! {
                            <option value=d.id.clone() selected=selected>
                                {d.name.clone()}
                            </option>
                        }
                    }
                />
            </select>
        </label>
    }
}

/// The user's name and role, theme choice, account link and log out.
#[component]
fn UserMenu() -> impl IntoView {
    let state = expect_context::<AppState>();
    let auth = expect_context::<Auth>();
    let navigate = use_navigate();
    let theme = RwSignal::new(browser::load_theme());
    let logout = Action::new_local(|_: &()| api::logout());
    Effect::new(move |_| {
        if logout.value().get().is_some() {
            // Whatever the answer, the session is over for this page.
            auth.session.set(None);
            auth.redirect.set(None);
            navigate("/login", NavigateOptions::default());
        }
    });
    let username = move || {
        auth.session
            .with(|s| s.as_ref().map(|s| s.username.clone()))
    };
    let role = move || state.role().map(labels::role_label);
    view! {
        <div class="user-menu">
            <span class="user">
                <span class="visually-hidden">"Logged in as "</span>
                <strong>{username}</strong>
                " "
                <span class="role-badge" title="Your role on this device">
                    {role}
                </span>
            </span>
            <label class="theme-switcher">
                <span class="label-text">"Theme"</span>
                <select on:change=move |ev| {
                    let value = event_target_value(&ev);
                    browser::apply_theme(&value);
                    theme.set(value);
                }>
                    <option value="auto" selected=move || theme.get() == "auto">
                        "Auto"
                    </option>
                    <option value="light" selected=move || theme.get() == "light">
                        "Light"
                    </option>
                    <option value="dark" selected=move || theme.get() == "dark">
                        "Dark"
                    </option>
                </select>
            </label>
            <a href=move || state.href("/account")>"Account"</a>
            <button
                type="button"
                class="button small"
                data-testid="logout"
                disabled=move || logout.pending().get()
                on:click=move |_| {
                    logout.dispatch_local(());
                }
            >
                {move || if logout.pending().get() { "Logging out…" } else { "Log out" }}
            </button>
        </div>
    }
}
