//! Measure 6: the web app's size (WASM + JS + CSS in `dist/`), raw, gzip and brotli, and the
//! top contributors to the WASM (twiggy).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::report::{Met, Row, Section};
use crate::stats::fmt_bytes;
use crate::{Ctx, Result, fail};

/// 150 KB (decimal kilobytes, the stricter reading).
const BROTLI_TARGET: u64 = 150_000;

struct Sizes {
    raw: u64,
    gzip: u64,
    brotli: u64,
}

/// The same settings as `backend/build.rs`, which precompresses what the panel serves.
fn sizes(bytes: &[u8]) -> Result<Sizes> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    let gzip = gz.finish()?.len() as u64;
    let mut br = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut br, &params)?;
    Ok(Sizes {
        raw: bytes.len() as u64,
        gzip,
        brotli: br.len() as u64,
    })
}

fn has_twiggy() -> bool {
    Command::new("twiggy")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A WASM with symbol names, and a warning when it is from an earlier build.
struct NamedWasm {
    path: PathBuf,
    stale: Option<String>,
}

/// Builds the web app's WASM with symbol names kept (the shipped profile strips them, which
/// leaves twiggy only `code[N]`), in its own target directory so nobody's build is disturbed.
/// If the web app's source does not compile right now, the last successful build is used.
fn named_wasm(root: &Path, allowed_to_build: bool) -> Result<Option<NamedWasm>> {
    let target_dir = root.join("target/bench-wasm");
    let wasm = target_dir.join("wasm32-unknown-unknown/wasm-release/frontend.wasm");
    if !allowed_to_build && !target_dir.exists() {
        return Ok(None);
    }
    eprintln!("    building the web app with symbol names for twiggy (target/bench-wasm)");
    std::fs::create_dir_all(&target_dir)?;
    let log = target_dir.join("build.log");
    let status = Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args([
            "build",
            "-p",
            "frontend",
            "--bin",
            "frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
        ])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CARGO_PROFILE_WASM_RELEASE_STRIP", "none")
        .env("CARGO_PROFILE_WASM_RELEASE_DEBUG", "false")
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log)?)
        .status()?;
    if status.success() && wasm.exists() {
        return Ok(Some(NamedWasm {
            path: wasm,
            stale: None,
        }));
    }
    let first_error = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("error"))
        .unwrap_or("see target/bench-wasm/build.log")
        .to_owned();
    if !wasm.exists() {
        return Err(fail(format!(
            "building the named WASM failed: {first_error}"
        )));
    }
    let age = std::fs::metadata(&wasm)?
        .modified()?
        .elapsed()
        .map_or(0, |d| d.as_secs() / 60);
    Ok(Some(NamedWasm {
        path: wasm,
        stale: Some(format!(
            "the web app's current source did not compile ({first_error}), so these are from \
             the last successful named build, {age} min old"
        )),
    }))
}

fn twiggy_top(wasm: &Path, n: usize) -> Result<String> {
    let out = Command::new("twiggy")
        .args(["top", "-n", &n.to_string()])
        .arg(wasm)
        .output()?;
    if !out.status.success() {
        return Err(fail(String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether a twiggy item is metadata that wasm-bindgen or wasm-opt strip from the shipped file
/// (custom sections: names, debug info; wasm-bindgen's descriptor functions and their exports).
fn is_metadata(name: &str) -> bool {
    name.starts_with("custom section")
        || name.contains("\"function names\" subsection")
        || name.contains("__wbindgen_describe")
}

/// Removes `[0123abcd…]` crate disambiguators (`core[c5930c85a12de822]::…`).
fn strip_disambiguators(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let tail = &rest[open + 1..];
        match tail.find(']') {
            Some(close) if close > 0 && tail[..close].chars().all(|c| c.is_ascii_hexdigit()) => {
                out.push_str(&rest[..open]);
                rest = &tail[close + 1..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The first path segment of a type or path, if it is a crate-like identifier.
fn first_segment(path: &str) -> Option<&str> {
    let path = path.trim_start_matches(['&', '*', ' ']);
    let path = path
        .strip_prefix("mut ")
        .or_else(|| path.strip_prefix("dyn "))
        .or_else(|| path.strip_prefix("const "))
        .unwrap_or(path);
    let (first, _) = path.split_once("::")?;
    (!first.is_empty() && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(first)
}

/// The crate an item belongs to, from its demangled name. For `<T as Trait>::f` with a
/// generic `T`, the trait's crate; the standard library's crates count as one.
fn crate_of(name: &str) -> String {
    if name.starts_with("data[") || name.starts_with("data segment") {
        return "(data: strings, constants)".into();
    }
    if name.starts_with("code[") {
        return "(unnamed code)".into();
    }
    if name.starts_with("__wbg") || name.starts_with("__wbindgen") {
        return "(wasm-bindgen glue)".into();
    }
    let name = strip_disambiguators(name);
    let found = match name.strip_prefix('<') {
        Some(inner) => {
            // The text up to the matching '>'.
            let mut depth = 1;
            let end = inner
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '<' => depth += 1,
                        '>' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(inner.len(), |(i, _)| i);
            let inner = &inner[..end];
            match inner.split_once(" as ") {
                Some((self_ty, trait_path)) => {
                    first_segment(self_ty).or_else(|| first_segment(trait_path))
                }
                None => first_segment(inner).or(Some("core")),
            }
        }
        None => first_segment(&name),
    };
    match found {
        Some("core" | "alloc" | "std" | "compiler_builtins" | "__rustc" | "dlmalloc") => {
            "std (core, alloc, dlmalloc)".into()
        }
        Some(krate) => krate.to_owned(),
        None => "(other: tables, types, imports, exports)".into(),
    }
}

/// Code and data of a named WASM by crate, and its largest items (metadata left out).
struct Contributors {
    total: u64,
    crates: Vec<(String, u64)>,
    items: Vec<(String, u64)>,
}

fn contributors(wasm: &Path) -> Result<Contributors> {
    let out = Command::new("twiggy")
        .args(["top", "-n", "1000000", "-f", "json"])
        .arg(wasm)
        .output()?;
    if !out.status.success() {
        return Err(fail(String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout)?;
    let mut crates: BTreeMap<String, u64> = BTreeMap::new();
    let mut items = Vec::new();
    let mut total = 0;
    for item in all {
        let name = item["name"].as_str().unwrap_or("");
        let size = item["shallow_size"].as_u64().unwrap_or(0);
        if is_metadata(name) {
            continue;
        }
        total += size;
        *crates.entry(crate_of(name)).or_default() += size;
        items.push((name.to_owned(), size));
    }
    let mut crates: Vec<(String, u64)> = crates.into_iter().collect();
    crates.sort_by_key(|c| std::cmp::Reverse(c.1));
    items.sort_by_key(|c| std::cmp::Reverse(c.1));
    Ok(Contributors {
        total,
        crates,
        items,
    })
}

/// An item name without its hash suffix, shortened for the table.
fn short_name(name: &str) -> String {
    let name = match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            head
        }
        _ => name,
    };
    if name.chars().count() > 110 {
        format!("{}…", name.chars().take(110).collect::<String>())
    } else {
        name.to_owned()
    }
}

/// Runs measure 6.
pub async fn run(ctx: &Ctx, section: &mut Section) -> Result<()> {
    let root = ctx.paths.root.clone();
    let install = ctx.install_tools;
    let quick = ctx.quick;
    let section_out = tokio::task::spawn_blocking(move || measure(&root, install, quick))
        .await
        .map_err(|e| fail(e.to_string()))??;
    section.rows = section_out.rows;
    section.notes = section_out.notes;
    Ok(())
}

fn measure(root: &Path, install_tools: bool, quick: bool) -> Result<Section> {
    let mut section = Section::new("bundle", "6. Bundle size");
    let dist = root.join("dist");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dist)
        .map_err(|e| {
            fail(format!(
                "{}: {e} (build the web app: ./x build)",
                dist.display()
            ))
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("wasm" | "js" | "css")
            )
        })
        .collect();
    files.sort();
    if !files
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "wasm"))
    {
        return Err(fail(
            "dist/ has no .wasm: build the web app first (./x build)",
        ));
    }
    let mut total = Sizes {
        raw: 0,
        gzip: 0,
        brotli: 0,
    };
    let mut lines = String::new();
    let mut dist_wasm = None;
    for path in &files {
        let bytes = std::fs::read(path)?;
        let s = sizes(&bytes)?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let _ = write!(
            lines,
            "`{name}` {} raw, {} gzip, {} brotli; ",
            fmt_bytes(s.raw),
            fmt_bytes(s.gzip),
            fmt_bytes(s.brotli)
        );
        if path.extension().is_some_and(|e| e == "wasm") {
            dist_wasm = Some(path.clone());
        }
        total.raw += s.raw;
        total.gzip += s.gzip;
        total.brotli += s.brotli;
    }
    section.row(Row::new(
        "Web app WASM + JS + CSS, brotli (q11, as served)",
        format!("{} ({} bytes)", fmt_bytes(total.brotli), total.brotli),
        format!(
            "raw {}, gzip {}",
            fmt_bytes(total.raw),
            fmt_bytes(total.gzip)
        ),
        format!(
            "{:.0}% of target",
            total.brotli as f64 * 100.0 / BROTLI_TARGET as f64
        ),
        "≤ 150 KB brotli (150,000 bytes)",
        Met::from(total.brotli <= BROTLI_TARGET),
    ));
    section.note(format!(
        "Files in `dist/` (compressed here with the settings `backend/build.rs` uses for the \
         copies the panel serves: gzip level 9, brotli quality 11, window 22): {}",
        lines.trim_end_matches("; ")
    ));
    if total.brotli > BROTLI_TARGET {
        section.note(
            "What limits it: the WASM is nearly all of the bundle (see the files above), and of \
             its code the framework (Leptos: `reactive_graph`, `tachys`, `leptos_router`, \
             `leptos`) and the standard library (formatting, allocator, collections) are the \
             largest parts (see the crates below); the app's own code is a minority. Already \
             applied by the build (Cargo.toml `wasm-release` profile, frontend/index.html, \
             Trunk.toml): `opt-level = \"z\"`, fat LTO, one codegen unit, `panic = \"abort\"`, \
             stripped symbols, wasm-opt -Oz. Not tried here (the web app is another issue's \
             code): splitting pages into lazily loaded modules, replacing `format!`-heavy code \
             and serde_json in the browser, a smaller allocator, building std with \
             `-Zbuild-std` and `panic_immediate_abort` (nightly only).",
        );
    }

    // twiggy.
    if quick {
        section.note("Top contributors (twiggy): skipped in a `--quick` run.");
        return Ok(section);
    }
    let mut twiggy = has_twiggy();
    if !twiggy && install_tools {
        eprintln!("    cargo install twiggy");
        let status = Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
            .args(["install", "twiggy", "--locked"])
            .status()?;
        twiggy = status.success() && has_twiggy();
    }
    if !twiggy {
        section.note(
            "Top contributors: not listed — `twiggy` is not installed (run the bench with \
             `--install-tools`, or `cargo install twiggy`).",
        );
        return Ok(section);
    }
    let named = match named_wasm(root, install_tools) {
        Ok(named) => named,
        Err(e) => {
            section.note(format!("The WASM build with symbol names failed: {e}."));
            None
        }
    };
    match named {
        Some(named) => {
            let wasm = named.path;
            let c = contributors(&wasm)?;
            let pct = |size: u64| size as f64 * 100.0 / c.total.max(1) as f64;
            let listed: Vec<String> = c
                .crates
                .iter()
                .take(15)
                .map(|(name, size)| format!("{name} {} ({:.1}%)", fmt_bytes(*size), pct(*size)))
                .collect();
            section.note(format!(
                "Top contributors by crate (twiggy shallow sizes of code and data, on the same \
                 code built with symbol names in `target/bench-wasm`, before wasm-bindgen and \
                 wasm-opt; what those tools strip — custom sections such as names and debug \
                 info, and wasm-bindgen's descriptor functions — is left out, leaving {}; the \
                 shipped file is smaller still, as wasm-opt shrinks everything){}: {}.",
                fmt_bytes(c.total),
                named
                    .stale
                    .map(|why| format!("; note: {why}"))
                    .unwrap_or_default(),
                listed.join(", ")
            ));
            let top: Vec<String> = c
                .items
                .iter()
                .take(20)
                .map(|(name, size)| format!("{size:>8} {:>5.1}%  {}", pct(*size), short_name(name)))
                .collect();
            section.note(format!(
                "Largest items (twiggy, same build, bytes and share of code + data):\n\n```text\n{}\n```",
                top.join("\n")
            ));
        }
        None => {
            if let Some(wasm) = dist_wasm {
                let top = twiggy_top(&wasm, 12)?;
                section.note(format!(
                    "Top items of the shipped WASM (twiggy top; the `wasm-release` profile \
                     strips symbol names, so functions show as `code[N]` — run once with \
                     `--install-tools` to also build a named copy in `target/bench-wasm` \
                     and list contributors by crate):\n\n```text\n{top}```"
                ));
            }
        }
    }
    Ok(section)
}

#[cfg(test)]
mod tests {
    use super::crate_of;

    #[test]
    fn crates_from_names() {
        assert_eq!(
            crate_of("leptos::view::render::h0123456789abcdef"),
            "leptos"
        );
        assert_eq!(
            crate_of("<serde_json::de::Deserializer as core::Foo>::bar"),
            "serde_json"
        );
        assert_eq!(
            crate_of(
                "<F as leptos_router::matching::choose_view::ChooseView>::choose::{{closure}}"
            ),
            "leptos_router"
        );
        assert_eq!(
            crate_of("<dlmalloc[e24a27700634d609]::dlmalloc::Dlmalloc<x>>::malloc"),
            "std (core, alloc, dlmalloc)"
        );
        assert_eq!(
            crate_of("<str>::to_lowercase"),
            "std (core, alloc, dlmalloc)"
        );
        assert_eq!(crate_of("data[3]"), "(data: strings, constants)");
        assert_eq!(crate_of("code[12]"), "(unnamed code)");
        assert_eq!(
            crate_of("elem[0]"),
            "(other: tables, types, imports, exports)"
        );
    }
}
