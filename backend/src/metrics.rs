//! Prometheus metrics, hand-rolled to stay small: requests by route and status, device call
//! latency histograms by device, operation and outcome, and jobs by state (read at scrape time).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use lem_client::{DeviceError, Operation};

const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0, 1800.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The panel's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    device_calls: Mutex<BTreeMap<(String, &'static str, &'static str), Histogram>>,
}

/// A short outcome label for a device call.
pub fn outcome_label(error: Option<&DeviceError>) -> &'static str {
    use DeviceError as E;
    match error {
        None => "ok",
        Some(E::Unreachable { .. } | E::ConnectionLost { .. }) => "unreachable",
        Some(E::Proxy { .. }) => "proxy",
        Some(E::Tls { .. }) => "tls",
        Some(E::Timeout { .. }) => "timeout",
        Some(E::Unauthorized | E::Forbidden) => "auth",
        Some(
            E::BadRequest { .. }
            | E::NotFound { .. }
            | E::Unsupported { .. }
            | E::UnexpectedStatus { .. },
        ) => "rejected",
        Some(E::Server { .. }) => "device_error",
        Some(E::Refused { .. }) => "refused",
        Some(E::BadResponse { .. }) => "bad_response",
        Some(E::Config(_)) => "config",
    }
}

impl Metrics {
    /// Counts one finished request.
    pub fn record_request(&self, method: &str, route: &str, status: u16) {
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
        }
    }

    /// Records one device call.
    pub fn record_device_call(
        &self,
        device: &str,
        op: Operation,
        error: Option<&DeviceError>,
        elapsed: Duration,
    ) {
        let secs = elapsed.as_secs_f64();
        if let Ok(mut map) = self.device_calls.lock() {
            let h = map
                .entry((device.to_owned(), op.as_str(), outcome_label(error)))
                .or_default();
            h.count += 1;
            h.sum += secs;
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
        }
    }

    /// Prometheus text exposition, with job counts supplied by the caller.
    pub fn render(&self, jobs: &[(String, i64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP lem_panel_http_requests_total HTTP requests by route and status.\n# TYPE lem_panel_http_requests_total counter\n");
        if let Ok(map) = self.requests.lock() {
            for ((method, route, status), n) in map.iter() {
                let _ = writeln!(
                    out,
                    "lem_panel_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP lem_panel_device_call_seconds Device call latency by device, operation and outcome.\n# TYPE lem_panel_device_call_seconds histogram\n");
        if let Ok(map) = self.device_calls.lock() {
            for ((device, op, outcome), h) in map.iter() {
                let labels = format!(
                    "device=\"{}\",op=\"{op}\",outcome=\"{outcome}\"",
                    escape(device)
                );
                for (bound, n) in BUCKETS.iter().zip(h.counts) {
                    let _ = writeln!(
                        out,
                        "lem_panel_device_call_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                    );
                }
                let _ = writeln!(
                    out,
                    "lem_panel_device_call_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "lem_panel_device_call_seconds_sum{{{labels}}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "lem_panel_device_call_seconds_count{{{labels}}} {}",
                    h.count
                );
            }
        }
        out.push_str("# HELP lem_panel_jobs Import jobs by state.\n# TYPE lem_panel_jobs gauge\n");
        for (state, n) in jobs {
            let _ = writeln!(out, "lem_panel_jobs{{state=\"{}\"}} {n}", escape(state));
        }
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
