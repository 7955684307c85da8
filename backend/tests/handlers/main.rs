//! Handler tests: the whole router driven with `oneshot`, no sockets, against a scripted fake
//! device. One binary, one module per concern.

mod access;
mod access_modes;
mod audit_filters;
mod audit_trail;
mod base_path;
mod cli_commands;
mod deletions;
mod device_roles;
mod devices;
mod docs;
mod first_admin;
mod harness;
mod import_jobs;
mod imports;
mod serving;
mod sessions;
mod setups;
mod tokens;
