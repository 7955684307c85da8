//! The real `lem-panel` binary as a child process, for what only a process can show: SIGKILL
//! mid-write, SIGTERM with requests in flight, resident memory and open file descriptors.
//!
//! The binary is the one Cargo built next to this test executable (`target/debug/lem-panel`):
//! `cargo test --workspace` builds it; with `-p lem-panel-tests` alone run
//! `cargo build -p lem-panel --bin lem-panel` first. `LEM_ROBUST_PANEL_BIN` picks another one
//! (e.g. the release build). Signals are sent with `kill(1)`.
//!
//! ```no_run
//! # async fn example(sim: &lem_sim::Simulator) {
//! use lem_panel_tests::process::{PanelDir, PanelProcess};
//!
//! let dir = PanelDir::new(sim, "edge-proc", "", "");
//! let mut panel = PanelProcess::start(&dir).await;
//! panel.client().login_as("admin").await;
//! panel.signal("KILL");
//! # }
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use lem_sim::Simulator;
use tempfile::TempDir;

use crate::client::{PanelClient, Target, Transcript, http_client};
use crate::fixtures::CANARY_TOKEN;
use crate::{USERS, password_of};

/// Set to a `lem-panel` binary to test that one (e.g. `target/release/lem-panel`).
pub const BINARY_ENV: &str = "LEM_ROBUST_PANEL_BIN";

/// The `lem-panel` binary to run: `LEM_ROBUST_PANEL_BIN`, else the one next to this test
/// executable. Panics with a hint when it is missing.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os(BINARY_ENV) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{BINARY_ENV}={} is not a file",
            path.display()
        );
        return path;
    }
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        // target/debug/deps/e2e-… → target/debug/lem-panel
        let dir = exe.parent()?.parent()?.to_owned();
        Some(dir.join("lem-panel"))
    });
    let fallback = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/lem-panel");
    let path = from_exe.filter(|p| p.is_file()).unwrap_or(fallback);
    assert!(
        path.is_file(),
        "the lem-panel binary is missing at {}: build it with `cargo build -p lem-panel --bin lem-panel` \
         (`cargo test --workspace` does this itself)",
        path.display()
    );
    if let Some(source) = newer_source(&path) {
        panic!(
            "{} is older than {}: rebuild it with `cargo build -p lem-panel --bin lem-panel` \
             (or set {BINARY_ENV} to test a binary on purpose)",
            path.display(),
            source.display()
        );
    }
    path
}

/// A source file of the server (or a crate it is built from) changed after `binary` was built.
/// Unit-test files (`tests.rs`, `*_tests.rs`) are not part of the binary and do not count.
fn newer_source(binary: &Path) -> Option<PathBuf> {
    let built = std::fs::metadata(binary).and_then(|m| m.modified()).ok()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut pending: Vec<PathBuf> = ["backend/src", "crates/lem-client/src", "shared/src"]
        .iter()
        .map(|dir| root.join(dir))
        .collect();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .is_some_and(|stem| stem == "tests" || stem.ends_with("_tests"))
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|changed| changed > built)
            {
                return Some(path);
            }
        }
    }
    None
}

/// A data directory for a panel process: configuration file, database, log file, and the
/// users `admin`, `operator` and `viewer` (passwords as in [`crate::password_of`]).
pub struct PanelDir {
    dir: TempDir,
    device_id: String,
    config: PathBuf,
    env: Vec<(String, String)>,
}

impl std::fmt::Debug for PanelDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanelDir")
            .field("dir", &self.dir.path())
            .finish_non_exhaustive()
    }
}

/// `LEM_PANEL_DEVICE_<ID>_TOKEN` for a device id, named by the panel's own rule.
fn token_variable(device_id: &str) -> String {
    lem_panel::config::device_env_name(device_id, "TOKEN")
}

impl PanelDir {
    /// A configuration with one device (the simulator, pinned, token from the environment),
    /// listening on a free port, plus `extra` TOML (top-level keys and sections, e.g.
    /// `"[limits]\nimport_concurrency = 2\n"`) and `device_extra` after the device's keys
    /// (e.g. `"[devices.timeouts]\nlist = 2\n"`). Creates the three test users.
    pub fn new(sim: &Simulator, device_id: &str, extra: &str, device_extra: &str) -> Self {
        let panel_dir = Self::empty(sim, device_id, extra, device_extra);
        for (name, role) in USERS {
            panel_dir.add_user(name, role.as_str(), &password_of(name));
        }
        panel_dir
    }

    /// Like [`PanelDir::new`] but with no users yet: the first start creates `admin`.
    pub fn empty(sim: &Simulator, device_id: &str, extra: &str, device_extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
        let database = dir.path().join("panel.db");
        let config = dir.path().join("config.toml");
        // Top-level keys must come before any table.
        let (top, tables): (Vec<&str>, Vec<&str>) = {
            let mut top = Vec::new();
            let mut tables = Vec::new();
            let mut in_table = false;
            for line in extra.lines() {
                in_table |= line.trim_start().starts_with('[');
                if in_table {
                    tables.push(line);
                } else {
                    top.push(line);
                }
            }
            (top, tables)
        };
        let text = format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"{}\"\n{}\n{}\n\n[[devices]]\nid = \"{device_id}\"\nurl = \"{}\"\ntls = \"pin\"\nsha256 = \"{}\"\nproxy = \"none\"\n{device_extra}\n",
            database.display(),
            top.join("\n"),
            tables.join("\n"),
            sim.url(),
            sim.fingerprint(),
        );
        std::fs::write(&config, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));
        let env = vec![
            (token_variable(device_id), CANARY_TOKEN.to_owned()),
            ("RUST_LOG".to_owned(), "trace".to_owned()),
        ];
        Self {
            dir,
            device_id: device_id.to_owned(),
            config,
            env,
        }
    }

    /// Sets an environment variable for every later start (e.g. `RUST_LOG`).
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_owned(), value.to_owned()));
    }

    fn command(&self) -> Command {
        let mut command = Command::new(binary());
        command
            .arg("--config")
            .arg(&self.config)
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("LEM_PANEL_ADMIN_PASSWORD")
            .env_remove("LEM_PANEL_ADMIN_PASSWORD_FILE");
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// `lem-panel users add NAME --role ROLE --password-stdin`.
    pub fn add_user(&self, name: &str, role: &str, password: &str) {
        let args = ["users", "add", name, "--role", role, "--password-stdin"];
        let output = self.cli(&args, Some(password));
        assert!(
            output.status.success(),
            "lem-panel users add {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Runs `lem-panel --config … ARGS` to completion, with `stdin` (one line) if given.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut child = self
            .command()
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary().display()));
        if let Some(mut pipe) = child.stdin.take()
            && let Some(line) = stdin
        {
            let _ = writeln!(pipe, "{line}");
        }
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("lem-panel {}: {e}", args.join(" ")))
    }

    /// The directory holding configuration, database and log.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The database file.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("panel.db")
    }

    /// Everything every process of this directory wrote to stderr (its log), in order.
    pub fn log(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("panel.log")).unwrap_or_default()
    }

    /// The device id.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }
}

/// A running `lem-panel` process.
pub struct PanelProcess {
    child: Child,
    addr: SocketAddr,
    device_id: String,
    transcript: Transcript,
    http: reqwest::Client,
    stdout: Arc<std::sync::Mutex<Vec<String>>>,
}

impl std::fmt::Debug for PanelProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanelProcess")
            .field("pid", &self.child.id())
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl PanelProcess {
    /// Starts `lem-panel --config …` on the directory and waits (up to 30 s) until it prints
    /// the address it listens on. Its stderr is appended to the directory's log.
    pub async fn start(dir: &PanelDir) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.path().join("panel.log"))
            .unwrap_or_else(|e| panic!("cannot open the panel log: {e}"));
        let mut child = dir
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary().display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = Arc::clone(&lines);
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                kept.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(line.clone());
                if let Some(rest) = line.strip_prefix("lem-panel listening on http://")
                    && let Some(tx) = tx.take()
                {
                    let addr = rest.split('/').next().unwrap_or_default().to_owned();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
            .await
            .ok()
            .and_then(Result::ok)
            .and_then(|a| a.parse::<SocketAddr>().ok());
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "lem-panel did not start: {}",
                String::from_utf8_lossy(&dir.log())
            );
        };
        Self {
            child,
            addr,
            device_id: dir.device_id.clone(),
            transcript: Transcript::default(),
            http: http_client(),
            stdout: lines,
        }
    }

    /// The lines it has printed to stdout so far (all of those before "listening on").
    pub fn stdout(&self) -> Vec<String> {
        self.stdout
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A new browser-like client (own cookie jar, shared connection pool).
    pub fn client(&self) -> PanelClient {
        self.client_with(self.http.clone())
    }

    /// A new client with its own connection pool: another machine.
    pub fn separate_client(&self) -> PanelClient {
        self.client_with(http_client())
    }

    fn client_with(&self, http: reqwest::Client) -> PanelClient {
        let target = Target {
            origin: Arc::new(RwLock::new(format!("http://{}", self.addr))),
            base: "/".to_owned(),
            device: self.device_id.clone(),
        };
        PanelClient::new(http, target, self.transcript.clone())
    }

    /// Every response any client of this process received.
    pub fn transcript(&self) -> Vec<u8> {
        self.transcript.bytes()
    }

    /// Sends a signal (`KILL`, `TERM`, …) with `kill -s`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.pid().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
        assert!(status.success(), "kill -s {name} {} failed", self.pid());
    }

    /// Waits up to `limit` for the process to exit; its status, if it did.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if started.elapsed() > limit {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn proc_status(&self, key: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
    }

    /// Resident memory now, in KiB (Linux).
    pub fn rss_kib(&self) -> Option<u64> {
        self.proc_status("VmRSS:")
    }

    /// Peak resident memory so far, in KiB (Linux).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        self.proc_status("VmHWM:")
    }

    /// Open file descriptors now (Linux).
    pub fn open_fds(&self) -> Option<usize> {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .ok()
            .map(Iterator::count)
    }

    /// Open TCP sockets of the process (Linux): descriptors that are sockets.
    pub fn open_sockets(&self) -> Option<usize> {
        let dir = std::fs::read_dir(format!("/proc/{}/fd", self.pid())).ok()?;
        Some(
            dir.filter_map(Result::ok)
                .filter_map(|entry| std::fs::read_link(entry.path()).ok())
                .filter(|target| target.to_string_lossy().starts_with("socket:"))
                .count(),
        )
    }
}

/// One TCP socket of a process, from `/proc/net/tcp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSocket {
    /// Local port.
    pub local_port: u16,
    /// Remote port (0 for a listener).
    pub remote_port: u16,
    /// Kernel state: `0x0A` listening, `0x01` established, others closing.
    pub state: u8,
}

impl PanelProcess {
    /// The process's IPv4 TCP sockets (Linux): its socket descriptors matched by inode with
    /// the kernel's table.
    pub fn tcp_sockets(&self) -> Vec<TcpSocket> {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{}/fd", self.pid())) else {
            return Vec::new();
        };
        let inodes: std::collections::HashSet<String> = fds
            .filter_map(Result::ok)
            .filter_map(|entry| std::fs::read_link(entry.path()).ok())
            .filter_map(|target| {
                let text = target.to_string_lossy().into_owned();
                text.strip_prefix("socket:[")
                    .and_then(|rest| rest.strip_suffix(']'))
                    .map(str::to_owned)
            })
            .collect();
        let table =
            std::fs::read_to_string(format!("/proc/{}/net/tcp", self.pid())).unwrap_or_default();
        let port = |address: &str| {
            address
                .rsplit(':')
                .next()
                .and_then(|hex| u16::from_str_radix(hex, 16).ok())
                .unwrap_or(0)
        };
        table
            .lines()
            .skip(1)
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let inode = fields.get(9)?;
                inodes.contains(*inode).then(|| TcpSocket {
                    local_port: port(fields.get(1).copied().unwrap_or_default()),
                    remote_port: port(fields.get(2).copied().unwrap_or_default()),
                    state: u8::from_str_radix(fields.get(3).copied().unwrap_or("0"), 16)
                        .unwrap_or(0),
                })
            })
            .collect()
    }
}

impl Drop for PanelProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
