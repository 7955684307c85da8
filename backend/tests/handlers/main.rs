//! Handler tests: the whole router driven with `oneshot`, no sockets, against a scripted fake
//! device. One binary, one module per concern.

mod access;
mod access_modes;
mod base_path;
mod deletions;
mod devices;
mod docs;
mod harness;
mod imports;
mod serving;
mod sessions;
mod setups;
mod tokens;
