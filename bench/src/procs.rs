//! Child processes (the panel, the simulator host, chromedriver) and what `/proc` says about
//! them: CPU time (utime + stime) and resident memory.

use std::path::Path;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::{Result, fail};

/// A running child whose stdout is read line by line. Killed when dropped.
#[derive(Debug)]
pub struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    pid: u32,
}

impl Proc {
    /// Starts `command` with piped stdin/stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Result<Self> {
        let log = std::fs::File::create(log)?;
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .env_remove("RUST_LOG")
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| fail(format!("cannot start {name}: {e}")))?;
        let pid = child
            .id()
            .ok_or_else(|| fail(format!("{name} exited at once")))?;
        let stdout = child.stdout.take().ok_or_else(|| fail("no stdout pipe"))?;
        Ok(Self {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            lines: BufReader::new(stdout).lines(),
            pid,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Reads stdout until a line starts with `prefix` and returns the rest of it.
    pub async fn expect_line(&mut self, prefix: &str, timeout: Duration) -> Result<String> {
        let name = self.name.clone();
        let read = async {
            while let Some(line) = self.lines.next_line().await? {
                if let Some(rest) = line.strip_prefix(prefix) {
                    return Ok(rest.trim().to_owned());
                }
            }
            Err(fail(format!("{name} ended before printing {prefix:?}")))
        };
        tokio::time::timeout(timeout, read).await.map_err(|_| {
            fail(format!(
                "{name} did not print {prefix:?} within {timeout:?}"
            ))
        })?
    }

    /// Sends one command line and returns the next line of output.
    pub async fn command(&mut self, line: &str) -> Result<String> {
        let stdin = self.stdin.as_mut().ok_or_else(|| fail("stdin is closed"))?;
        stdin.write_all(format!("{line}\n").as_bytes()).await?;
        stdin.flush().await?;
        let reply = tokio::time::timeout(Duration::from_secs(10), self.lines.next_line())
            .await
            .map_err(|_| fail(format!("{} did not answer {line:?}", self.name)))??
            .ok_or_else(|| fail(format!("{} closed its output", self.name)))?;
        if reply.starts_with("error") {
            return Err(fail(format!("{}: {reply}", self.name)));
        }
        Ok(reply)
    }

    /// CPU time (user + system) used so far.
    pub fn cpu(&self) -> Result<Duration> {
        cpu_of(self.pid)
    }

    /// Resident memory now and at its peak.
    pub fn memory(&self) -> Result<Memory> {
        memory_of(self.pid)
    }

    /// Stops the process (SIGKILL) and waits for it.
    pub async fn stop(mut self) {
        self.stdin = None;
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// Resident set size in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// `VmRSS`.
    pub rss: u64,
    /// `VmHWM` (peak RSS since start).
    pub peak: u64,
}

fn ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|t| *t > 0)
            .unwrap_or(100)
    })
}

/// utime + stime of a process (all its threads, live and exited).
pub fn cpu_of(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| fail("odd /proc stat"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    let get = |i: usize| -> Result<u64> {
        Ok(fields
            .get(i)
            .ok_or_else(|| fail("short /proc stat"))?
            .parse()?)
    };
    let ticks = get(11)? + get(12)?;
    Ok(Duration::from_secs_f64(
        ticks as f64 / ticks_per_second() as f64,
    ))
}

/// VmRSS and VmHWM of a process.
pub fn memory_of(pid: u32) -> Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    Ok(Memory {
        rss: field("VmRSS:"),
        peak: field("VmHWM:"),
    })
}

/// CPU time of this process.
pub fn own_cpu() -> Result<Duration> {
    cpu_of(std::process::id())
}

/// A `perf record` of one process for a fixed time (`perf record -p PID -- sleep N`).
#[derive(Debug)]
pub struct Perf {
    child: tokio::process::Child,
    data: std::path::PathBuf,
}

/// Starts sampling `pid` for `seconds`, if `perf` is installed.
pub fn perf_start(pid: u32, seconds: u64) -> Option<Perf> {
    let installed = std::process::Command::new("perf")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        return None;
    }
    let data =
        std::env::temp_dir().join(format!("lem-bench-perf-{}-{pid}.data", std::process::id()));
    let child = Command::new("perf")
        .args(["record", "-e", "cpu-clock", "-F", "1999", "-p"])
        .arg(pid.to_string())
        .arg("-o")
        .arg(&data)
        .args(["--", "sleep", &seconds.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    Some(Perf { child, data })
}

impl Perf {
    /// Waits for the recording to end and returns the share of each shared object and the
    /// hottest symbols (self time, at least `min_percent`), at most `lines` of them.
    pub async fn report(mut self, min_percent: f64, lines: usize) -> Option<String> {
        let status = self.child.wait().await.ok()?;
        if !status.success() {
            return None;
        }
        let by_dso = perf_report(&self.data, "dso", 1.0, 6).await?;
        let by_symbol = perf_report(&self.data, "dso,symbol", min_percent, lines).await?;
        let _ = std::fs::remove_file(&self.data);
        let dso = by_dso
            .iter()
            .map(|l| l.replace(" [kernel.kallsyms]", " kernel"))
            .collect::<Vec<_>>()
            .join(", ");
        Some(format!(
            "by shared object: {dso}; hottest symbols:\n\n```text\n{}\n```",
            by_symbol.join("\n")
        ))
    }
}

async fn perf_report(
    data: &std::path::Path,
    sort: &str,
    min_percent: f64,
    lines: usize,
) -> Option<Vec<String>> {
    let output = Command::new("perf")
        .args(["report", "--stdio", "--no-children", "--sort", sort])
        .args(["--percent-limit", &min_percent.to_string(), "-i"])
        .arg(data)
        .output()
        .await
        .ok()?;
    let top: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .take(lines)
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let end = words.iter().rposition(|w| *w != "-").map_or(0, |i| i + 1);
            let l = words[..end].join(" ");
            if l.chars().count() > 130 {
                format!("{}…", l.chars().take(130).collect::<String>())
            } else {
                l
            }
        })
        .collect();
    (!top.is_empty()).then_some(top)
}
