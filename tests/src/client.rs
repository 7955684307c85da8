//! An HTTP client for the panel that behaves like the web app: it keeps the session cookie
//! from `Set-Cookie` and sends it back, sends `x-lem-panel: 1` on state-changing requests,
//! never follows redirects, and records every response (headers and body) in a transcript so
//! tests can search everything a browser would have received.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, HeaderMap, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Every response a set of clients received: status line, headers and body, in order.
#[derive(Debug, Clone, Default)]
pub struct Transcript(Arc<Mutex<Vec<u8>>>);

impl Transcript {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn record(&self, method: &Method, url: &str, reply: &Reply) {
        let mut out = self.lock();
        out.extend_from_slice(format!("{method} {url} -> {}\n", reply.status).as_bytes());
        for (name, value) in &reply.headers {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&reply.bytes);
        out.extend_from_slice(b"\n\n");
    }

    /// Everything recorded so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.lock().clone()
    }

    /// Everything recorded so far, as (lossy) text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }
}

/// One panel response: status, headers, body (raw, as text, and parsed when it is JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    pub body: Value,
    /// The body as (lossy) UTF-8 text.
    pub text: String,
    /// The body bytes as received (after content decoding, which this client never asks for).
    pub bytes: Vec<u8>,
    /// How long the request took, from sending to the last body byte.
    pub elapsed: Duration,
}

impl Reply {
    /// The error envelope's `code` (`""` when there is none).
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The error envelope's `message` (`""` when there is none).
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    /// The error envelope's `hint` (`""` when there is none).
    pub fn hint(&self) -> &str {
        self.body["error"]["hint"].as_str().unwrap_or("")
    }

    /// The error envelope's `field` (`""` when there is none).
    pub fn field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or("")
    }

    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

/// Shared by every client of one test app: where the panel is now (it moves on restart).
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// `http://127.0.0.1:PORT` without a trailing slash.
    pub(crate) origin: Arc<RwLock<String>>,
    /// The base path with a trailing slash (`/` or `/registry/`).
    pub(crate) base: String,
    /// The configured device id.
    pub(crate) device: String,
}

impl Target {
    pub(crate) fn origin(&self) -> String {
        self.origin
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A browser-like client of one panel, with its own cookie jar. Clone it to share the jar;
/// use [`crate::TestApp::new_client`] for an independent session.
#[derive(Debug, Clone)]
pub struct PanelClient {
    http: reqwest::Client,
    pub(crate) target: Target,
    cookie: Arc<Mutex<Option<String>>>,
    transcript: Transcript,
    record: bool,
}

/// A plain-HTTP client for the panel. The TLS config is never used (the panel is reached over
/// `http://`), but reqwest is built without a default crypto provider, so it is given one.
pub(crate) fn http_client() -> reqwest::Client {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map(|b| {
        b.with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    });
    #[expect(
        clippy::disallowed_methods,
        reason = "test client for the panel, not a device client"
    )]
    let mut builder = reqwest::Client::builder();
    if let Ok(tls) = tls {
        builder = builder.tls_backend_preconfigured(tls);
    }
    builder
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .build()
        .unwrap_or_else(|e| panic!("cannot build the panel test client: {e}"))
}

impl PanelClient {
    pub(crate) fn new(http: reqwest::Client, target: Target, transcript: Transcript) -> Self {
        Self {
            http,
            target,
            cookie: Arc::default(),
            transcript,
            record: true,
        }
    }

    /// This client without the transcripts: for load tests, whose millions of response bytes
    /// would otherwise be kept in memory (check what matters in each reply instead).
    #[must_use]
    pub fn unrecorded(mut self) -> Self {
        self.record = false;
        self
    }

    /// The panel's URL with the base path and a trailing slash, e.g. `http://127.0.0.1:4711/registry/`.
    pub fn panel_url(&self) -> String {
        format!("{}{}", self.target.origin(), self.target.base)
    }

    /// The configured device id.
    pub fn device_id(&self) -> &str {
        &self.target.device
    }

    /// The `name=value` pair of the session cookie this client holds, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookie
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the session cookie (`name=value`), e.g. to replay an old one.
    pub fn set_session_cookie(&self, pair: Option<String>) {
        *self.cookie.lock().unwrap_or_else(PoisonError::into_inner) = pair;
    }

    /// Sends `method` to `path` relative to the base path (`api/v1/devices`; a leading `/`
    /// is ignored), with an optional JSON body, like the web app does.
    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let url = format!("{}{}", self.panel_url(), path.trim_start_matches('/'));
        self.send(method, &url, body, &[]).await
    }

    /// Sends `method` to `path` relative to the server's root, ignoring the base path
    /// (`/registry`, `/api/v1/devices`), with extra headers.
    pub async fn request_from_root(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let url = format!("{}{path}", self.target.origin());
        self.send(method, &url, body, headers).await
    }

    /// Like [`PanelClient::request_from_root`], but a failed connection (refused, reset, the
    /// panel killed mid-request) is an `Err` with the reason instead of a panic.
    pub async fn try_request_from_root(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, String> {
        let url = format!("{}{path}", self.target.origin());
        self.try_send(method, &url, body, headers).await
    }

    /// Like [`PanelClient::request`], but a failed connection is an `Err` instead of a panic.
    pub async fn try_request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        let url = format!("{}{}", self.panel_url(), path.trim_start_matches('/'));
        self.try_send(method, &url, body, &[]).await
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.try_send(method.clone(), url, body, headers)
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"))
    }

    async fn try_send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, String> {
        let mut request = self.http.request(method.clone(), url);
        if !matches!(method, Method::GET | Method::HEAD) {
            request = request.header(shared::CSRF_HEADER, shared::CSRF_HEADER_VALUE);
        }
        if let Some(cookie) = self.session_cookie() {
            request = request.header(COOKIE, cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let started = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| format!("no response from the panel: {e}"))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("body not readable: {e}"))?
            .to_vec();
        let reply = Reply {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
            headers,
            elapsed: started.elapsed(),
        };
        self.remember_cookie(&reply.headers);
        if self.record {
            self.transcript.record(&method, url, &reply);
            crate::transcript::record_global(&method, url, &reply);
        }
        Ok(reply)
    }

    fn remember_cookie(&self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or_default().trim();
            let cleared = pair.ends_with('=')
                || text
                    .split(';')
                    .any(|attr| attr.trim().eq_ignore_ascii_case("max-age=0"));
            self.set_session_cookie((!cleared).then(|| pair.to_owned()));
        }
    }

    pub(crate) fn transcript(&self) -> &Transcript {
        &self.transcript
    }
}
