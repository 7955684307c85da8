//! Black-box test support for lem-panel: [`TestApp`] starts an in-process device simulator
//! (`lem-sim`, real HTTPS on port 0) and an in-process panel configured for it (port 0, a
//! temporary SQLite database, users `admin` / `operator` / `viewer`), and offers one method per
//! panel endpoint through a browser-like [`PanelClient`].
//!
//! ```no_run
//! # async fn example() {
//! use lem_panel_tests::TestApp;
//!
//! let app = TestApp::builder().base_path("/registry").start().await;
//! app.login_as("admin").await;
//! let images = app.images().await;
//! assert_eq!(images.status, 200);
//! assert_eq!(app.device().counters().list, 1);
//! # }
//! ```
//!
//! Every event any part of the test binary logs is captured at TRACE level (see [`logs`]), and
//! every response any client received is kept (see [`transcript::all_responses`]), so tests can
//! check that secrets never leak.

mod app;
pub mod browser;
mod client;
mod endpoints;
pub mod fixtures;
pub mod hostile;
pub mod logs;
mod options;
mod panel;
pub mod process;
pub mod raw_http;
pub mod transcript;

use shared::api::Role;

pub use app::TestApp;
pub use client::{PanelClient, Reply, Transcript};
pub use fixtures::{
    CANARY_BASIC, CANARY_TOKEN, D1, D2, D512, FIXTURE_ROWS, PROXY_PASSWORD_CANARY, import_body,
    row, row_with,
};
pub use options::{DeviceTls, TestAppOptions, short_timeouts};

/// Re-exported so tests need no direct dependency on them.
pub use lem_panel::config::DeviceTimeouts;
pub use lem_sim::{CatalogImage, Fault, FaultKind, Op, SimConfig};

/// The users every test app has, with their roles.
pub const USERS: [(&str, Role); 3] = [
    ("admin", Role::Admin),
    ("operator", Role::Operator),
    ("viewer", Role::Viewer),
];

/// The password of a test user: `<name>-e2e-password-42`.
pub fn password_of(username: &str) -> String {
    format!("{username}-e2e-password-42")
}
