//! Handler tests: the whole router driven with `oneshot`, no sockets, against a scripted fake
//! device. One binary, one module per concern.

mod access;
mod devices;
mod harness;
mod imports;
mod deletions;
mod docs;
mod serving;
mod sessions;
