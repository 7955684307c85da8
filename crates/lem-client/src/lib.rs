//! Typed async client for the registry API of Litmus Edge Manager devices (also Litmus Edge and
//! LUNS): list, pull, delete and info, over TLS with a per-device trust policy.
//!
//! ```text
//! GET    <base>/admin/v1/registry/image
//! POST   <base>/admin/v1/registry/image/upload-remote?externalUrl=…&externalName=…&externalTag=…&internalName=…&internalTag=…
//! DELETE <base>/admin/v1/registry/image/?name=…&digest=…
//! GET    <base>/admin/v1/registry/info
//! ```

mod config;
mod error;
mod http;
mod model;
mod proxy;
mod redact;
mod retry;
mod tls;
mod transport;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::Method;
use secrecy::ExposeSecret;

pub use config::{
    AuthMode, DEFAULT_MAX_RESPONSE_BYTES, DeviceConfig, ProxySetting, Timeouts, TlsPolicy,
    format_fingerprint, parse_fingerprint,
};
pub use error::{BadResponseKind, DeviceError, TimeoutStage, TlsFailure};
pub use http::Operation;
pub use model::{DeviceImage, ImageList, RegistryInfo, Scalar, ShapeError, parse_image_list};
pub use proxy::{ProxyTarget, bypasses as no_proxy_bypasses};
pub use secrecy::SecretString;
pub use tls::{CertificateFacts, certificate_facts, fingerprint};

use crate::error::BadResponseKind as Bad;
use crate::http::Funnel;
use crate::model::{ShapeError as Shape, parse_envelope, parse_registry_info};

/// The parameters of a pull, exactly as the device takes them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PullRequest {
    /// Source registry host[:port], no scheme.
    pub external_url: String,
    /// Source repository name.
    pub external_name: String,
    /// Source tag.
    pub external_tag: String,
    /// Name to store under.
    pub internal_name: String,
    /// Tag to store under.
    pub internal_tag: String,
}

/// The device's registry info plus facts about the connection that fetched it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoReport {
    /// The device's answer.
    pub info: RegistryInfo,
    /// Round-trip time of the call.
    pub round_trip: Duration,
}

/// The device's answer to the list call as it arrived (a 2xx answer read in full), parsed
/// on demand: a caller that has already translated byte-identical answer can skip the work.
#[derive(Debug, Clone)]
pub struct ListAnswer {
    status: u16,
    content_type: Option<String>,
    body: bytes::Bytes,
}

impl ListAnswer {
    /// A successful answer with a JSON body, as a device would send it (for fakes and tests).
    pub fn json(body: impl Into<bytes::Bytes>) -> Self {
        Self {
            status: 200,
            content_type: Some("application/json".to_owned()),
            body: body.into(),
        }
    }

    /// The body's bytes.
    pub fn body(&self) -> &bytes::Bytes {
        &self.body
    }

    /// The list, tolerating odd entries; a body that is not the documented JSON is a
    /// [`DeviceError::BadResponse`] naming the status and content type.
    pub fn parse(&self) -> Result<ImageList, DeviceError> {
        model::parse_image_list(&self.body).map_err(|shape| {
            http::DeviceResponse {
                status: reqwest::StatusCode::from_u16(self.status)
                    .unwrap_or(reqwest::StatusCode::OK),
                content_type: self.content_type.clone(),
                body: self.body.clone(),
            }
            .bad(bad_kind(&self.body, shape))
        })
    }
}

/// The four device operations. The panel holds devices as `Arc<dyn RegistryApi>`, so tests
/// can substitute a fake.
#[async_trait]
pub trait RegistryApi: Send + Sync {
    /// The list call's answer, not yet parsed (see [`ListAnswer::parse`]).
    async fn list_answer(&self) -> Result<ListAnswer, DeviceError>;
    /// Lists every image (one entry per name and tag), tolerating odd entries.
    async fn list_images(&self) -> Result<ImageList, DeviceError> {
        self.list_answer().await?.parse()
    }
    /// Pulls an image from an external registry into the device. Sent once, never retried.
    async fn pull_image(&self, request: &PullRequest) -> Result<(), DeviceError>;
    /// Deletes the manifest `digest` of `name` (every tag pointing at it). Sent once.
    async fn delete_image(&self, name: &str, digest: &str) -> Result<(), DeviceError>;
    /// Reads the registry's state.
    async fn registry_info(&self) -> Result<InfoReport, DeviceError>;
    /// The certificate the device last presented, if a connection was attempted.
    fn peer_certificate(&self) -> Option<CertificateFacts>;
}

/// The real client for one device.
pub struct DeviceClient {
    funnel: Funnel,
}

impl std::fmt::Debug for DeviceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceClient")
            .field("id", &self.funnel.config.id)
            .field("endpoint", &self.funnel.endpoint)
            .finish_non_exhaustive()
    }
}

impl DeviceClient {
    /// Builds a client: TLS verifier, proxy choice (from the process environment for
    /// [`ProxySetting::System`]) and connection pool. Logs a warning for `insecure`.
    pub fn new(config: DeviceConfig) -> Result<Self, DeviceError> {
        Self::with_env(config, |name| std::env::var(name).ok())
    }

    /// Like [`DeviceClient::new`], reading proxy variables through `env` (for tests).
    pub fn with_env(
        config: DeviceConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, DeviceError> {
        check_config(&config)?;
        let host = config.base_url.host_str().ok_or_else(|| {
            DeviceError::Config(format!("device {}: the URL has no host", config.id))
        })?;
        let endpoint = format!(
            "{host}:{}",
            config.base_url.port_or_known_default().unwrap_or(443)
        );
        if config.tls == TlsPolicy::Insecure {
            tracing::warn!(device = %config.id, "TLS verification is OFF for this device (tls = \"insecure\"): anyone on the network path can impersonate it and capture its token");
        }
        let (tls_config, peer) = tls::client_config(&config.tls)?;
        let proxy = proxy::resolve(&config.proxy, &config.base_url, env)
            .map_err(|e| DeviceError::Config(format!("device {}: {e}", config.id)))?;
        let http = http::build_http_client(&config, tls_config, proxy.as_ref())?;
        let redactor = redact::Redactor::new(&config.token);
        Ok(Self {
            funnel: Funnel {
                http,
                config,
                redactor,
                endpoint,
                proxy,
                peer,
            },
        })
    }

    /// `host:port` of the device.
    pub fn endpoint(&self) -> &str {
        &self.funnel.endpoint
    }

    /// The proxy in use, if any (`host:port`).
    pub fn proxy(&self) -> Option<&str> {
        self.funnel.proxy.as_ref().map(|p| p.display.as_str())
    }
}

/// Refuses configurations that would send the token in clear or twice, or mangled.
fn check_config(config: &DeviceConfig) -> Result<(), DeviceError> {
    let refuse = |why: &str| Err(DeviceError::Config(format!("device {}: {why}", config.id)));
    if config.base_url.scheme() != "https" {
        return refuse("the URL must start with https:// (the token is never sent in clear)");
    }
    // Credentials in the URL would make reqwest add a second `Authorization` header (and could
    // end up in logs): the token is configured on its own, and nothing else is sent.
    if !config.base_url.username().is_empty() || config.base_url.password().is_some() {
        return refuse(
            "the URL must not contain a user name or password (the API token is configured separately)",
        );
    }
    // A token with a trailing newline (from a token file) would be sent mangled in Basic mode
    // and the device would answer 401, hiding the real cause: say so before connecting.
    let token = config.token.expose_secret();
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return refuse(
            "the API token is empty or contains spaces or control characters (a trailing newline in the token file?)",
        );
    }
    Ok(())
}

fn shape_error(response: &http::DeviceResponse, shape: Shape) -> DeviceError {
    response.bad(bad_kind(&response.body, shape))
}

fn bad_kind(body: &[u8], shape: Shape) -> Bad {
    match shape {
        Shape::NotJson => Bad::NotJson,
        Shape::Truncated if body.iter().all(u8::is_ascii_whitespace) => Bad::Empty,
        Shape::Truncated => Bad::Truncated,
        Shape::WrongShape => Bad::WrongShape,
    }
}

#[async_trait]
impl RegistryApi for DeviceClient {
    async fn list_answer(&self) -> Result<ListAnswer, DeviceError> {
        let url = self.funnel.url("admin/v1/registry/image");
        let response = self.funnel.call(Operation::List, Method::GET, url).await?;
        Ok(ListAnswer {
            status: response.status.as_u16(),
            content_type: response.content_type,
            body: response.body,
        })
    }

    async fn pull_image(&self, request: &PullRequest) -> Result<(), DeviceError> {
        let mut url = self.funnel.url("admin/v1/registry/image/upload-remote");
        url.query_pairs_mut()
            .append_pair("externalUrl", &request.external_url)
            .append_pair("externalName", &request.external_name)
            .append_pair("externalTag", &request.external_tag)
            .append_pair("internalName", &request.internal_name)
            .append_pair("internalTag", &request.internal_tag);
        let response = self.funnel.call(Operation::Pull, Method::POST, url).await?;
        self.check_envelope(&response, true)
    }

    async fn delete_image(&self, name: &str, digest: &str) -> Result<(), DeviceError> {
        // The trailing slash before `?` is how the vendor documents this call.
        let mut url = self.funnel.url("admin/v1/registry/image/");
        url.query_pairs_mut()
            .append_pair("name", name)
            .append_pair("digest", digest);
        let response = self
            .funnel
            .call(Operation::Delete, Method::DELETE, url)
            .await?;
        self.check_envelope(&response, false)
    }

    async fn registry_info(&self) -> Result<InfoReport, DeviceError> {
        let url = self.funnel.url("admin/v1/registry/info");
        let started = Instant::now();
        let response = self.funnel.call(Operation::Info, Method::GET, url).await?;
        let round_trip = started.elapsed();
        let mut info =
            parse_registry_info(&response.body).map_err(|e| shape_error(&response, e))?;
        info.proxy_user = info
            .proxy_user
            .and_then(|u| redact::clean(&u, &self.funnel.redactor));
        Ok(InfoReport { info, round_trip })
    }

    fn peer_certificate(&self) -> Option<CertificateFacts> {
        self.funnel.peer.get().map(|der| certificate_facts(&der))
    }
}

impl DeviceClient {
    /// Success is `code == "S"` only. For delete, an empty 2xx body (the documented 204) is
    /// success too; for pull the envelope is required.
    fn check_envelope(
        &self,
        response: &http::DeviceResponse,
        required: bool,
    ) -> Result<(), DeviceError> {
        if !required && response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        // A 2xx that is not the envelope (an HTML login page from a proxy, say) is not success;
        // callers treat it as "outcome unknown" and re-list.
        let envelope = parse_envelope(&response.body).map_err(|e| shape_error(response, e))?;
        match envelope.code.as_str() {
            Some("S") => Ok(()),
            None if !required => Ok(()),
            code => Err(DeviceError::Refused {
                // The code is device text like any other: redacted and kept short.
                code: code
                    .and_then(|c| redact::clean(c, &self.funnel.redactor))
                    .map_or_else(|| "(none)".to_owned(), |c| c.chars().take(32).collect()),
                message: envelope
                    .message
                    .as_str()
                    .and_then(|m| redact::clean(m, &self.funnel.redactor)),
                details: envelope
                    .message_details
                    .as_str()
                    .and_then(|m| redact::clean(m, &self.funnel.redactor)),
            }),
        }
    }
}
