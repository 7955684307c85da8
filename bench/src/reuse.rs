//! Measure 3: new upstream TLS handshakes per upstream request over 10,000 mixed requests at 8
//! concurrent clients, counted by the simulator.

use std::time::Duration;

use crate::load::{Req, Stop, drive};
use crate::report::{Met, Row, Section};
use crate::rig::{DEVICE, Rig, RigOptions};
use crate::stats::{Summary, fmt_count};
use crate::{Ctx, Result};

const TARGET: f64 = 0.01;

/// Runs measure 3.
pub async fn run(ctx: &Ctx, section: &mut Section) -> Result<()> {
    let total = ctx.n(10_000, 2_000);
    let clients = 8;
    let mut rig = Rig::start(
        &ctx.paths,
        RigOptions {
            latency: Duration::from_millis(1),
            rows: 0,
        },
    )
    .await?;
    let sessions = rig.sessions(clients).await?;
    let before = rig.sim.counters().await?;
    // 45% status, 45% list, 10% a deletion the panel refuses after its re-list (409): every
    // request makes exactly one device call.
    let conflict = serde_json::json!({
        "name": "bench/none",
        "digest": format!("sha256:{}", "0".repeat(64)),
        "expectedTags": ["v1"],
    });
    let result = drive(
        &rig,
        &sessions,
        clients,
        Stop::Requests(total),
        move |i| match i % 20 {
            0..=8 => Req::get(format!("api/v1/devices/{DEVICE}/registry")),
            9..=17 => Req::get(format!("api/v1/devices/{DEVICE}/images")),
            _ => Req::post(format!("api/v1/devices/{DEVICE}/deletions"), &conflict),
        },
    )
    .await?;
    let after = rig.sim.counters().await?;
    rig.stop().await;
    let requests = after.requests - before.requests;
    let handshakes = after.tls_handshakes - before.tls_handshakes;
    let connections = after.tcp_connections - before.tcp_connections;
    let ratio = handshakes as f64 / requests.max(1) as f64;
    // 409 is the deliberate conflict; anything else but 200 is unexpected.
    let unexpected = result.transport_errors
        + result
            .statuses
            .iter()
            .filter(|(s, _)| **s != 200 && **s != 409)
            .map(|(_, n)| n)
            .sum::<u64>();
    section.row(Row::new(
        format!(
            "New upstream TLS handshakes ÷ upstream requests, {} mixed requests, {clients} clients",
            fmt_count(total as u64)
        ),
        format!(
            "{} handshakes / {} requests",
            fmt_count(handshakes),
            fmt_count(requests)
        ),
        "—",
        format!("{:.3}%", ratio * 100.0),
        "≤ 1%",
        Met::from(ratio <= TARGET && unexpected == 0),
    ));
    let latency = Summary::of_micros(&result.latencies_us);
    section.note(format!(
        "Method: fresh panel and simulator; {clients} logged-in clients send {} requests \
         (45% registry status, 45% image list of the 38-row fixture, 10% a deletion refused \
         with 409 after the panel's re-list), each making one device call; device latency \
         1 ms. The simulator counts TCP connections, completed TLS handshakes and HTTP \
         requests; the counts include the panel's very first connections. Seen: {connections} \
         TCP connection(s), {handshakes} handshake(s), {requests} device requests; panel \
         answers {}; client latency {}.",
        fmt_count(total as u64),
        result.status_text(),
        latency.detail(),
    ));
    section.note(
        "Why it holds: `lem-client` builds one reqwest client per device with a keep-alive \
         pool (`pool_max_idle_per_host(32)`, 60 s idle timeout, HTTP/1.1) and the panel keeps \
         that client for its lifetime; at most `limits.device_concurrency` (32) calls are in \
         flight, so at most that many connections are ever opened.",
    );
    Ok(())
}
