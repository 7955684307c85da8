//! One test rig: a simulated device (its own process), the real `lem-panel` binary configured
//! for it (its own process), a direct device client (the reference) and an HTTP client for the
//! panel. Every measure starts a fresh rig, so they do not disturb each other.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lem_client::{AuthMode, DeviceClient, DeviceConfig, ProxySetting, SecretString, TlsPolicy};
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde::de::DeserializeOwned;
use tokio::process::Command;

use crate::procs::Proc;
use crate::{Result, fail};

/// The device id in the panel's configuration.
pub const DEVICE: &str = "sim";
/// The simulated device's API token.
const TOKEN: &str = "bench-device-token-7f3a";
/// The bench user (an admin).
pub const USER: &str = "bench";
/// The bench user's password.
pub const PASSWORD: &str = "bench-password-for-measuring";
/// What Chromium sends.
pub const BROWSER_ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// Paths the rig needs.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The workspace root.
    pub root: PathBuf,
    /// `target/release/lem-panel`.
    pub panel_bin: PathBuf,
}

/// How a rig starts.
#[derive(Debug, Clone, Copy)]
pub struct RigOptions {
    /// Device latency each way (user-space delay in the simulator).
    pub latency: Duration,
    /// Synthetic rows (0 = the 38-row fixture).
    pub rows: usize,
}

/// The simulator host process.
#[derive(Debug)]
pub struct Sim {
    /// The process.
    pub proc: Proc,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    /// SHA-256 fingerprint of its certificate.
    pub fingerprint: String,
}

/// What the simulator counted.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimCounters {
    /// HTTP requests.
    pub requests: u64,
    /// List calls.
    pub list: u64,
    /// TCP connections accepted.
    pub tcp_connections: u64,
    /// Completed TLS handshakes.
    pub tls_handshakes: u64,
}

impl Sim {
    async fn start(paths_tmp: &Path, options: RigOptions) -> Result<Self> {
        let mut command = Command::new(own_executable()?);
        command
            .arg("sim-host")
            .arg("--token")
            .arg(TOKEN)
            .arg("--latency-us")
            .arg(options.latency.as_micros().to_string())
            .arg("--rows")
            .arg(options.rows.to_string());
        let mut proc = Proc::spawn("simulator", command, &paths_tmp.join("sim.log"))?;
        let url = proc
            .expect_line("lem-sim listening on ", Duration::from_secs(20))
            .await?;
        let fingerprint = proc
            .expect_line(
                "lem-sim certificate sha256 fingerprint ",
                Duration::from_secs(5),
            )
            .await?;
        Ok(Self {
            proc,
            url,
            fingerprint,
        })
    }

    /// The counters since start or the last reset.
    pub async fn counters(&mut self) -> Result<SimCounters> {
        let reply = self.proc.command("counters").await?;
        let json = reply
            .strip_prefix("counters ")
            .ok_or_else(|| fail(format!("odd counters reply {reply:?}")))?;
        Ok(serde_json::from_str(json)?)
    }

    /// Sets the latency added each way.
    pub async fn set_latency(&mut self, latency: Duration) -> Result<()> {
        self.proc
            .command(&format!("latency-us {}", latency.as_micros()))
            .await
            .map(drop)
    }

    /// Makes the device's next list answer differ from the last one (one timestamp moves
    /// by a millisecond), so the panel cannot reuse its translation.
    pub async fn touch(&mut self) -> Result<()> {
        self.proc.command("touch").await.map(drop)
    }

    /// Replaces the rows (0 = fixture).
    pub async fn set_rows(&mut self, rows: usize) -> Result<()> {
        self.proc.command(&format!("rows {rows}")).await.map(drop)
    }
}

/// A logged-in panel session.
#[derive(Debug, Clone)]
pub struct Session {
    cookie: String,
}

impl Session {
    /// The `Cookie` header value (`name=value`).
    pub fn cookie(&self) -> &str {
        &self.cookie
    }
}

/// An answer from the panel, body decompressed.
#[derive(Debug)]
pub struct PanelResponse {
    /// HTTP status.
    pub status: u16,
    /// Body bytes as sent (possibly compressed).
    pub wire_bytes: usize,
    /// Body, decompressed.
    pub body: Vec<u8>,
    /// `Content-Encoding`, if any.
    pub encoding: Option<String>,
}

impl PanelResponse {
    /// Parses the body as JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            fail(format!(
                "status {}: cannot parse the panel's answer: {e}: {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            ))
        })
    }

    /// Fails unless the status is `expected`.
    pub fn expect(self, expected: u16) -> Result<Self> {
        if self.status == expected {
            Ok(self)
        } else {
            Err(fail(format!(
                "expected {expected}, got {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )))
        }
    }
}

/// A running rig.
#[derive(Debug)]
pub struct Rig {
    /// Config, database and logs (removed when the rig is dropped).
    _tmp: tempfile::TempDir,
    /// The simulator host.
    pub sim: Sim,
    /// The panel process.
    pub panel: Proc,
    /// `http://127.0.0.1:PORT/`.
    pub panel_url: String,
    /// The reference: the device client the panel itself uses, called directly.
    pub direct: Arc<DeviceClient>,
    /// Plain HTTP client for the panel.
    pub http: reqwest::Client,
}

impl Rig {
    /// Starts a simulator and a panel configured for it, with one admin user.
    pub async fn start(paths: &Paths, options: RigOptions) -> Result<Self> {
        let tmp = tempfile::Builder::new().prefix("lem-bench-").tempdir()?;
        let sim = Sim::start(tmp.path(), options).await?;
        let config = tmp.path().join("panel.toml");
        std::fs::write(
            &config,
            format!(
                r#"listen = "127.0.0.1:0"
database = {db:?}

[[devices]]
id = "{DEVICE}"
name = "Simulated device"
url = "{url}"
tls = "pin"
sha256 = "{fp}"
proxy = "none"
"#,
                db = tmp.path().join("panel.db").display().to_string(),
                url = sim.url,
                fp = sim.fingerprint,
            ),
        )?;
        add_user(&paths.panel_bin, &config, USER, tmp.path()).await?;
        let mut command = Command::new(&paths.panel_bin);
        command.arg("--config").arg(&config).env(token_env(), TOKEN);
        let mut panel = Proc::spawn("lem-panel", command, &tmp.path().join("panel.log"))?;
        let addr = panel
            .expect_line("lem-panel listening on ", Duration::from_secs(30))
            .await
            .map_err(|e| {
                let log = std::fs::read_to_string(tmp.path().join("panel.log")).unwrap_or_default();
                fail(format!("{e}\n{log}"))
            })?;
        let mut device = DeviceConfig::new(
            "sim",
            url::Url::parse(&sim.url)?,
            SecretString::from(TOKEN.to_owned()),
            TlsPolicy::Pin {
                sha256: lem_client::parse_fingerprint(&sim.fingerprint)
                    .ok_or_else(|| fail("odd fingerprint"))?,
            },
        );
        device.auth = AuthMode::Basic;
        device.proxy = ProxySetting::None;
        let direct = Arc::new(DeviceClient::new(device)?);
        Ok(Self {
            _tmp: tmp,
            sim,
            panel,
            panel_url: addr,
            direct,
            http: panel_http_client()?,
        })
    }

    /// Logs the bench user in (one Argon2id verification in the panel).
    pub async fn login(&self) -> Result<Session> {
        let response = self
            .http
            .post(format!("{}api/v1/session", self.panel_url))
            .header(CONTENT_TYPE, "application/json")
            .header("x-lem-panel", "1")
            .body(serde_json::json!({"username": USER, "password": PASSWORD}).to_string())
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(fail(format!("login failed: {}", response.status())));
        }
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.split(';').next().filter(|c| c.contains("session=")))
            .ok_or_else(|| fail("no session cookie"))?
            .to_owned();
        Ok(Session { cookie })
    }

    /// `n` sessions, logged in two at a time (Argon2id needs 19 MiB each).
    pub async fn sessions(&self, n: usize) -> Result<Vec<Session>> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let batch = (n - out.len()).min(2);
            let logins = (0..batch).map(|_| self.login());
            for session in futures_util::future::join_all(logins).await {
                out.push(session?);
            }
        }
        Ok(out)
    }

    /// The panel URL for an API path (no leading slash).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.panel_url)
    }

    /// `GET` with the session, body read and decompressed.
    pub async fn get(&self, session: &Session, path: &str) -> Result<PanelResponse> {
        let request = self
            .http
            .get(self.url(path))
            .header(ACCEPT_ENCODING, BROWSER_ACCEPT_ENCODING);
        send(request, session).await
    }

    /// `GET` with the session, asking for no compression (`Accept-Encoding: identity`).
    pub async fn get_identity(&self, session: &Session, path: &str) -> Result<PanelResponse> {
        let request = self
            .http
            .get(self.url(path))
            .header(ACCEPT_ENCODING, "identity");
        send(request, session).await
    }

    /// `POST` of JSON with the session and the CSRF header.
    pub async fn post(
        &self,
        session: &Session,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<PanelResponse> {
        let request = self
            .http
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/json")
            .header("x-lem-panel", "1")
            .header(ACCEPT_ENCODING, BROWSER_ACCEPT_ENCODING)
            .body(body.to_string());
        send(request, session).await
    }

    /// Stops both processes.
    pub async fn stop(self) {
        self.panel.stop().await;
        self.sim.proc.stop().await;
    }
}

/// Sends a request with the session cookie, reads and decodes the body.
pub async fn send(request: reqwest::RequestBuilder, session: &Session) -> Result<PanelResponse> {
    let response = request.header(COOKIE, &session.cookie).send().await?;
    let status = response.status().as_u16();
    let encoding = response
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let wire = response.bytes().await?;
    let body = decode(encoding.as_deref(), &wire)?;
    Ok(PanelResponse {
        status,
        wire_bytes: wire.len(),
        body,
        encoding,
    })
}

/// Sends a request with the session and reads the body without decoding it (load generators).
pub async fn send_raw(request: reqwest::RequestBuilder, session: &Session) -> Result<(u16, usize)> {
    let response = request
        .header(COOKIE, &session.cookie)
        .header(ACCEPT_ENCODING, BROWSER_ACCEPT_ENCODING)
        .send()
        .await?;
    let status = response.status().as_u16();
    let body = response.bytes().await?;
    Ok((status, body.len()))
}

/// Decompresses a body by its `Content-Encoding`.
pub fn decode(encoding: Option<&str>, wire: &[u8]) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::with_capacity(wire.len() * 4);
    match encoding {
        None | Some("identity") => out.extend_from_slice(wire),
        Some("br") => {
            brotli::Decompressor::new(wire, 64 * 1024).read_to_end(&mut out)?;
        }
        Some("zstd") => {
            zstd::stream::read::Decoder::new(wire)?.read_to_end(&mut out)?;
        }
        Some("gzip") => {
            flate2::read::GzDecoder::new(wire).read_to_end(&mut out)?;
        }
        Some("deflate") => {
            flate2::read::ZlibDecoder::new(wire).read_to_end(&mut out)?;
        }
        Some(other) => return Err(fail(format!("unexpected content-encoding {other}"))),
    }
    Ok(out)
}

/// The plain-HTTP client for the panel (loopback, keep-alive, no TLS).
pub fn panel_http_client() -> Result<reqwest::Client> {
    #[expect(
        clippy::disallowed_methods,
        reason = "a plain HTTP client for the panel under test, not a device client"
    )]
    let builder = reqwest::Client::builder();
    Ok(builder
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(512)
        .pool_idle_timeout(Duration::from_secs(120))
        .timeout(Duration::from_secs(60))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// This very program, for the simulator host. On Linux `/proc/self/exe` names the running
/// image even after `cargo build` has replaced the file on disk (as the build step at the start
/// of a run may do); elsewhere the path it was started from.
fn own_executable() -> Result<std::path::PathBuf> {
    let proc_exe = Path::new("/proc/self/exe");
    if proc_exe.exists() {
        return Ok(proc_exe.to_path_buf());
    }
    Ok(std::env::current_exe()?)
}

fn token_env() -> String {
    format!("LEM_PANEL_DEVICE_{}_TOKEN", DEVICE.to_ascii_uppercase())
}

async fn add_user(panel_bin: &Path, config: &Path, name: &str, tmp: &Path) -> Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut child = Command::new(panel_bin)
        .arg("--config")
        .arg(config)
        .args(["users", "add", name, "--role", "admin", "--password-stdin"])
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .env(token_env(), TOKEN)
        .stderr(std::fs::File::create(tmp.join("users-add.log"))?)
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(format!("{PASSWORD}\n").as_bytes()).await?;
    }
    let status = child.wait().await?;
    if !status.success() {
        let log = std::fs::read_to_string(tmp.join("users-add.log")).unwrap_or_default();
        return Err(fail(format!("lem-panel users add failed: {log}")));
    }
    Ok(())
}
