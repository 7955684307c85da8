//! Measure 2: the image list with 1,000 and 10,000 rows through the panel (session, parsing,
//! translation, serialisation, compression) against the direct list call, the panel's CPU per
//! 10k-row list against one serde_json parse + serialise of the same bytes, and where the
//! panel's time goes.

use std::io::Write;
use std::time::{Duration, Instant};

use lem_client::RegistryApi;
use shared::api::ImagesResponse;

use crate::proxy::Pair;
use crate::report::{Met, Row, Section};
use crate::rig::{BROWSER_ACCEPT_ENCODING, DEVICE, Rig, RigOptions, Session, send};
use crate::sample::{interleaved, timed};
use crate::stats::{Summary, fmt_bytes, fmt_ratio, fmt_us};
use crate::{Ctx, Result, fail};
use reqwest::header::ACCEPT_ENCODING;

const LIST_TARGET: f64 = 1.25;
const CPU_TARGET: f64 = 1.5;

/// What one interleaved list run saw.
struct ListRun {
    pair: Pair,
    encoding: String,
    wire_bytes: usize,
    json_bytes: usize,
}

/// How the list runs ask: compressed like a browser or not, and whether the device's answer
/// changes before every panel request (so the panel translates every answer anew).
#[derive(Debug, Clone, Copy)]
struct Ask {
    compressed: bool,
    fresh: bool,
}

async fn list_pairs(
    rig: &mut Rig,
    session: &Session,
    rows: usize,
    n: usize,
    warmup: usize,
    ask: Ask,
) -> Result<ListRun> {
    let url = format!("{}api/v1/devices/{DEVICE}/images", rig.panel_url);
    let accept = if ask.compressed {
        BROWSER_ACCEPT_ENCODING
    } else {
        "identity"
    };
    let Rig {
        sim, http, direct, ..
    } = rig;
    let mut encoding = String::from("identity");
    let mut wire_bytes = 0;
    let mut json_bytes = 0;
    let (panel, direct) = interleaved(
        n,
        warmup,
        async |_| {
            if ask.fresh {
                sim.touch().await?;
            }
            let (elapsed, (list, response)) = timed(async {
                let request = http.get(&url).header(ACCEPT_ENCODING, accept);
                let response = send(request, session).await?.expect(200)?;
                let list: ImagesResponse = response.json()?;
                Ok::<_, crate::Error>((list, response))
            })
            .await?;
            if list.images.len() != rows {
                return Err(fail(format!(
                    "the panel listed {} rows, expected {rows}",
                    list.images.len()
                )));
            }
            encoding = response.encoding.unwrap_or_else(|| "identity".into());
            wire_bytes = response.wire_bytes;
            json_bytes = response.body.len();
            Ok(elapsed)
        },
        async |_| {
            let (elapsed, list) = timed(direct.list_images()).await?;
            if list.images.len() != rows {
                return Err(fail("the direct list has the wrong length"));
            }
            Ok(elapsed)
        },
    )
    .await?;
    Ok(ListRun {
        pair: Pair::new(&panel, &direct),
        encoding,
        wire_bytes,
        json_bytes,
    })
}

/// Median wall time of `f` over `n` runs (after one warm-up run).
fn median_time<T>(n: usize, mut f: impl FnMut() -> Result<T>) -> Result<f64> {
    f()?;
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        std::hint::black_box(f()?);
        samples.push(started.elapsed().as_secs_f64() * 1e6);
    }
    Ok(Summary::of_micros(&samples).p50)
}

/// The panel's pipeline for one list, step by step, in this process (library code of the
/// panel and its device client), on the device's exact bytes.
struct Breakdown {
    device_bytes: usize,
    value_roundtrip_us: f64,
    parse_us: f64,
    translate_us: f64,
    serialise_us: f64,
    panel_json_bytes: usize,
    /// Each encoder as the panel runs it, then brotli at tower-http's default quality for
    /// comparison: (encoding, label, median time, compressed size).
    compression: Vec<(&'static str, &'static str, f64, usize)>,
}

impl Breakdown {
    /// Time of the encoder the panel used for `encoding` (identity costs nothing).
    fn compress_us(&self, encoding: &str) -> f64 {
        self.compression
            .iter()
            .find(|(e, ..)| *e == encoding)
            .map_or(0.0, |(_, _, us, _)| *us)
    }
}

/// One way of compressing a body.
type Encoder<'a> = dyn Fn(&[u8]) -> Result<Vec<u8>> + 'a;

fn breakdown(rows: usize, runs: usize) -> Result<Breakdown> {
    // Exactly what the simulator sends: `Value::to_string` of the rows.
    let device = serde_json::Value::Array(lem_sim::synthetic_rows(rows))
        .to_string()
        .into_bytes();
    let value_roundtrip_us = median_time(runs, || {
        let value: serde_json::Value = serde_json::from_slice(&device)?;
        Ok(serde_json::to_vec(&value)?)
    })?;
    let parse = |bytes: &[u8]| {
        lem_client::parse_image_list(bytes).map_err(|e| fail(format!("device JSON: {e:?}")))
    };
    let parse_us = median_time(runs, || parse(&device))?;
    let list = parse(&device)?;
    let translate_us = median_time(runs, || Ok(lem_panel::translate::translate(list.clone())))?;
    // `translate` consumes the list; the clone is timed too, so subtract a clone's cost.
    let clone_us = median_time(runs, || Ok(list.clone()))?;
    let translate_us = (translate_us - clone_us).max(0.0);
    let (images, skipped_entries) = lem_panel::translate::translate(list);
    let response = ImagesResponse {
        device: DEVICE.into(),
        fetched_at_ms: 1_700_000_000_000,
        images,
        skipped_entries,
    };
    let serialise_us = median_time(runs, || Ok(serde_json::to_vec(&response)?))?;
    let json = serde_json::to_vec(&response)?;
    // The panel's level (`lem_panel::COMPRESSION_LEVEL`) for each encoding it offers, in the
    // order of preference, then brotli at tower-http's default quality 4 (used before).
    let level = lem_panel::COMPRESSION_LEVEL;
    let brotli = |data: &[u8], quality: u32| -> Result<Vec<u8>> {
        let mut out = Vec::new();
        {
            let mut writer = brotli::CompressorWriter::new(&mut out, 4096, quality, 22);
            writer.write_all(data)?;
        }
        Ok(out)
    };
    let gzip = |data: &[u8]| -> Result<Vec<u8>> {
        let mut encoder =
            flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level as u32));
        encoder.write_all(data)?;
        Ok(encoder.finish()?)
    };
    let zstd = |data: &[u8]| -> Result<Vec<u8>> { Ok(zstd::bulk::compress(data, level)?) };
    let mut compression = Vec::new();
    let encoders: [(&'static str, &'static str, &Encoder); 4] = [
        ("zstd", "zstd", &zstd),
        ("br", "brotli", &|d| brotli(d, level as u32)),
        ("gzip", "gzip", &gzip),
        (
            "",
            "brotli quality 4 (tower-http's default, used before)",
            &|d| brotli(d, 4),
        ),
    ];
    for (encoding, label, encode) in encoders {
        let us = median_time(runs, || encode(&json))?;
        compression.push((encoding, label, us, encode(&json)?.len()));
    }
    Ok(Breakdown {
        device_bytes: device.len(),
        value_roundtrip_us,
        parse_us,
        translate_us,
        serialise_us,
        panel_json_bytes: json.len(),
        compression,
    })
}

/// Samples the panel with `perf` (if installed) while one client requests 10k-row lists back to
/// back.
async fn perf_profile(rig: &Rig, session: &Session, seconds: u64) -> Result<Option<String>> {
    let Some(perf) = crate::procs::perf_start(rig.panel.pid(), seconds) else {
        return Ok(None);
    };
    let path = format!("api/v1/devices/{DEVICE}/images");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut lists = 0;
    while Instant::now() < deadline {
        rig.get(session, &path).await?.expect(200)?;
        lists += 1;
    }
    Ok(perf
        .report(1.2, 18)
        .await
        .map(|top| format!("{lists} lists in {seconds} s:\n\n{top}")))
}

/// Runs measure 2.
pub async fn run(ctx: &Ctx, section: &mut Section) -> Result<()> {
    let mut rig = Rig::start(
        &ctx.paths,
        RigOptions {
            latency: Duration::from_millis(1),
            rows: 1000,
        },
    )
    .await?;
    let session = rig.login().await?;
    let warm = ctx.n(10, 3);

    let cached = Ask {
        compressed: true,
        fresh: false,
    };
    let uncached = Ask {
        compressed: true,
        fresh: true,
    };
    eprintln!("    1,000 rows, the same device answer each time");
    let small = list_pairs(&mut rig, &session, 1000, ctx.n(300, 40), warm, cached).await?;
    eprintln!("    1,000 rows, the device answer changed before every panel request");
    let small_fresh = list_pairs(&mut rig, &session, 1000, ctx.n(300, 40), warm, uncached).await?;

    eprintln!("    10,000 rows, the same device answer each time");
    rig.sim.set_rows(10_000).await?;
    let n_big = ctx.n(120, 15);
    let before = rig.sim.counters().await?;
    let panel_cpu0 = rig.panel.cpu()?;
    let sim_cpu0 = rig.sim.proc.cpu()?;
    let big = list_pairs(&mut rig, &session, 10_000, n_big, warm, cached).await?;
    let panel_cpu = rig.panel.cpu()? - panel_cpu0;
    let sim_cpu = rig.sim.proc.cpu()? - sim_cpu0;
    let after = rig.sim.counters().await?;
    eprintln!("    10,000 rows, the device answer changed before every panel request");
    let fresh_cpu0 = rig.panel.cpu()?;
    let big_fresh = list_pairs(&mut rig, &session, 10_000, n_big, warm, uncached).await?;
    let fresh_cpu_us = (rig.panel.cpu()? - fresh_cpu0).as_secs_f64() * 1e6 / (n_big + warm) as f64;
    eprintln!("    10,000 rows without compression (Accept-Encoding: identity), uncached");
    let n_plain = ctx.n(40, 8);
    let plain_cpu0 = rig.panel.cpu()?;
    let plain = list_pairs(
        &mut rig,
        &session,
        10_000,
        n_plain,
        2,
        Ask {
            compressed: false,
            fresh: true,
        },
    )
    .await?;
    let plain_cpu_us = (rig.panel.cpu()? - plain_cpu0).as_secs_f64() * 1e6 / (n_plain + 2) as f64;
    let profile = if ctx.quick {
        None
    } else {
        eprintln!("    perf profile of the panel serving 10,000-row lists");
        perf_profile(&rig, &session, 8).await.unwrap_or(None)
    };
    rig.stop().await;
    let requests = (n_big + warm) as f64;
    let panel_cpu_us = panel_cpu.as_secs_f64() * 1e6 / requests;
    // The simulator served panel and direct lists alike.
    let sim_cpu_us = sim_cpu.as_secs_f64() * 1e6 / (2.0 * requests);
    let device_lists = after.list - before.list;
    let panel_lists_reaching_device = device_lists.saturating_sub((n_big + warm) as u64);

    eprintln!("    the panel's pipeline, step by step");
    let steps = tokio::task::spawn_blocking(move || breakdown(10_000, 15))
        .await
        .map_err(|e| fail(e.to_string()))??;

    for (run, label) in [
        (
            &small,
            "Image list, 1,000 rows, 1 ms device latency, same device answer (translation reused)",
        ),
        (
            &small_fresh,
            "Image list, 1,000 rows, 1 ms device latency, device answer changed every time (uncached)",
        ),
        (
            &big,
            "Image list, 10,000 rows, 1 ms device latency, same device answer (translation reused)",
        ),
        (
            &big_fresh,
            "Image list, 10,000 rows, 1 ms device latency, device answer changed every time (uncached)",
        ),
    ] {
        section.row(run.pair.ratio_row(label, LIST_TARGET, None));
    }
    for (cpu_us, label) in [
        (
            panel_cpu_us,
            "Server CPU per 10k-row list, same device answer, vs one serde_json parse + serialise of the device's bytes",
        ),
        (
            fresh_cpu_us,
            "Server CPU per 10k-row list, answer changed every time (uncached), vs the same reference",
        ),
    ] {
        let cpu_ratio = cpu_us / steps.value_roundtrip_us;
        section.row(Row::new(
            label,
            format!("{} CPU", fmt_us(cpu_us)),
            format!(
                "{} ({} of JSON)",
                fmt_us(steps.value_roundtrip_us),
                fmt_bytes(steps.device_bytes as u64)
            ),
            fmt_ratio(cpu_ratio),
            format!("≤ {CPU_TARGET:.1}×"),
            Met::from(cpu_ratio <= CPU_TARGET),
        ));
    }
    section.row(Row::new(
        "Refresh reaches the device (the panel reuses only the translation of a byte-identical answer)",
        format!(
            "{panel_lists_reaching_device} of {} list requests reached the device",
            n_big + warm
        ),
        "—",
        "—",
        "every list request reaches the device",
        Met::from(panel_lists_reaching_device == (n_big + warm) as u64),
    ));

    section.note(format!(
        "Method: as in 1 (same client behaviour: cookie, `Accept-Encoding` as Chromium, body \
         decompressed and parsed into `shared::api::ImagesResponse`; the reference \
         `DeviceClient::list_images` parses the device JSON into its model). The panel answers \
         with `Content-Encoding: {}`: 1,000 rows are {} of JSON, {} on the wire; 10,000 rows \
         are {} of JSON, {} on the wire (the device sends {} uncompressed).",
        big.encoding,
        fmt_bytes(small.json_bytes as u64),
        fmt_bytes(small.wire_bytes as u64),
        fmt_bytes(big.json_bytes as u64),
        fmt_bytes(big.wire_bytes as u64),
        fmt_bytes(steps.device_bytes as u64),
    ));
    section.note(small.pair.detail("1,000 rows, same answer"));
    section.note(small_fresh.pair.detail("1,000 rows, uncached"));
    section.note(big.pair.detail("10,000 rows, same answer"));
    section.note(big_fresh.pair.detail("10,000 rows, uncached"));
    section.note(format!(
        "Caching: every list request (the refresh button included) calls the device — checked \
         with the simulator's list counter ({device_lists} device lists for {} panel + {} \
         direct requests). When the device's answer is byte-identical to the one before, the \
         panel reuses that answer's translation (rows, flags, shared-digest links, already \
         serialised) and only writes the envelope and compresses: \"same device answer\". For \
         \"uncached\", the simulator changes one row's timestamp before every panel request \
         (untimed), so every answer is parsed, checked, translated and serialised anew.",
        n_big + warm,
        n_big + warm
    ));
    section.note(format!(
        "CPU: utime + stime of the panel process over the {} panel requests of the 10k phase \
         with the same answer (`/proc/<pid>/stat`, 10 ms ticks) ÷ requests = {} per list ({} \
         uncached); the simulator spent {} per \
         list (it serialises its `Value` rows and encrypts). The reference is measured in the \
         bench process on the same {} the simulator sends: `serde_json::from_slice::<Value>` + \
         `serde_json::to_vec`, median of 15.",
        n_big + warm,
        fmt_us(panel_cpu_us),
        fmt_us(fresh_cpu_us),
        fmt_us(sim_cpu_us),
        fmt_bytes(steps.device_bytes as u64),
    ));
    let compress_us = steps.compress_us(&big.encoding);
    let encoders = steps
        .compression
        .iter()
        .map(|(encoding, label, us, bytes)| {
            let level = if encoding.is_empty() {
                String::new()
            } else {
                format!(" level {}", lem_panel::COMPRESSION_LEVEL)
            };
            format!(
                "{label}{level} {} → {}",
                fmt_us(*us),
                fmt_bytes(*bytes as u64)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let steps_total = steps.parse_us + steps.translate_us + steps.serialise_us + compress_us;
    let share = |us: f64| format!("{:.0}%", us * 100.0 / steps_total);
    section.note(format!(
        "Where the panel's time goes for 10,000 rows: the panel's own library code, timed step \
         by step in this process on the same bytes (medians): device JSON → model \
         (`lem_client::parse_image_list`) {} ({}); translation (`lem_panel::translate`) {} \
         ({}); serialising `ImagesResponse` ({}) {} ({}); compression, as the panel runs it: \
         {}; with `{}` that is {} of the steps. \
         Parse + translate + serialise alone = {}, {} of the `Value` round trip.",
        fmt_us(steps.parse_us),
        share(steps.parse_us),
        fmt_us(steps.translate_us),
        share(steps.translate_us),
        fmt_bytes(steps.panel_json_bytes as u64),
        fmt_us(steps.serialise_us),
        share(steps.serialise_us),
        encoders,
        big.encoding,
        share(compress_us),
        fmt_us(steps.parse_us + steps.translate_us + steps.serialise_us),
        fmt_ratio(
            (steps.parse_us + steps.translate_us + steps.serialise_us) / steps.value_roundtrip_us
        ),
    ));
    section.note(format!(
        "What limits the list (1,000 and 10,000 rows alike) and what was tried: the same \
         10,000-row list without compression (`Accept-Encoding: identity`, \
         {} of JSON on the wire), interleaved with the direct call: panel p50 {} vs direct {} \
         ({}), panel CPU {} per list ({} of the `Value` round trip) instead of {} with `{}` \
         (both uncached). Tried and kept: reusing the translation of a byte-identical device \
         answer (above); compression at level {} (zstd for browsers that accept it, as \
         Chromium does; brotli and gzip otherwise) instead of tower-http's default brotli \
         quality 4, which took over half of the panel's CPU per list for a similar size (see \
         the steps above); translation borrowing its duplicate keys instead of cloning name, \
         tag and digest of every row; a seeded fast hasher (foldhash) instead of SipHash for \
         the duplicate and shared-digest maps. What remains for a changed answer is inherent \
         to re-encoding: the panel parses the device's bytes, checks every row against the OCI grammar, links shared \
         digests and writes {} of JSON (the client then parses it), where the direct call \
         only parses {}. Passing the device's bytes through would skip the flags and \
         shared-digest links the table shows.",
        fmt_bytes(plain.wire_bytes as u64),
        fmt_us(plain.pair.panel.p50),
        fmt_us(plain.pair.reference.p50),
        fmt_ratio(plain.pair.p50_ratio()),
        fmt_us(plain_cpu_us),
        fmt_ratio(plain_cpu_us / steps.value_roundtrip_us),
        fmt_us(fresh_cpu_us),
        big.encoding,
        lem_panel::COMPRESSION_LEVEL,
        fmt_bytes(steps.panel_json_bytes as u64),
        fmt_bytes(steps.device_bytes as u64),
    ));
    if let Some(profile) = profile {
        section.note(format!(
            "`perf record -e cpu-clock` of the panel process (self time by shared object and \
             symbol, entries ≥ 1.2%) while one client requests 10,000-row lists back to back, \
             {profile}"
        ));
    }
    Ok(())
}
