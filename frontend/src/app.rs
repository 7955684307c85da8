//! The app: router (under the configured base path) and the shell every signed-in page lives in:
//! session and device loading, the top bar, the device banner, and the one auth redirect.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::{NavigateOptions, path};
use shared::api::DeviceSummary;

use crate::components::banner::DeviceBanner;
use crate::components::feedback::{ErrorMessage, Loading};
use crate::components::header::Header;
use crate::error::ApiError;
use crate::pages::account::AccountPage;
use crate::pages::audit::AuditPage;
use crate::pages::image_path::ImagePathPage;
use crate::pages::images::ImagesPage;
use crate::pages::import::ImportPage;
use crate::pages::jobs::JobsPage;
use crate::pages::login::LoginPage;
use crate::pages::not_found::NotFoundPage;
use crate::pages::status::StatusPage;
use crate::pages::users::UsersPage;
use crate::state::{AppState, Auth, AuthRedirect, ImagesResource, ListView};
use crate::{api, browser, routes};

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    provide_context(Auth::new());
    browser::apply_theme(&browser::load_theme());
    let base = routes::router_base(&browser::base_path());
    view! {
        <Router base=base>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/login") view=LoginPage/>
                <ParentRoute path=path!("") view=Shell>
                    <Route path=path!("") view=HomeRedirect/>
                    <Route path=path!("/images") view=ImagesPage/>
                    <Route path=path!("/images/*rest") view=ImagePathPage/>
                    <Route path=path!("/import") view=ImportPage/>
                    <Route path=path!("/jobs") view=JobsPage/>
                    <Route path=path!("/status") view=StatusPage/>
                    <Route path=path!("/audit") view=AuditPage/>
                    <Route path=path!("/users") view=UsersPage/>
                    <Route path=path!("/account") view=AccountPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// `/` shows the image list.
#[component]
fn HomeRedirect() -> impl IntoView {
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    Effect::new(move |_| {
        let options = NavigateOptions {
            replace: true,
            ..NavigateOptions::default()
        };
        navigate(&state.nav_path("/images"), options);
    });
}

/// Session and devices, loaded once per shell (and again when `boot_version` changes).
type Boot = LocalResource<Result<(shared::api::SessionResponse, Vec<DeviceSummary>), ApiError>>;

/// The signed-in frame: loads the session and devices, provides [`AppState`], shows the top bar,
/// the device banner and the routed page.
#[component]
fn Shell() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let query = use_query_map();
    let devices = RwSignal::new(Vec::<DeviceSummary>::new());
    let device_id = Memo::new(move |_| {
        let wanted = query.with(|q| q.get("device"));
        devices
            .with(|list| routes::pick_device(list.iter().map(|d| d.id.as_str()), wanted.as_deref()))
    });
    let images: ImagesResource = LocalResource::new(move || {
        let device = device_id.get();
        async move {
            match device {
                Some(d) => api::list_images(d).await.map(|r| Some(Arc::new(r))),
                None => Ok(None),
            }
        }
    });
    let now = RwSignal::new(browser::now_ms());
    let state = AppState {
        base: StoredValue::new(browser::base_path()),
        devices,
        device_id,
        images,
        problem: RwSignal::new(None),
        now,
        list_view: ListView::new(),
        boot_version: RwSignal::new(0),
    };
    provide_context(state);
    let boot: Boot = LocalResource::new(move || {
        state.boot_version.track();
        let known = auth.session.get_untracked();
        async move {
            let session = match known {
                Some(s) => s,
                None => api::get_session().await?,
            };
            // Until a one-time password is replaced every other route answers 403.
            if session.must_change_password {
                return Ok((session, Vec::new()));
            }
            match api::list_devices().await {
                Ok(list) => Ok((session, list.devices)),
                Err(e) if e.is_password_change_required() => {
                    let session = shared::api::SessionResponse {
                        must_change_password: true,
                        ..session
                    };
                    Ok((session, Vec::new()))
                }
                Err(e) => Err(e),
            }
        }
    });
    Effect::new(move |_| match boot.get() {
        Some(Ok((session, list))) => {
            let must_change = session.must_change_password;
            auth.session.set(Some(session));
            devices.set(list);
            if must_change {
                auth.redirect.set(Some(AuthRedirect::ChangePassword));
            }
        }
        Some(Err(e)) => auth.handle(&e),
        None => {}
    });
    Effect::new(move |_| {
        if let Some(result) = images.get()
            && let Some(device) = device_id.get_untracked()
        {
            state.report(&device, &result);
            if let Err(e) = &result {
                auth.handle(e);
            }
        }
    });
    start_clock(now);
    follow_auth_redirects(auth, state);
    let ready = move || auth.session.with(|s| s.is_some()) && matches!(boot.get(), Some(Ok(_)));
    view! {
        <a class="skip-link" href="#main" rel="external">
            "Skip to content"
        </a>
        <Show when=ready fallback=move || view! { <BootStatus boot=boot/> }>
            <Header/>
            <DeviceBanner/>
            <main id="main" tabindex="-1">
                <Outlet/>
            </main>
        </Show>
    }
}

/// What shows before the shell is ready: loading, or why it could not load.
#[component]
fn BootStatus(boot: Boot) -> impl IntoView {
    move || match boot.get() {
        Some(Err(e)) if !e.is_unauthenticated() => view! {
            <main id="main" class="boot">
                <h1>"lem-panel"</h1>
                <ErrorMessage error=e on_retry=Callback::new(move |()| boot.refetch())/>
            </main>
        }
        .into_any(),
        _ => view! {
            <main id="main" class="boot">
                <Loading label="Loading lem-panel…"/>
            </main>
        }
        .into_any(),
    }
}

/// Ticks the clock that relative times ("5 minutes ago") read.
fn start_clock(now: RwSignal<i64>) {
    if let Ok(handle) = set_interval_with_handle(
        move || now.set(browser::now_ms()),
        std::time::Duration::from_secs(30),
    ) {
        on_cleanup(move || handle.clear());
    }
}

/// Carries out auth redirects: to the login page once (remembering the page), or to the account
/// page to replace a one-time password.
fn follow_auth_redirects(auth: Auth, state: AppState) {
    let navigate = use_navigate();
    let location = use_location();
    Effect::new(move |_| match auth.redirect.get() {
        Some(AuthRedirect::Login) => {
            let here = format!(
                "{}{}",
                state.base.with_value(|b| routes::strip_base(
                    b,
                    &location.pathname.get_untracked()
                )
                .to_owned()),
                query_suffix(&location.search.get_untracked()),
            );
            auth.session.set(None);
            let options = NavigateOptions {
                replace: true,
                ..NavigateOptions::default()
            };
            navigate(&routes::login_path(&here), options);
        }
        Some(AuthRedirect::ChangePassword) => {
            let here = location.pathname.get_untracked();
            let at_account = state
                .base
                .with_value(|b| routes::strip_base(b, &here) == "/account");
            if !at_account {
                navigate(&state.nav_path("/account"), NavigateOptions::default());
            }
            auth.redirect.set(None);
        }
        None => {}
    });
}

/// `?a=b` from a search string with or without its leading `?` (empty stays empty).
fn query_suffix(search: &str) -> String {
    let query = search.trim_start_matches('?');
    if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    }
}
