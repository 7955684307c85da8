//! Real headless Chromium for the end-to-end tests, driven over WebDriver with `fantoccini` and
//! `chromedriver`.
//!
//! - One chromedriver serves the whole test binary ([`Driver`]): started on first use on a free
//!   port, ready once its `/status` endpoint says so, and killed with its whole process group
//!   (every Chromium it started) when the binary exits, however it exits: a small `sh` guard
//!   waits on a pipe whose write end only this process holds.
//! - Each test opens its own [`Browser`] (a fresh profile in a temporary directory, its own
//!   window size) against its own `TestApp`; at most [`MAX_BROWSERS`] are open at once.
//! - [`run`] runs a test body and, when it fails (an error, a panic or a console problem), saves
//!   a screenshot to `tests/artifacts/<test>.png` before reporting the failure.
//! - Every test fails on a Content-Security-Policy violation, an uncaught error or a Rust panic
//!   in the page: the console is read through chromedriver's log endpoint
//!   (`POST /session/{id}/se/log`, capability `goog:loggingPrefs`), and a
//!   `securitypolicyviolation` listener is installed before any page script runs.
//!
//! Nothing is downloaded: Chromium and chromedriver must be installed (`./x test` installs
//! them), and the web app must be built into `dist/` (`trunk build --release --offline`).
//! `LEM_SKIP_BROWSER=1` skips the browser tests for quick local runs; `LEM_BROWSER_DIST` tests
//! a web app built elsewhere; `LEM_CHROMIUM` and `LEM_CHROMEDRIVER` name the executables when
//! they are not `chromium` and `chromedriver` on `PATH`.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::FileExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Set to `1` to skip every browser test (quick local runs only; CI always runs them).
pub const SKIP_ENV: &str = "LEM_SKIP_BROWSER";

/// Browsers open at once across the test binary (each Chromium is several processes).
pub const MAX_BROWSERS: usize = 2;

/// How long a wait for something on the page lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// The time zone every browser runs in (Chromium reads `TZ`), so dates are deterministic.
pub const BROWSER_TIME_ZONE: &str = "Europe/Berlin";

/// How often a wait re-checks the page.
const POLL: Duration = Duration::from_millis(40);

/// How long chromedriver may take to say it is ready.
const DRIVER_START: Duration = Duration::from_secs(30);

static BROWSERS: Semaphore = Semaphore::const_new(MAX_BROWSERS);

/// A browser window size in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Window {
    /// A laptop screen: 1280 × 900.
    pub const DESKTOP: Window = Window {
        width: 1280,
        height: 900,
    };
    /// A phone held upright: 375 × 812.
    pub const PHONE: Window = Window {
        width: 375,
        height: 812,
    };
}

/// Why a browser test step failed. Built from any displayable error, so `?` works on
/// WebDriver errors, I/O errors and strings alike.
#[derive(Debug)]
pub struct Failure(pub String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure(error.to_string())
    }
}

/// What a test body returns.
pub type Outcome = Result<(), Failure>;

/// A failure with this message.
pub fn fail(message: impl Into<String>) -> Failure {
    Failure(message.into())
}

/// The repository's root directory.
pub fn workspace_dir() -> PathBuf {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR"));
    tests.parent().unwrap_or(tests).to_owned()
}

/// Where failure screenshots (and the README screenshot) go: `tests/artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts")
}

/// Set to a directory to test a web app built there instead of `dist/`.
pub const DIST_ENV: &str = "LEM_BROWSER_DIST";

/// The built web app (`dist/`, or [`DIST_ENV`]), or `None` when [`SKIP_ENV`] is `1`. Panics
/// with what to run when it has not been built: the browser tests are never skipped silently.
pub fn web_app_dir() -> Option<PathBuf> {
    if std::env::var(SKIP_ENV).is_ok_and(|v| v.trim() == "1") {
        eprintln!("{SKIP_ENV}=1: skipping a browser test");
        return None;
    }
    let dist =
        std::env::var_os(DIST_ENV).map_or_else(|| workspace_dir().join("dist"), PathBuf::from);
    assert!(
        dist.join("index.html").is_file(),
        "the browser tests need the built web app, but {} does not exist. Build it first with \
         `trunk build --release --offline` in {} (`./x test` does this), or set {SKIP_ENV}=1 \
         to skip the browser tests in a quick local run.",
        dist.join("index.html").display(),
        workspace_dir().display(),
    );
    Some(dist)
}

/// Finds an executable: the environment variable `env` if set, else the first of `names` on
/// `PATH`.
fn executable(env: &str, names: &[&str]) -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(env) {
        return Ok(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "none of {names:?} is installed (or set {env}); the browser tests need Chromium and \
         chromedriver: `./x setup` or `apt-get install chromium chromium-driver`"
    ))
}

/// A free loopback port (bound, then released for chromedriver to take).
fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Runs chromedriver (`$0`, with the remaining arguments) in the background, waits until its
/// standard input reaches end of file, which happens when the test process exits or drops the
/// [`Driver`], then kills its own process group: chromedriver and every browser it started.
const GUARD_SCRIPT: &str = r#""$0" "$@" &
read -r _ignored
kill -KILL 0
"#;

/// The chromedriver process shared by the test binary.
pub struct Driver {
    /// `http://127.0.0.1:PORT/`.
    url: String,
    chromium: PathBuf,
    /// chromedriver's output: an unnamed temporary file, gone with the last descriptor.
    log: File,
    guard: Mutex<Option<ChildStdin>>,
    child: Mutex<Child>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("url", &self.url)
            .field("chromium", &self.chromium)
            .finish_non_exhaustive()
    }
}

/// The chromedriver shared by this test binary, started on first use.
pub fn driver() -> Result<&'static Driver, Failure> {
    static DRIVER: OnceLock<Result<Driver, String>> = OnceLock::new();
    DRIVER
        .get_or_init(Driver::start)
        .as_ref()
        .map_err(|e| fail(e.clone()))
}

impl Driver {
    /// Starts chromedriver on a free port and waits until it is ready (up to three ports, in
    /// case another process takes the port first).
    pub fn start() -> Result<Self, String> {
        let chromedriver = executable("LEM_CHROMEDRIVER", &["chromedriver"])?;
        let chromium = executable(
            "LEM_CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
        )?;
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = free_port()?;
            let log = tempfile::tempfile().map_err(|e| format!("no temporary file: {e}"))?;
            let (out, err) = log
                .try_clone()
                .and_then(|out| Ok((out, log.try_clone()?)))
                .map_err(|e| format!("no temporary file: {e}"))?;
            let mut child = std::os::unix::process::CommandExt::process_group(
                Command::new("sh")
                    .arg("-c")
                    .arg(GUARD_SCRIPT)
                    .arg(&chromedriver)
                    .arg(format!("--port={port}"))
                    .arg("--allowed-ips=127.0.0.1")
                    .env("TZ", BROWSER_TIME_ZONE)
                    .stdin(Stdio::piped())
                    .stdout(out)
                    .stderr(err),
                0,
            )
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromedriver.display()))?;
            let guard = child.stdin.take();
            match wait_until_ready(port, &log) {
                Ok(()) => {
                    return Ok(Self {
                        url: format!("http://127.0.0.1:{port}/"),
                        chromium,
                        log,
                        guard: Mutex::new(guard),
                        child: Mutex::new(child),
                    });
                }
                Err(e) => {
                    last_error = e;
                    // End of file on the guard's input: it kills chromedriver with itself.
                    drop(guard);
                    stop(&mut child);
                }
            }
        }
        Err(last_error)
    }

    /// The WebDriver URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// chromedriver's output so far (for failure messages).
    pub fn log_text(&self) -> String {
        read_log(&self.log)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // End of file on the guard's input: it kills chromedriver and its browsers.
        drop(
            self.guard
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        stop(&mut self.child.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// Waits for the guard to exit after its input closed (it kills its process group, itself
/// included); kills it after two seconds if it has not.
fn stop(guard: &mut Child) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        if !matches!(guard.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = guard.kill();
    let _ = guard.wait();
}

/// Everything written to `log` so far. Read at offsets: the descriptor's position is shared
/// with chromedriver's, which keeps writing.
fn read_log(log: &File) -> String {
    let mut text = Vec::new();
    let mut buffer = [0_u8; 8192];
    let mut offset = 0;
    while let Ok(n @ 1..) = log.read_at(&mut buffer, offset) {
        text.extend_from_slice(&buffer[..n]);
        offset += n as u64;
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// Polls chromedriver's `GET /status` until it reports `"ready": true`.
fn wait_until_ready(port: u16, log: &File) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if status_ready(port) {
            return Ok(());
        }
        if started.elapsed() > DRIVER_START {
            return Err(format!(
                "chromedriver did not become ready on port {port} within {DRIVER_START:?}; its output:\n{}",
                read_log(log)
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn status_ready(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str::<Value>(body).is_ok_and(|v| v["value"]["ready"] == true)
}

/// One entry of the browser console as chromedriver reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleEntry {
    /// `SEVERE`, `WARNING`, `INFO`, `DEBUG`.
    pub level: String,
    /// `console-api`, `javascript`, `network`, `security`, …
    pub source: String,
    /// The message (starts with the URL of its source).
    pub message: String,
}

impl ConsoleEntry {
    /// Whether this entry fails a test: a CSP violation, an uncaught error, a Rust panic, or
    /// anything the page itself logged as an error. Failed requests (`network`) are expected:
    /// a 401 before logging in, a 502 from a failing device.
    pub fn is_problem(&self) -> bool {
        let message = self.message.to_ascii_lowercase();
        self.source == "security"
            || self.source == "javascript"
            || (self.source == "console-api" && self.level == "SEVERE")
            || message.contains("content security policy")
            || message.contains("refused to")
            || message.contains("panicked at")
            || message.contains("uncaught")
            || message.contains("runtimeerror")
    }
}

impl std::fmt::Display for ConsoleEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{} {}] {}", self.level, self.source, self.message)
    }
}

/// Runs in every document before the page's own scripts: records CSP violations (kept in
/// `sessionStorage`, so they survive navigations in the tab) and counts history changes.
const PRELOAD: &str = r"
(() => {
  const key = 'lem-test-csp-violations';
  document.addEventListener('securitypolicyviolation', (e) => {
    try {
      const seen = JSON.parse(sessionStorage.getItem(key) || '[]');
      seen.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' in ' + (e.sourceFile || location.href) + ':' + e.lineNumber);
      sessionStorage.setItem(key, JSON.stringify(seen));
    } catch (_) {}
  });
  window.__lemHistory = [];
  for (const method of ['pushState', 'replaceState']) {
    const original = history[method];
    history[method] = function (state, title, url) {
      window.__lemHistory.push(method + ' ' + String(url));
      return original.apply(this, arguments);
    };
  }
})();
";

/// A WebDriver command chromedriver has but `fantoccini` does not name: `METHOD
/// /session/{id}/{path}` with a JSON body.
#[derive(Debug)]
struct SessionCommand {
    method: http::Method,
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for SessionCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(Value::to_string),
        )
    }
}

/// One headless Chromium session on one panel.
pub struct Browser {
    client: Client,
    base_url: String,
    window: Window,
    console: Mutex<Vec<ConsoleEntry>>,
    _profile: tempfile::TempDir,
    _permit: SemaphorePermit<'static>,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("base_url", &self.base_url)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

/// The CSS selector of a `data-testid`.
pub fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

fn truthy(value: &Value) -> bool {
    !matches!(value, Value::Null | Value::Bool(false))
}

impl Browser {
    /// Opens a new Chromium (fresh profile, this window size) for the panel at `base_url` (its
    /// URL with the base path and a trailing slash). Waits for a free browser slot first.
    pub async fn open(base_url: &str, window: Window) -> Result<Self, Failure> {
        let permit = BROWSERS
            .acquire()
            .await
            .map_err(|e| fail(format!("browser slots closed: {e}")))?;
        let driver = driver()?;
        let profile = tempfile::Builder::new()
            .prefix("lem-panel-chromium-")
            .tempdir()?;
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"implicit": 0, "pageLoad": 60_000, "script": 60_000},
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": driver.chromium,
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
                    "--disable-extensions",
                    "--lang=en-US",
                    format!("--window-size={},{}", window.width, window.height),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            return Err(fail("capabilities are an object"));
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(driver.url())
            .await
            .map_err(|e| {
                fail(format!(
                    "chromedriver did not open a browser: {e}\nchromedriver output:\n{}",
                    driver.log_text()
                ))
            })?;
        let browser = Self {
            client,
            base_url: base_url.to_owned(),
            window,
            console: Mutex::new(Vec::new()),
            _profile: profile,
            _permit: permit,
        };
        browser
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({"source": PRELOAD}),
            )
            .await?;
        browser.fit_viewport().await?;
        Ok(browser)
    }

    /// Makes the page's viewport exactly the window size (the headless window's own frame
    /// takes some height, and a phone's width is below a desktop window's minimum).
    async fn fit_viewport(&self) -> Outcome {
        let inner = self
            .js("return [window.innerWidth, window.innerHeight]", vec![])
            .await?;
        if inner != json!([self.window.width, self.window.height]) {
            self.cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({
                    "width": self.window.width,
                    "height": self.window.height,
                    "deviceScaleFactor": 1,
                    "mobile": self.window.width < 600,
                }),
            )
            .await?;
        }
        Ok(())
    }

    /// The WebDriver client, for anything these helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The panel's URL with the base path and a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The window size this browser was opened with.
    pub fn window(&self) -> Window {
        self.window
    }

    async fn session_command(
        &self,
        method: http::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        Ok(self
            .client
            .issue_cmd(SessionCommand {
                method,
                path: path.to_owned(),
                body,
            })
            .await?)
    }

    /// A Chrome DevTools Protocol command (chromedriver's `goog/cdp/execute`).
    pub async fn cdp(&self, command: &str, params: Value) -> Result<Value, Failure> {
        self.session_command(
            http::Method::POST,
            "goog/cdp/execute",
            Some(json!({"cmd": command, "params": params})),
        )
        .await
    }

    /// Opens `path` (relative to the panel's base URL, e.g. `images` or `login`) as a full page
    /// load.
    pub async fn goto(&self, path: &str) -> Outcome {
        let url = format!("{}{}", self.base_url, path.trim_start_matches('/'));
        self.client.goto(&url).await?;
        Ok(())
    }

    /// Reloads the page (a full load of the same address).
    pub async fn reload(&self) -> Outcome {
        self.client.refresh().await?;
        Ok(())
    }

    /// The address bar's path, without the query (`/registry/images`).
    pub async fn path(&self) -> Result<String, Failure> {
        let value = self.js("return location.pathname", vec![]).await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// The address bar's path and query (`/registry/images?device=x`).
    pub async fn address(&self) -> Result<String, Failure> {
        let value = self
            .js("return location.pathname + location.search", vec![])
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Runs a synchronous script (`return …`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Result<Value, Failure> {
        Ok(self.client.execute(script, args).await?)
    }

    /// Runs an asynchronous script in the page; it calls `arguments[arguments.length - 1]`
    /// with its result.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Result<Value, Failure> {
        Ok(self.client.execute_async(script, args).await?)
    }

    /// Polls `script` until it returns something other than `null` or `false`, and returns it.
    /// Fails after [`WAIT`] saying what was awaited and what the page showed.
    pub async fn wait_until(
        &self,
        what: &str,
        script: &str,
        args: Vec<Value>,
    ) -> Result<Value, Failure> {
        let started = Instant::now();
        loop {
            let value = self.js(script, args.clone()).await?;
            if truthy(&value) {
                return Ok(value);
            }
            if started.elapsed() > WAIT {
                return Err(fail(format!(
                    "timed out after {WAIT:?} waiting for {what}; the page at {} shows:\n{}",
                    self.address().await.unwrap_or_default(),
                    self.page_text().await.unwrap_or_default()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until an element matches `css`.
    pub async fn wait_for(&self, css: &str) -> Outcome {
        self.wait_until(
            &format!("an element {css}"),
            "return document.querySelector(arguments[0]) !== null",
            vec![json!(css)],
        )
        .await
        .map(drop)
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) -> Outcome {
        self.wait_until(
            &format!("no element {css}"),
            "return document.querySelector(arguments[0]) === null",
            vec![json!(css)],
        )
        .await
        .map(drop)
    }

    /// Waits until the first element matching `css` has text containing `text`; returns its
    /// whole text.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> Result<String, Failure> {
        let value = self
            .wait_until(
                &format!("{css} to contain {text:?}"),
                "const e = document.querySelector(arguments[0]);
                 return e && e.textContent.includes(arguments[1]) ? e.textContent : null;",
                vec![json!(css), json!(text)],
            )
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until exactly `n` elements match `css`.
    pub async fn wait_count(&self, css: &str, n: usize) -> Outcome {
        self.wait_until(
            &format!("{n} elements {css}"),
            "return document.querySelectorAll(arguments[0]).length === arguments[1]",
            vec![json!(css), json!(n)],
        )
        .await
        .map(drop)
    }

    /// Waits until the address bar's path (without query) is `path`.
    pub async fn wait_for_path(&self, path: &str) -> Outcome {
        self.wait_until(
            &format!("the address {path}"),
            "return location.pathname === arguments[0]",
            vec![json!(path)],
        )
        .await
        .map(drop)
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> Result<usize, Failure> {
        let value = self
            .js(
                "return document.querySelectorAll(arguments[0]).length",
                vec![json!(css)],
            )
            .await?;
        Ok(value
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0))
    }

    /// Whether an element matches `css`.
    pub async fn exists(&self, css: &str) -> Result<bool, Failure> {
        Ok(self.count(css).await? > 0)
    }

    /// The text of every element matching `css`, in document order.
    pub async fn texts(&self, css: &str) -> Result<Vec<String>, Failure> {
        self.strings(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)",
            vec![json!(css)],
        )
        .await
    }

    /// The text of the first element matching `css` (fails when there is none).
    pub async fn text(&self, css: &str) -> Result<String, Failure> {
        self.texts(css)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| fail(format!("no element {css}")))
    }

    /// Attribute `name` of every element matching `css` (empty when missing).
    pub async fn attrs(&self, css: &str, name: &str) -> Result<Vec<String>, Failure> {
        self.strings(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.getAttribute(arguments[1]) || '')",
            vec![json!(css), json!(name)],
        )
        .await
    }

    async fn strings(&self, script: &str, args: Vec<Value>) -> Result<Vec<String>, Failure> {
        let value = self.js(script, args).await?;
        Ok(value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The page's visible text (for failure messages), at most 2,000 characters.
    pub async fn page_text(&self) -> Result<String, Failure> {
        let value = self
            .js(
                "return document.body ? document.body.innerText : ''",
                vec![],
            )
            .await?;
        Ok(value
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(2000)
            .collect())
    }

    /// Waits for the first element matching `css` and clicks it.
    pub async fn click(&self, css: &str) -> Outcome {
        self.wait_for(css).await?;
        // The app re-renders reactively: an element found a moment ago may be replaced.
        let mut last = None;
        for _ in 0..5 {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => match element.click().await {
                    Ok(()) => return Ok(()),
                    Err(e) => last = Some(e.to_string()),
                },
                Err(e) => last = Some(e.to_string()),
            }
            tokio::time::sleep(POLL).await;
        }
        Err(fail(format!(
            "could not click {css}: {}",
            last.unwrap_or_default()
        )))
    }

    /// Waits for the input matching `css`, empties it the way a person does (select all,
    /// Backspace: the page sees `input` events, which WebDriver's "clear" does not send) and
    /// types `text`.
    pub async fn fill(&self, css: &str, text: &str) -> Outcome {
        self.wait_for(css).await?;
        let element = self.client.find(Locator::Css(css)).await?;
        let select_all_and_erase: String = [
            char::from(Key::Control),
            'a',
            char::from(Key::Null),
            char::from(Key::Backspace),
        ]
        .into_iter()
        .collect();
        element.send_keys(&select_all_and_erase).await?;
        if !text.is_empty() {
            element.send_keys(text).await?;
        }
        Ok(())
    }

    /// Types `keys` into whichever element has the focus, as a keyboard-only user does
    /// (WebDriver key codes such as `Key::Tab` may be mixed in with text).
    pub async fn press(&self, keys: &str) -> Outcome {
        let focused = self.client.active_element().await?;
        focused.send_keys(keys).await?;
        Ok(())
    }

    /// Picks the option with `value` in the `<select>` matching `css` (a `change` event).
    pub async fn select(&self, css: &str, value: &str) -> Outcome {
        self.wait_for(css).await?;
        let element = self.client.find(Locator::Css(css)).await?;
        element.select_by_value(value).await?;
        Ok(())
    }

    /// The current value of the input matching `css`.
    pub async fn value(&self, css: &str) -> Result<String, Failure> {
        let value = self
            .js(
                "const e = document.querySelector(arguments[0]); return e ? e.value : null",
                vec![json!(css)],
            )
            .await?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| fail(format!("no input {css}")))
    }

    /// Logs in through the login page as a test user and waits for the signed-in shell.
    pub async fn login(&self, username: &str) -> Outcome {
        self.login_with(username, &crate::password_of(username))
            .await
    }

    /// Logs in through the login page and waits for the signed-in shell.
    pub async fn login_with(&self, username: &str, password: &str) -> Outcome {
        self.goto("login").await?;
        self.fill(&tid("login-username"), username).await?;
        self.fill(&tid("login-password"), password).await?;
        self.click(&tid("login-submit")).await?;
        self.wait_for(&tid("logout")).await
    }

    /// A `fetch` from the page (same origin, the page's cookies, the panel's CSRF header):
    /// returns `(status, body as JSON or text)`.
    pub async fn fetch(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), Failure> {
        let url = format!("{}{}", self.base_url, path.trim_start_matches('/'));
        let result = self
            .js_async(
                "const [method, url, body, done] = arguments;
                 const init = {method, credentials: 'same-origin',
                   headers: {'x-lem-panel': '1', 'accept': 'application/json'}};
                 if (body !== null) {
                   init.headers['content-type'] = 'application/json';
                   init.body = JSON.stringify(body);
                 }
                 fetch(url, init)
                   .then(async r => {
                     const text = await r.text();
                     let parsed = text;
                     try { parsed = JSON.parse(text); } catch (_) {}
                     done({status: r.status, body: parsed});
                   })
                   .catch(e => done({status: 0, body: String(e)}));",
                vec![json!(method), json!(url), body.unwrap_or(Value::Null)],
            )
            .await?;
        let status = result["status"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(0);
        Ok((status, result["body"].clone()))
    }

    /// Every URL the current document loaded: the document itself and every resource and API
    /// call (Resource Timing).
    pub async fn requested_urls(&self) -> Result<Vec<String>, Failure> {
        self.strings(
            "return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map(e => e.name)",
            vec![],
        )
        .await
    }

    /// The `pushState` / `replaceState` calls of the current document, oldest first.
    pub async fn history_changes(&self) -> Result<Vec<String>, Failure> {
        self.strings("return window.__lemHistory || []", vec![])
            .await
    }

    /// Saves a PNG screenshot of the viewport.
    pub async fn screenshot(&self, path: &Path) -> Outcome {
        let png = self.client.screenshot().await?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    /// Reads the console entries chromedriver collected since the last read.
    async fn read_console(&self) -> Outcome {
        let entries = self
            .session_command(
                http::Method::POST,
                "se/log",
                Some(json!({"type": "browser"})),
            )
            .await?;
        let mut console = self.console.lock().unwrap_or_else(PoisonError::into_inner);
        for entry in entries.as_array().map_or(&[][..], Vec::as_slice) {
            console.push(ConsoleEntry {
                level: entry["level"].as_str().unwrap_or_default().to_owned(),
                source: entry["source"].as_str().unwrap_or_default().to_owned(),
                message: entry["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        Ok(())
    }

    /// Every console entry so far.
    pub async fn console(&self) -> Result<Vec<ConsoleEntry>, Failure> {
        self.read_console().await?;
        Ok(self
            .console
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }

    /// Everything that must fail a test: console problems (see [`ConsoleEntry::is_problem`])
    /// and the CSP violations the page's listener recorded.
    pub async fn problems(&self) -> Result<Vec<String>, Failure> {
        let mut problems: Vec<String> = self
            .console()
            .await?
            .iter()
            .filter(|e| e.is_problem())
            .map(ToString::to_string)
            .collect();
        let recorded = self
            .js(
                "try { return JSON.parse(sessionStorage.getItem('lem-test-csp-violations') || '[]'); } catch (_) { return []; }",
                vec![],
            )
            .await
            .unwrap_or(Value::Null);
        for violation in recorded.as_array().map_or(&[][..], Vec::as_slice) {
            problems.push(format!(
                "securitypolicyviolation: {}",
                violation.as_str().unwrap_or_default()
            ));
        }
        Ok(problems)
    }

    /// Drops every problem seen so far (for a test that causes them on purpose).
    pub async fn forget_problems(&self) -> Outcome {
        self.read_console().await?;
        self.console
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.js(
            "sessionStorage.removeItem('lem-test-csp-violations'); return null",
            vec![],
        )
        .await?;
        Ok(())
    }

    /// Ends the session (Chromium exits).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// The screenshot path of a test: `tests/artifacts/<test>.png`.
pub fn artifact(test: &str) -> PathBuf {
    artifacts_dir().join(format!("{test}.png"))
}

/// Opens a browser on the panel at `base_url` and runs `body` with it. When the body returns
/// an error, panics, or the console shows a problem (CSP violation, uncaught error, panic),
/// saves a screenshot to `tests/artifacts/<test>.png`, then fails the test with all of it.
pub async fn run<F>(test: &str, base_url: &str, window: Window, body: F)
where
    F: AsyncFnOnce(&Browser) -> Outcome,
{
    let browser = match Browser::open(base_url, window).await {
        Ok(browser) => browser,
        Err(e) => panic!("{test}: could not open a browser: {}", e.0),
    };
    let outcome = AssertUnwindSafe(body(&browser)).catch_unwind().await;
    let problems = match browser.problems().await {
        Ok(problems) => problems,
        Err(e) => vec![format!("could not read the browser console: {}", e.0)],
    };
    let failed = !matches!(outcome, Ok(Ok(()))) || !problems.is_empty();
    let mut report = String::new();
    if failed {
        let path = artifact(test);
        match browser.screenshot(&path).await {
            Ok(()) => report.push_str(&format!("\nscreenshot: {}", path.display())),
            Err(e) => report.push_str(&format!("\nno screenshot: {}", e.0)),
        }
        if let Ok(console) = browser.console().await {
            report.push_str("\nbrowser console:");
            for entry in console {
                report.push_str(&format!("\n  {entry}"));
            }
        }
    }
    browser.close().await;
    match outcome {
        Err(panic) => {
            eprintln!("{test} panicked in the browser{report}");
            if !problems.is_empty() {
                eprintln!("console problems:\n  {}", problems.join("\n  "));
            }
            std::panic::resume_unwind(panic);
        }
        Ok(Err(e)) => panic!("{test} failed: {}{report}", e.0),
        Ok(Ok(())) => assert!(
            problems.is_empty(),
            "{test}: the browser reported problems:\n  {}{report}",
            problems.join("\n  ")
        ),
    }
}
