//! The one place that builds the HTTP client and the one funnel every device call goes through:
//! URL joining, auth header, per-operation timeout, body size cap, response classification and
//! a tracing span. Headers are never logged.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use tracing::Instrument;
use url::Url;

use crate::config::{AuthMode, DeviceConfig};
use crate::error::{BadResponseKind, DeviceError, TimeoutStage};
use crate::proxy::ProxyTarget;
use crate::redact::{Redactor, extract_message, looks_like_html};
use crate::transport::classify_transport_error;

/// The four device operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GET …/image`.
    List,
    /// `POST …/image/upload-remote`.
    Pull,
    /// `DELETE …/image/`.
    Delete,
    /// `GET …/info`.
    Info,
}

impl Operation {
    /// Lowercase name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::List => "list",
            Self::Pull => "pull",
            Self::Delete => "delete",
            Self::Info => "info",
        }
    }
}

/// Builds the device HTTP client: the given rustls config, no redirects (a redirect could carry
/// the token elsewhere), HTTP/1.1 with a connection pool, the connect timeout, and an explicit
/// proxy choice (never reqwest's own environment lookup).
pub(crate) fn build_http_client(
    config: &DeviceConfig,
    tls: rustls::ClientConfig,
    proxy: Option<&ProxyTarget>,
) -> Result<reqwest::Client, DeviceError> {
    #[expect(clippy::disallowed_methods, reason = "this is the one client builder")]
    let mut builder = reqwest::Client::builder();
    builder = builder
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        // The funnel alone decides about retries (reads only, connect failures only).
        .retry(reqwest::retry::never())
        .http1_only()
        .connect_timeout(config.timeouts.connect)
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(32)
        .tcp_nodelay(true)
        .user_agent(concat!("lem-panel/", env!("CARGO_PKG_VERSION")))
        .no_proxy();
    if let Some(proxy) = proxy {
        let proxy = reqwest::Proxy::all(proxy.url.as_str())
            .map_err(|_| DeviceError::Config("the proxy URL is not usable".into()))?;
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| DeviceError::Config(format!("cannot build the HTTP client: {e}")))
}

/// A successful (2xx) device answer, body read in full.
pub(crate) struct DeviceResponse {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub body: Bytes,
}

impl DeviceResponse {
    /// The error for a 2xx body that is not the expected JSON.
    pub(crate) fn bad(&self, problem: BadResponseKind) -> DeviceError {
        let problem = if problem == BadResponseKind::NotJson && looks_like_html(&self.body) {
            BadResponseKind::Html
        } else {
            problem
        };
        DeviceError::BadResponse {
            status: self.status.as_u16(),
            content_type: self.content_type.clone(),
            problem,
        }
    }
}

/// Everything the funnel needs, built once per device.
pub(crate) struct Funnel {
    pub http: reqwest::Client,
    pub config: DeviceConfig,
    pub redactor: Redactor,
    pub endpoint: String,
    pub proxy: Option<ProxyTarget>,
    pub peer: crate::tls::PeerCertificate,
}

impl Funnel {
    /// Joins `path` (no leading slash) onto the base URL, whether or not the base ends in `/`.
    pub(crate) fn url(&self, path: &str) -> Url {
        let mut base = self.config.base_url.clone();
        if !base.path().ends_with('/') {
            let with_slash = format!("{}/", base.path());
            base.set_path(&with_slash);
        }
        base.join(path).unwrap_or(base)
    }

    /// Sends one request and returns a 2xx answer or a classified error. Reads retry a failed
    /// connection at most twice; pull and delete are sent exactly once.
    pub(crate) async fn call(
        &self,
        op: Operation,
        method: Method,
        url: Url,
    ) -> Result<DeviceResponse, DeviceError> {
        let span = tracing::info_span!("device_call", device = %self.config.id, op = op.as_str());
        async {
            let started = Instant::now();
            let mut attempt = 0u32;
            let result = loop {
                attempt += 1;
                let result = self.attempt(op, method.clone(), url.clone()).await;
                // Connect timeouts are `Unreachable` too: nothing was sent, so a read may retry.
                let retry = attempt < op.attempts()
                    && matches!(result, Err(DeviceError::Unreachable { .. }));
                if !retry {
                    break result;
                }
                tokio::time::sleep(crate::retry::backoff(attempt)).await;
            };
            let elapsed_ms = started.elapsed().as_millis();
            match &result {
                Ok(r) => tracing::debug!(
                    status = r.status.as_u16(),
                    elapsed_ms,
                    attempt,
                    "device answered"
                ),
                Err(e) => tracing::warn!(error = %e, elapsed_ms, attempt, "device call failed"),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn attempt(
        &self,
        op: Operation,
        method: Method,
        url: Url,
    ) -> Result<DeviceResponse, DeviceError> {
        let timeout = self.config.timeouts.limit(op);
        let (name, value) = self.auth_header()?;
        let sent = self
            .http
            .request(method, url)
            .timeout(timeout)
            .header(name, value)
            .send()
            .await
            .map_err(|e| classify_transport_error(&e, self, timeout))?;
        let status = sent.status();
        // Shown to users in error messages, so cleaned like any device text.
        let content_type = sent
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| crate::redact::clean(v, &self.redactor))
            .map(|v| v.chars().take(80).collect::<String>());
        let body = self.read_body(sent, status, &content_type, timeout).await?;
        let response = DeviceResponse {
            status,
            content_type,
            body,
        };
        if status.is_success() {
            Ok(response)
        } else {
            Err(self.status_error(&response))
        }
    }

    fn auth_header(&self) -> Result<(HeaderName, HeaderValue), DeviceError> {
        let token = self.config.token.expose_secret();
        let (name, text) = match self.config.auth {
            AuthMode::Basic => (
                AUTHORIZATION,
                format!("Basic {}", STANDARD.encode(format!("{token}:"))),
            ),
            AuthMode::XAuthToken => (HeaderName::from_static("x-authtoken"), token.to_owned()),
        };
        let mut value = HeaderValue::from_str(&text).map_err(|_| {
            DeviceError::Config(
                "the device token contains characters not allowed in a header".into(),
            )
        })?;
        // Sensitive values are left out of every Debug rendering of the request.
        value.set_sensitive(true);
        Ok((name, value))
    }

    async fn read_body(
        &self,
        response: reqwest::Response,
        status: StatusCode,
        content_type: &Option<String>,
        timeout: Duration,
    ) -> Result<Bytes, DeviceError> {
        let limit = self.config.max_response_bytes;
        let too_large = || DeviceError::BadResponse {
            status: status.as_u16(),
            content_type: content_type.clone(),
            problem: BadResponseKind::TooLarge,
        };
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = BytesMut::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                if e.is_timeout() {
                    DeviceError::Timeout {
                        endpoint: self.endpoint.clone(),
                        stage: TimeoutStage::Response,
                        after: timeout,
                    }
                } else {
                    DeviceError::BadResponse {
                        status: status.as_u16(),
                        content_type: content_type.clone(),
                        problem: BadResponseKind::Incomplete,
                    }
                }
            })?;
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    fn status_error(&self, response: &DeviceResponse) -> DeviceError {
        let status = response.status.as_u16();
        let message = extract_message(&response.body, &self.redactor);
        match status {
            400 => DeviceError::BadRequest { message },
            401 => DeviceError::Unauthorized,
            403 => DeviceError::Forbidden,
            404 => DeviceError::NotFound { message },
            405 | 501 => DeviceError::Unsupported { status, message },
            // A proxy's HTML error page is reported as such, never passed on.
            500..=599 if !response.body.is_empty() && !is_json(&response.body) => {
                response.bad(BadResponseKind::NotJson)
            }
            500..=599 => DeviceError::Server { status, message },
            _ => DeviceError::UnexpectedStatus { status, message },
        }
    }
}

fn is_json(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}
