//! `lem-panel-bench`: the benchmark suite of issue 7. Runs the real `lem-panel` binary against a
//! simulated device, compares it with the direct call (and the browser app with a vanilla page),
//! and rewrites BENCHMARKS.md with the table and notes.
//!
//! ```text
//! ./x bench                    # everything (about 10 minutes on 2 cores), rewrites BENCHMARKS.md
//! ./x bench --quick            # smoke run (about 2 minutes), writes target/bench/BENCHMARKS.quick.md
//! ./x bench --only proxy,list  # some measures only, writes target/bench/BENCHMARKS.partial.md
//! ./x bench --install-tools    # once: `cargo install twiggy` and a WASM build with symbol
//!                              # names in target/bench-wasm (kept up to date by later runs)
//! ```
//!
//! `./x bench` builds the web app and then runs `cargo run --release -p lem-panel-bench -- …`,
//! which first builds the panel: `cargo build --release -p lem-panel -p lem-panel-bench` (skip
//! with `--no-build`).

mod browser;
mod bundle;
mod footprint;
mod list;
mod load;
mod procs;
mod proxy;
mod report;
mod reuse;
mod rig;
mod sample;
mod sim_host;
mod stats;
mod vanilla;
mod webdriver;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

use crate::report::{RunFacts, Section};
use crate::rig::Paths;

/// The error type of the bench: any error, with a message.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// An error from a message.
pub fn fail(message: impl Into<String>) -> Error {
    message.into().into()
}

/// Every measure, in report order: (key for `--only`, title).
const MEASURES: &[(&str, &str)] = &[
    ("proxy", "1. Proxy overhead, small calls"),
    ("list", "2. Image list through the panel"),
    ("reuse", "3. Upstream connection reuse"),
    ("browser", "4. Browser: render, sort, filter"),
    ("startup", "5. Startup: navigation to first table paint"),
    ("bundle", "6. Bundle size"),
    ("footprint", "7. Server footprint"),
    ("load", "8. Load: 200 concurrent clients"),
];

/// Benchmarks for lem-panel; rewrites BENCHMARKS.md.
#[derive(Debug, Parser)]
#[command(name = "lem-panel-bench", version, about)]
struct Cli {
    /// Smoke run: few samples and short load phases (1–2 minutes).
    #[arg(long)]
    quick: bool,
    /// Run only these measures (comma-separated or repeated): proxy, list, reuse, browser,
    /// startup, bundle, footprint, load.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Do not build the release `lem-panel` first.
    #[arg(long)]
    no_build: bool,
    /// Install missing analysis tools (`cargo install twiggy`) and build the web app once with
    /// symbol names (target/bench-wasm) so twiggy can name the WASM's contributors.
    #[arg(long)]
    install_tools: bool,
    /// Use this `lem-panel` binary instead of target/release/lem-panel (implies --no-build).
    #[arg(long, hide = true)]
    panel_bin: Option<PathBuf>,
    /// Where to write the report (default: BENCHMARKS.md for a full run, otherwise
    /// target/bench/BENCHMARKS.partial.md).
    #[arg(long)]
    output: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// (internal) The simulator in its own process, steered over stdin.
    #[command(hide = true)]
    SimHost(sim_host::SimHostArgs),
    /// (development) Print the first table row of the app and of the vanilla page.
    #[command(hide = true)]
    DumpMarkup,
}

/// What every measure gets.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Paths.
    pub paths: Paths,
    /// Smoke run.
    pub quick: bool,
    /// Install missing tools.
    pub install_tools: bool,
}

impl Ctx {
    /// `full` samples normally, `quick` in a smoke run.
    pub fn n(&self, full: usize, quick: usize) -> usize {
        if self.quick { quick } else { full }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::SimHost(args)) = &cli.command {
        return match sim_host::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sim-host: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lem-panel-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn run(cli: &Cli) -> Result<()> {
    let root = workspace_root();
    let selected: Vec<&(&str, &str)> = MEASURES
        .iter()
        .filter(|(key, _)| cli.only.is_empty() || cli.only.iter().any(|o| o == key))
        .collect();
    if let Some(unknown) = cli
        .only
        .iter()
        .find(|o| !MEASURES.iter().any(|(key, _)| key == o))
    {
        return Err(fail(format!(
            "unknown measure {unknown:?}; known: {}",
            MEASURES.iter().map(|m| m.0).collect::<Vec<_>>().join(", ")
        )));
    }
    if !cli.no_build && cli.panel_bin.is_none() {
        // Built together with this crate, so Cargo resolves the same features as for
        // `cargo run -p lem-panel-bench` and reuses everything instead of rebuilding the
        // dependencies with lem-panel's own feature set (the code is the same either way).
        eprintln!("==> cargo build --release -p lem-panel -p lem-panel-bench");
        let status = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
            .args([
                "build",
                "--release",
                "-p",
                "lem-panel",
                "-p",
                "lem-panel-bench",
            ])
            .current_dir(&root)
            .status()?;
        if !status.success() {
            return Err(fail("building lem-panel failed"));
        }
    }
    let panel_bin = cli
        .panel_bin
        .clone()
        .unwrap_or_else(|| root.join("target/release/lem-panel"));
    if !panel_bin.exists() {
        return Err(fail(format!(
            "{} is missing: run ./x build first",
            panel_bin.display()
        )));
    }
    // A private copy, so a build by someone else during the run cannot swap the binary.
    let copy = root.join("target/bench/lem-panel");
    std::fs::create_dir_all(root.join("target/bench"))?;
    let _ = std::fs::remove_file(&copy);
    std::fs::copy(&panel_bin, &copy)?;
    let panel_bin = copy;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ctx = Ctx {
        paths: Paths {
            root: root.clone(),
            panel_bin,
        },
        quick: cli.quick,
        install_tools: cli.install_tools,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(Command::DumpMarkup) = &cli.command {
        return runtime.block_on(browser::dump_markup(&ctx));
    }
    let started = Instant::now();
    let mut sections = Vec::new();
    for (key, title) in selected {
        eprintln!("==> {title}");
        let t0 = Instant::now();
        let result = runtime.block_on(run_measure(key, title, &ctx));
        let mut section = match result {
            Ok(section) => section,
            Err(e) => {
                eprintln!("    failed: {e}");
                Section::not_measured(key, title, format!("the measure failed: {e}"))
            }
        };
        section.seconds = t0.elapsed().as_secs_f64();
        eprint!("{}", report::table(std::slice::from_ref(&section)));
        sections.push(section);
    }
    let full = cli.only.is_empty() && !cli.quick;
    let output = match &cli.output {
        Some(path) => path.clone(),
        None if full => root.join("BENCHMARKS.md"),
        None if cli.quick => root.join("target/bench/BENCHMARKS.quick.md"),
        None => root.join("target/bench/BENCHMARKS.partial.md"),
    };
    let facts = run_facts(cli, started.elapsed().as_secs_f64(), &root);
    let text = report::markdown(&facts, &sections);
    if let Some(dir) = output.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&output, text)?;
    println!("{}", report::table(&sections));
    println!(
        "Suite took {:.1} min; report written to {}",
        facts.seconds / 60.0,
        output.display()
    );
    Ok(())
}

async fn run_measure(key: &str, title: &'static str, ctx: &Ctx) -> Result<Section> {
    let key: &'static str = MEASURES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(k, _)| *k)
        .ok_or_else(|| fail("unknown measure"))?;
    let mut section = Section::new(key, title);
    match key {
        "proxy" => proxy::run(ctx, &mut section).await?,
        "list" => list::run(ctx, &mut section).await?,
        "reuse" => reuse::run(ctx, &mut section).await?,
        "browser" => browser::run_render(ctx, &mut section).await?,
        "startup" => browser::run_startup(ctx, &mut section).await?,
        "bundle" => bundle::run(ctx, &mut section).await?,
        "footprint" => footprint::run(ctx, &mut section).await?,
        "load" => load::run(ctx, &mut section).await?,
        _ => return Err(fail("unknown measure")),
    }
    Ok(section)
}

fn run_facts(cli: &Cli, seconds: f64, root: &Path) -> RunFacts {
    let mut args: Vec<String> = Vec::new();
    if cli.quick {
        args.push("--quick".into());
    }
    if !cli.only.is_empty() {
        args.push(format!("--only {}", cli.only.join(",")));
    }
    if cli.install_tools {
        args.push("--install-tools".into());
    }
    let args = if args.is_empty() {
        String::new()
    } else {
        format!(" {}", args.join(" "))
    };
    let command = format!(
        "./x bench{args}` (builds the web app, then `cargo run --release -p lem-panel-bench --{args}`)"
    );
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| format!("{:.1} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let head = git(&["rev-parse", "--short", "HEAD"]);
    let dirty = !git(&["status", "--porcelain"]).is_empty();
    let date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_default();
    RunFacts {
        command,
        date,
        cpus: std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model,
        memory,
        kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
        commit: if head.is_empty() {
            "unknown".into()
        } else if dirty {
            format!("commit {head} plus uncommitted changes")
        } else {
            format!("commit {head}")
        },
        seconds,
        quick: cli.quick,
    }
}
