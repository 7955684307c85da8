//! lem-panel's web app: a Leptos client-side app for the Docker registry of Litmus Edge Manager
//! devices. `main.rs` mounts [`app::App`]; the pure modules (formatting, table logic, forms,
//! routes, pull commands, labels) have no browser calls so `cargo test -p frontend` runs natively.

pub mod deletion;
pub mod error;
pub mod format;
pub mod import_form;
pub mod labels;
pub mod pull_commands;
pub mod routes;
pub mod table;

pub mod api;
pub mod app;
pub mod browser;
pub mod components;
pub mod pages;
pub mod state;
