//! Classifying failures below HTTP (connect, TLS, proxy, timeout, dropped connection) by walking
//! the error's source chain, since reqwest folds them all into one error type.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use crate::error::{DeviceError, TimeoutStage, TlsFailure};
use crate::http::Funnel;
use crate::tls::{PinMismatch, fingerprint};

/// Maps a reqwest send error to a [`DeviceError`].
pub(crate) fn classify_transport_error(
    error: &reqwest::Error,
    funnel: &Funnel,
    timeout: Duration,
) -> DeviceError {
    let endpoint = funnel.endpoint.clone();
    if let Some(kind) = find_tls_failure(error) {
        return DeviceError::Tls {
            endpoint,
            kind,
            presented_sha256: funnel.peer.get().map(|der| fingerprint(&der)),
        };
    }
    if error.is_timeout() && !error.is_connect() {
        return DeviceError::Timeout {
            endpoint,
            stage: TimeoutStage::Response,
            after: timeout,
        };
    }
    if error.is_connect() {
        // A connect timeout (TCP or TLS; often a firewall dropping packets) sent nothing, so it
        // is a failure to reach the device, not an outcome-unknown timeout.
        let reason = if error.is_timeout() {
            format!(
                "it did not answer within {} s (is a firewall dropping connections to the port?)",
                funnel.config.timeouts.connect.as_secs()
            )
        } else {
            describe_io(error)
        };
        if let Some(proxy) = &funnel.proxy {
            return DeviceError::Proxy {
                proxy: proxy.display.clone(),
                reason,
            };
        }
        let reason = if reason == REFUSED {
            format!("{reason} (is the port open and the admin console running?)")
        } else {
            reason
        };
        return DeviceError::Unreachable { endpoint, reason };
    }
    DeviceError::ConnectionLost { endpoint }
}

fn sources<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    // io::Error::source() skips the wrapped error itself, so step into it explicitly.
    std::iter::successors(Some(error), |&e: &&'a (dyn StdError + 'static)| {
        next_source(e)
    })
}

fn next_source<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    if let Some(io) = e.downcast_ref::<io::Error>()
        && let Some(inner) = io.get_ref()
    {
        return Some(inner);
    }
    e.source()
}

fn find_tls_failure(error: &reqwest::Error) -> Option<TlsFailure> {
    sources(error)
        .find_map(|e| e.downcast_ref::<rustls::Error>())
        .map(|e| match e {
            rustls::Error::InvalidCertificate(cert) => match cert {
                rustls::CertificateError::UnknownIssuer
                | rustls::CertificateError::BadSignature => TlsFailure::Untrusted,
                rustls::CertificateError::Expired
                | rustls::CertificateError::ExpiredContext { .. }
                | rustls::CertificateError::NotValidYet
                | rustls::CertificateError::NotValidYetContext { .. } => TlsFailure::Expired,
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. } => {
                    TlsFailure::NameMismatch
                }
                rustls::CertificateError::Other(other)
                    if other.0.downcast_ref::<PinMismatch>().is_some() =>
                {
                    TlsFailure::PinMismatch
                }
                rustls::CertificateError::Other(other)
                    if format!("{other}").contains("CaUsedAsEndEntity") =>
                {
                    TlsFailure::Untrusted
                }
                _ => TlsFailure::Handshake,
            },
            _ => TlsFailure::Handshake,
        })
}

const REFUSED: &str = "connection refused";

fn describe_io(error: &reqwest::Error) -> String {
    if let Some(io) = sources(error).find_map(|e| e.downcast_ref::<io::Error>()) {
        return match io.kind() {
            io::ErrorKind::ConnectionRefused => REFUSED.into(),
            io::ErrorKind::ConnectionReset => "connection reset".into(),
            io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                "no route to host".into()
            }
            io::ErrorKind::TimedOut => "connection timed out".into(),
            _ => format!("network error ({})", io.kind()),
        };
    }
    let text = sources(error)
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ");
    if text.contains("dns error") || text.contains("failed to lookup") {
        "the host name could not be resolved (DNS)".into()
    } else if text.contains("tunnel") || text.contains("proxy") {
        "the proxy refused or failed the tunnel".into()
    } else {
        "network error".into()
    }
}
