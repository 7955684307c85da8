//! Conformance of `lem-client` against `lem-sim`: every operation, every error class, the TLS
//! policies, retries, encoding, proxies and secrecy, over real HTTPS on port 0.
//! One binary keeps link time down on small machines.

mod bodies;
mod common;
mod connections;
mod encoding;
mod errors;
mod operations;
mod proxy;
mod secrets;
mod single_attempt;
mod timeouts;
mod tls;
mod tls_chain;
mod tls_signature;
