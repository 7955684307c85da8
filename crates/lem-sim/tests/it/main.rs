//! Integration tests: real HTTPS clients against simulators started in-process on port 0.
//! One binary keeps link time down on small machines.

mod api;
mod common;
mod faults;
mod pull_and_delete;
mod transport;
