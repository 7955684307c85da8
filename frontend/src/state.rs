//! App-wide state, provided as Leptos context: the session and where an auth failure should send
//! the user ([`Auth`]), and the selected device with its image list ([`AppState`]).

use std::sync::Arc;

use leptos::prelude::*;
use shared::api::{DeviceSummary, ImagesResponse, Role, SessionResponse};

use crate::error::ApiError;
use crate::table::SortOrder;

/// Where an auth failure sends the user. The shell performs the navigation (it owns the router
/// hooks); anything may request it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRedirect {
    /// The session ended: go to the login page once, remembering the page.
    Login,
    /// A one-time password must be replaced first: go to the account page.
    ChangePassword,
}

/// The logged-in user, and pending auth redirects.
#[derive(Clone, Copy)]
pub struct Auth {
    /// Who is logged in, once known.
    pub session: RwSignal<Option<SessionResponse>>,
    /// A redirect the shell should carry out.
    pub redirect: RwSignal<Option<AuthRedirect>>,
}

impl Auth {
    /// Creates the context value.
    pub fn new() -> Self {
        Self {
            session: RwSignal::new(None),
            redirect: RwSignal::new(None),
        }
    }

    /// Reacts to an error that concerns the session; other errors are left to the caller.
    pub fn handle(&self, error: &ApiError) {
        if error.is_unauthenticated() {
            // Set only once: many calls failing together must not navigate many times.
            if self.redirect.get_untracked() != Some(AuthRedirect::Login) {
                self.redirect.set(Some(AuthRedirect::Login));
            }
        } else if error.is_password_change_required() && self.redirect.get_untracked().is_none() {
            self.redirect.set(Some(AuthRedirect::ChangePassword));
        }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Self::new()
    }
}

/// The `Auth` context.
pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// A device problem seen by any call, for the banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceProblem {
    /// Device id.
    pub device: String,
    /// The error.
    pub error: ApiError,
    /// Whether the registry status check reported it (rather than a list or delete).
    pub from_status_check: bool,
}

impl DeviceProblem {
    /// Whether a successful registry status check of `device` shows this problem is over. The
    /// check (the device's info call) proves the device can be reached with the panel's token,
    /// so it clears its own problems and those of reaching the device at all; not what one
    /// operation met (an HTML page instead of the list, a refused delete), which it does not
    /// exercise. The check and the list run side by side: whichever answers last must not
    /// decide whether the list's problem shows.
    pub fn cleared_by_status_check(&self, device: &str) -> bool {
        self.device == device && (self.from_status_check || self.error.is_connection_problem())
    }
}

/// The image list's view settings, kept while moving between pages.
#[derive(Clone, Copy)]
pub struct ListView {
    /// Filter box text.
    pub filter: RwSignal<String>,
    /// Sort order.
    pub sort: RwSignal<SortOrder>,
    /// Grouped by repository (true) or flat.
    pub grouped: RwSignal<bool>,
    /// Current page (0-based).
    pub page: RwSignal<usize>,
}

impl ListView {
    /// Default settings: flat, newest first, page 1.
    pub fn new() -> Self {
        Self {
            filter: RwSignal::new(String::new()),
            sort: RwSignal::new(SortOrder::default()),
            grouped: RwSignal::new(false),
            page: RwSignal::new(0),
        }
    }
}

impl Default for ListView {
    fn default() -> Self {
        Self::new()
    }
}

/// The image list of the selected device (`None` when no device is configured).
pub type ImagesResource = LocalResource<Result<Option<Arc<ImagesResponse>>, ApiError>>;

/// State shared by every page inside the shell.
#[derive(Clone, Copy)]
pub struct AppState {
    /// Base path (`/` or `/registry/`).
    pub base: StoredValue<String>,
    /// Configured devices.
    pub devices: RwSignal<Vec<DeviceSummary>>,
    /// The selected device id: `?device=` when it names a device, else the first device.
    pub device_id: Memo<Option<String>>,
    /// The selected device's image list.
    pub images: ImagesResource,
    /// The last device problem any call reported.
    pub problem: RwSignal<Option<DeviceProblem>>,
    /// The clock for relative times, ticking every 30 s.
    pub now: RwSignal<i64>,
    /// The image list's view settings.
    pub list_view: ListView,
    /// Bumped to reload the session and device list (e.g. after a forced password change).
    pub boot_version: RwSignal<u32>,
}

impl AppState {
    /// The selected device (reactive).
    pub fn device(&self) -> Option<DeviceSummary> {
        let id = self.device_id.get()?;
        self.devices
            .with(|d| d.iter().find(|x| x.id == id).cloned())
    }

    /// The user's role on the selected device (reactive).
    pub fn role(&self) -> Option<Role> {
        let id = self.device_id.get()?;
        self.devices
            .with(|d| d.iter().find(|x| x.id == id).map(|x| x.role))
    }

    /// Whether the user may import on the selected device (reactive).
    pub fn can_import(&self) -> bool {
        self.role().is_some_and(Role::can_import)
    }

    /// Whether the user may delete on the selected device (reactive).
    pub fn can_delete(&self) -> bool {
        self.role().is_some_and(Role::can_delete)
    }

    /// A link to an app path under the base path, keeping the selected device (reactive).
    pub fn href(&self, path: &str) -> String {
        let device = self.device_id.get();
        self.base
            .with_value(|base| crate::routes::href(base, path, device.as_deref()))
    }

    /// An app path with the selected device, for `navigate` (which adds the base itself).
    pub fn nav_path(&self, path: &str) -> String {
        crate::routes::href("/", path, self.device_id.get_untracked().as_deref())
    }

    /// Records the outcome of a device call (list, delete) for the banner: a device problem is
    /// shown, a success clears an earlier problem of that device.
    pub fn report<T>(&self, device: &str, result: &Result<T, ApiError>) {
        match result {
            Err(e) if e.is_device_problem() => self.problem.set(Some(DeviceProblem {
                device: device.to_owned(),
                error: e.clone(),
                from_status_check: false,
            })),
            Ok(_) => {
                let same = self
                    .problem
                    .with_untracked(|p| p.as_ref().is_some_and(|p| p.device == device));
                if same {
                    self.problem.set(None);
                }
            }
            Err(_) => {}
        }
    }

    /// Records the outcome of the registry status check for the banner: a device problem is
    /// shown; a success clears only what it disproves (see
    /// [`DeviceProblem::cleared_by_status_check`]).
    pub fn report_status_check(&self, device: &str, result: &Result<(), ApiError>) {
        match result {
            Err(e) if e.is_device_problem() => self.problem.set(Some(DeviceProblem {
                device: device.to_owned(),
                error: e.clone(),
                from_status_check: true,
            })),
            Ok(()) => {
                let cleared = self.problem.with_untracked(|p| {
                    p.as_ref()
                        .is_some_and(|p| p.cleared_by_status_check(device))
                });
                if cleared {
                    self.problem.set(None);
                }
            }
            Err(_) => {}
        }
    }
}

/// The `AppState` context.
pub fn use_app() -> AppState {
    expect_context::<AppState>()
}

#[cfg(test)]
mod tests {
    use shared::api::{ErrorCode, ErrorDetail};

    use super::*;

    fn problem(code: ErrorCode, from_status_check: bool) -> DeviceProblem {
        DeviceProblem {
            device: "edge-1".to_owned(),
            error: ApiError::server(502, ErrorDetail::new(code, "x"), None),
            from_status_check,
        }
    }

    #[test]
    fn a_passing_status_check_clears_its_own_and_connection_problems() {
        assert!(problem(ErrorCode::DeviceTimeout, true).cleared_by_status_check("edge-1"));
        assert!(problem(ErrorCode::DeviceUnreachable, false).cleared_by_status_check("edge-1"));
        assert!(problem(ErrorCode::DeviceAuth, false).cleared_by_status_check("edge-1"));
        assert!(!problem(ErrorCode::DeviceAuth, true).cleared_by_status_check("edge-2"));
    }

    #[test]
    fn a_passing_status_check_keeps_what_a_list_or_delete_met() {
        for code in [
            ErrorCode::DeviceBadResponse,
            ErrorCode::DeviceError,
            ErrorCode::DeviceForbidden,
            ErrorCode::DeviceTimeout,
        ] {
            assert!(
                !problem(code, false).cleared_by_status_check("edge-1"),
                "{code:?}"
            );
        }
    }
}
