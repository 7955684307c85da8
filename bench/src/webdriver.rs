//! A minimal W3C WebDriver client for chromedriver (new session, navigate, execute scripts,
//! Chrome DevTools commands), over the same plain-HTTP client the bench uses for the panel.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Command;

use crate::procs::Proc;
use crate::{Result, fail};

/// A running chromedriver.
#[derive(Debug)]
pub struct Driver {
    proc: Proc,
    http: reqwest::Client,
    base: String,
}

/// A free loopback port (bound and released; the race is harmless here).
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Whether chromium and chromedriver are installed.
pub fn available() -> Option<(String, String)> {
    let find = |names: &[&str]| {
        names.iter().find_map(|name| {
            std::process::Command::new("which")
                .arg(name)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        })
    };
    Some((
        find(&["chromium", "chromium-browser", "google-chrome"])?,
        find(&["chromedriver"])?,
    ))
}

impl Driver {
    /// Starts chromedriver on a free port.
    pub async fn start(chromedriver: &str, log: &Path) -> Result<Self> {
        let port = free_port()?;
        let mut command = Command::new(chromedriver);
        command.arg(format!("--port={port}"));
        let mut proc = Proc::spawn("chromedriver", command, log)?;
        proc.expect_line(
            "ChromeDriver was started successfully",
            Duration::from_secs(20),
        )
        .await?;
        Ok(Self {
            proc,
            http: crate::rig::panel_http_client()?,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    /// A new headless Chromium with a fresh profile in `profile`.
    pub async fn browser(&self, chromium: &str, profile: &Path) -> Result<Browser> {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"script": 120_000, "pageLoad": 120_000},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let response: Value = self
            .http
            .post(format!("{}/session", self.base))
            .json_body(&caps)
            .send()
            .await?
            .json_value()
            .await?;
        let id = response["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| fail(format!("chromedriver: no session: {response}")))?;
        Ok(Browser {
            http: self.http.clone(),
            url: format!("{}/session/{id}", self.base),
        })
    }

    /// Stops chromedriver.
    pub async fn stop(self) {
        self.proc.stop().await;
    }
}

/// One WebDriver session (one Chromium).
#[derive(Debug)]
pub struct Browser {
    http: reqwest::Client,
    url: String,
}

impl Browser {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json_body(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let value = response.json_value().await?;
        if !status.is_success() {
            return Err(fail(format!(
                "webdriver {path}: {status}: {}",
                value["value"]
            )));
        }
        Ok(value["value"].clone())
    }

    /// Navigates and waits for the load event.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await
            .map(drop)
    }

    /// Runs a synchronous script and returns its value.
    pub async fn execute(&self, script: &str, args: Value) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Runs an asynchronous script (its last argument is the callback) and returns its value.
    pub async fn execute_async(&self, script: &str, args: Value) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// A Chrome DevTools Protocol command (chromedriver's `goog/cdp/execute`).
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
        .await
    }

    /// Polls `script` (a synchronous script returning a value) until it returns non-null.
    pub async fn wait_for(&self, script: &str, timeout: Duration) -> Result<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let value = self.execute(script, json!([])).await?;
            if !value.is_null() && value != Value::Bool(false) {
                return Ok(value);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(fail(format!("timed out waiting for: {script}")));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Ends the session (closes Chromium).
    pub async fn quit(self) {
        let _ = self.http.delete(&self.url).send().await;
    }
}

/// JSON bodies without reqwest's `json` feature.
trait JsonBody {
    fn json_body(self, value: &Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, value: &Value) -> Self {
        self.header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(value.to_string())
    }
}

/// JSON answers without reqwest's `json` feature.
trait JsonValue {
    async fn json_value(self) -> Result<Value>;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Result<Value> {
        let bytes = self.bytes().await?;
        Ok(serde_json::from_slice(&bytes)?)
    }
}
