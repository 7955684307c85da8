//! The load generator (many concurrent keep-alive clients, each with its own session) and
//! measure 8: 200 concurrent clients for 30 s on the list and on the registry status.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;

use crate::procs::{Memory, memory_of, own_cpu};
use crate::report::{Met, Row, Section};
use crate::rig::{DEVICE, Rig, RigOptions, Session, send_raw};
use crate::stats::{Summary, fmt_bytes, fmt_count, fmt_us};
use crate::{Ctx, Result};

/// One request of a load mix.
#[derive(Debug, Clone)]
pub struct Req {
    /// POST with this JSON body, or GET when `None`.
    pub body: Option<String>,
    /// Path relative to the panel URL.
    pub path: String,
}

impl Req {
    /// A GET.
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            body: None,
            path: path.into(),
        }
    }

    /// A POST of JSON.
    pub fn post(path: impl Into<String>, body: &serde_json::Value) -> Self {
        Self {
            body: Some(body.to_string()),
            path: path.into(),
        }
    }
}

/// When a load run ends.
#[derive(Debug, Clone, Copy)]
pub enum Stop {
    /// After this many requests in total.
    Requests(usize),
    /// After this long.
    After(Duration),
}

/// What a load run saw.
#[derive(Debug, Default)]
pub struct LoadResult {
    /// Latency of every completed request, µs.
    pub latencies_us: Vec<f64>,
    /// Answers by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no HTTP answer.
    pub transport_errors: u64,
    /// The first transport error, in words.
    pub first_error: Option<String>,
    /// Wall time.
    pub elapsed: Duration,
    /// Body bytes received.
    pub bytes: u64,
    /// Peak panel RSS sampled during the run.
    pub peak_rss: u64,
}

impl LoadResult {
    /// Requests answered with anything.
    pub fn answered(&self) -> u64 {
        self.statuses.values().sum()
    }

    /// Answers that are neither success nor a deliberate shed (429, 503), plus transport errors.
    pub fn errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s) && **s != 429 && **s != 503)
            .map(|(_, n)| n)
            .sum::<u64>()
            + self.transport_errors
    }

    /// 429 and 503 answers.
    pub fn shed(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| **s == 429 || **s == 503)
            .map(|(_, n)| n)
            .sum()
    }

    /// Requests per second.
    pub fn throughput(&self) -> f64 {
        self.answered() as f64 / self.elapsed.as_secs_f64()
    }

    /// "200: 1234, 503: 5".
    pub fn status_text(&self) -> String {
        let mut parts: Vec<String> = self
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        if self.transport_errors > 0 {
            parts.push(format!("no answer: {}", self.transport_errors));
        }
        parts.join(", ")
    }
}

/// Runs `clients` concurrent clients (client `k` uses session `k % sessions.len()`), each
/// sending `pick(i)` for request number `i` one after another on its keep-alive connection,
/// until `stop`. Samples the panel's RSS every 100 ms.
pub async fn drive(
    rig: &Rig,
    sessions: &[Session],
    clients: usize,
    stop: Stop,
    pick: impl Fn(usize) -> Req + Send + Sync + 'static,
) -> Result<LoadResult> {
    let pick = Arc::new(pick);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = match stop {
        Stop::After(d) => Some(started + d),
        Stop::Requests(_) => None,
    };
    let limit = match stop {
        Stop::Requests(n) => n,
        Stop::After(_) => usize::MAX,
    };
    let done = Arc::new(AtomicU64::new(0));
    let pid = rig.panel.pid();
    let sampler = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut peak = Memory::default().rss;
            while done.load(Ordering::Relaxed) == 0 {
                if let Ok(m) = memory_of(pid) {
                    peak = peak.max(m.rss);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        })
    };
    let mut tasks = Vec::with_capacity(clients);
    for k in 0..clients {
        let http = rig.http.clone();
        let base = rig.panel_url.clone();
        let session = sessions[k % sessions.len()].clone();
        let pick = pick.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = LoadResult::default();
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= limit {
                    break;
                }
                let req = pick(i);
                let url = format!("{base}{}", req.path);
                let request = match req.body {
                    Some(body) => http
                        .post(url)
                        .header(CONTENT_TYPE, "application/json")
                        .header("x-lem-panel", "1")
                        .body(body),
                    None => http.get(url),
                };
                let t0 = Instant::now();
                match send_raw(request, &session).await {
                    Ok((status, bytes)) => {
                        out.latencies_us.push(t0.elapsed().as_secs_f64() * 1e6);
                        *out.statuses.entry(status).or_default() += 1;
                        out.bytes += bytes as u64;
                    }
                    Err(e) => {
                        out.transport_errors += 1;
                        if out.first_error.is_none() {
                            out.first_error = Some(e.to_string());
                        }
                    }
                }
            }
            out
        }));
    }
    let mut total = LoadResult::default();
    for task in tasks {
        let part = task.await?;
        total.latencies_us.extend(part.latencies_us);
        for (s, n) in part.statuses {
            *total.statuses.entry(s).or_default() += n;
        }
        total.transport_errors += part.transport_errors;
        total.bytes += part.bytes;
        if total.first_error.is_none() {
            total.first_error = part.first_error;
        }
    }
    total.elapsed = started.elapsed();
    done.store(1, Ordering::Relaxed);
    total.peak_rss = sampler.await?;
    Ok(total)
}

/// One 200-client phase as a table row and a note.
fn phase_row(
    name: &str,
    result: &LoadResult,
    bench_cpu: Duration,
    panel_cpu: Duration,
) -> (Row, String) {
    let latency = Summary::of_micros(&result.latencies_us);
    let row = Row::new(
        name,
        format!(
            "{:.0} req/s, p50 {}, p99 {}",
            result.throughput(),
            fmt_us(latency.p50),
            fmt_us(latency.p99)
        ),
        "—",
        format!("errors {}, shed {}", result.errors(), result.shed()),
        "0 errors (429/503 sheds allowed), p99 reported",
        Met::from(result.errors() == 0),
    );
    let note = format!(
        "{name}: {} answers in {:.1} s ({}); latency {}; {} received; panel peak RSS {}; CPU \
         during the phase: panel {:.1} s, load generator {:.1} s.{}",
        fmt_count(result.answered()),
        result.elapsed.as_secs_f64(),
        result.status_text(),
        latency.detail(),
        fmt_bytes(result.bytes),
        fmt_bytes(result.peak_rss),
        panel_cpu.as_secs_f64(),
        bench_cpu.as_secs_f64(),
        result
            .first_error
            .as_deref()
            .map(|e| format!(" First transport error: {e}"))
            .unwrap_or_default()
    );
    (row, note)
}

/// Runs measure 8.
pub async fn run(ctx: &Ctx, section: &mut Section) -> Result<()> {
    let clients = 200;
    let phase = Duration::from_secs(ctx.n(30, 4) as u64);
    let rig = Rig::start(
        &ctx.paths,
        RigOptions {
            latency: Duration::from_millis(1),
            rows: 1000,
        },
    )
    .await?;
    eprintln!("    logging in {clients} sessions");
    let login_started = Instant::now();
    let sessions = rig.sessions(clients).await?;
    let login_time = login_started.elapsed();

    let mut notes = Vec::new();
    for (name, path) in [
        (
            "Image list (1,000 rows), 200 clients",
            format!("api/v1/devices/{DEVICE}/images"),
        ),
        (
            "Registry status, 200 clients",
            format!("api/v1/devices/{DEVICE}/registry"),
        ),
    ] {
        eprintln!("    {name} for {phase:?}");
        let bench0 = own_cpu()?;
        let panel0 = rig.panel.cpu()?;
        let result = drive(&rig, &sessions, clients, Stop::After(phase), move |_| {
            Req::get(path.clone())
        })
        .await?;
        let (row, note) = phase_row(
            &format!("{name} × {} s", phase.as_secs()),
            &result,
            own_cpu()? - bench0,
            rig.panel.cpu()? - panel0,
        );
        section.row(row);
        notes.push(note);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    rig.stop().await;
    section.note(format!(
        "Method: {clients} concurrent clients in this bench (Tokio tasks, each with its own \
         session, on one keep-alive HTTP/1.1 connection pool, so about {clients} open \
         connections), each sending its next request as soon as the previous answer is read \
         (sent like a browser: cookie, `Accept-Encoding`), for {} s per \
         phase; device latency 1 ms each way. The load generator runs on the same 2 cores as \
         the panel and the simulator, so throughput is a floor. The panel caps device calls \
         in flight at `limits.device_concurrency` (32) and answers 503 after \
         `limits.device_queue_seconds` (10 s) in the queue: those are the deliberate sheds. \
         Logging in the {clients} sessions (Argon2id, two at a time) took {:.1} s before the \
         phases.",
        phase.as_secs(),
        login_time.as_secs_f64(),
    ));
    for note in notes {
        section.note(note);
    }
    Ok(())
}
