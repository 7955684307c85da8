//! The one error type of the simulator's library API.

use std::path::PathBuf;

/// Why the simulator could not start or a setting could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address that was asked for.
        addr: std::net::SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A self-signed certificate could not be generated (usually a bad subject alt name).
    #[error("cannot generate the self-signed certificate: {0}")]
    CertificateGeneration(#[from] rcgen::Error),
    /// A PEM file could not be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file that was asked for.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A PEM certificate or key could not be parsed.
    #[error("cannot use {what}: {reason}")]
    Pem {
        /// Which input ("certificate", "private key", or a file name).
        what: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The certificate and key were rejected by rustls (e.g. they do not match).
    #[error("TLS setup failed: {0}")]
    Tls(#[from] rustls::Error),
    /// The certificate PEM could not be written to the requested path.
    #[error("cannot write the certificate to {path}: {source}")]
    WriteCertificate {
        /// Where it was to be written.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A fixture file is not a JSON array.
    #[error("the fixture is not a JSON array of rows: {0}")]
    Fixture(String),
    /// A fault description (`OP=KIND[:ARG][@N]`) could not be parsed.
    #[error("invalid fault `{spec}`: {reason}")]
    FaultSpec {
        /// The text that was given.
        spec: String,
        /// What was wrong with it.
        reason: String,
    },
}
