//! `lem-panel-bench sim-host`: the simulator library in its own process, steered over stdin.
//!
//! The `lem-sim` binary runs the same library, but its counters (TLS handshakes, requests) and
//! settings (latency, rows) are only reachable in-process. The benchmarks need both a separate
//! process (so its CPU time and memory are its own) and those counters, so the bench runs this
//! small host instead: same library, same Tokio runtime flavour as `lem-sim`, plus a line
//! protocol on stdin/stdout:
//!
//! ```text
//! counters            -> "counters {json}"
//! reset               -> "ok"          (zero the counters)
//! latency-us N        -> "ok"          (added before handling and again before answering)
//! rows N              -> "ok"          (N synthetic rows; 0 = the built-in fixture)
//! touch               -> "ok"          (the same rows, the first one a millisecond newer: a
//!                                       different answer, for uncached measurements)
//! pull-speed N        -> "ok"          (bytes per second; 0 = instant)
//! ```
//! End of input stops the simulator.

use std::io::{BufRead, Write};
use std::time::Duration;

use lem_sim::{SimConfig, Simulator, fixture_rows, synthetic_rows};

use crate::Result;

/// Options of the host.
#[derive(Debug, Clone, clap::Args)]
pub struct SimHostArgs {
    /// Administrator token.
    #[arg(long)]
    pub token: String,
    /// Device latency each way, in microseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_us: u64,
    /// Synthetic rows (0 = the built-in fixture).
    #[arg(long, default_value_t = 0)]
    pub rows: usize,
}

fn rows_for(n: usize) -> Vec<serde_json::Value> {
    if n == 0 {
        fixture_rows()
    } else {
        synthetic_rows(n)
    }
}

/// Runs the host until stdin closes.
pub fn run(args: &SimHostArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let config = SimConfig::new(args.token.clone())
            .rows(rows_for(args.rows))
            .latency(Duration::from_micros(args.latency_us))
            .pull_bytes_per_sec(0)
            .request_log_limit(0);
        let sim = Simulator::start(config).await?;
        let state = sim.state().clone();
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "lem-sim listening on {}", sim.url())?;
            writeln!(
                out,
                "lem-sim certificate sha256 fingerprint {}",
                sim.fingerprint()
            )?;
            out.flush()?;
        }
        // Commands are rare and tiny: a blocking reader thread is simplest.
        let mut rows = rows_for(args.rows);
        let control = tokio::task::spawn_blocking(move || -> Result<()> {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                let line = line?;
                let mut words = line.split_whitespace();
                let reply = match (words.next(), words.next().map(str::parse::<u64>)) {
                    (Some("counters"), _) => {
                        let c = state.counters();
                        format!(
                            "counters {}",
                            serde_json::json!({
                                "requests": c.requests,
                                "list": c.list,
                                "pull": c.pull,
                                "delete": c.delete,
                                "info": c.info,
                                "tcpConnections": c.tcp_connections,
                                "tlsHandshakes": c.tls_handshakes,
                                "tlsHandshakeFailures": c.tls_handshake_failures,
                            })
                        )
                    }
                    (Some("reset"), _) => {
                        state.reset_counters();
                        "ok".to_owned()
                    }
                    (Some("latency-us"), Some(Ok(us))) => {
                        state.set_latency(Duration::from_micros(us));
                        "ok".to_owned()
                    }
                    (Some("rows"), Some(Ok(n))) => {
                        rows = rows_for(usize::try_from(n)?);
                        state.set_rows(rows.clone());
                        "ok".to_owned()
                    }
                    (Some("touch"), _) => {
                        if let Some(first) = rows.first_mut() {
                            let newer = first["timestamp"].as_i64().unwrap_or_default() + 1;
                            first["timestamp"] = newer.into();
                        }
                        state.set_rows(rows.clone());
                        "ok".to_owned()
                    }
                    (Some("pull-speed"), Some(Ok(speed))) => {
                        state.set_pull_bytes_per_sec(speed);
                        "ok".to_owned()
                    }
                    _ => format!("error unknown command {line:?}"),
                };
                let mut out = std::io::stdout().lock();
                writeln!(out, "{reply}")?;
                out.flush()?;
            }
            Ok(())
        });
        let result = control.await;
        sim.shutdown().await;
        result?
    })
}
