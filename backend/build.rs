//! Embeds the built web app (`dist/`, produced by `trunk build`) into the binary, with gzip and
//! brotli copies made here once instead of on every request. Without `dist/` the server still
//! builds and serves a page saying how to build the web app.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let dist = std::env::var("LEM_PANEL_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("../dist"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    println!("cargo:rerun-if-changed={}", dist.display());
    println!("cargo:rerun-if-env-changed=LEM_PANEL_DIST");
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Files of the built web app.\npub static WEB_ASSETS: &[EmbeddedFile] = &[\n",
    );
    for (i, (rel, path)) in files.iter().enumerate() {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let gz = out_dir.join(format!("asset{i}.gz"));
        let br = out_dir.join(format!("asset{i}.br"));
        write_file(&gz, &gzip(&bytes));
        write_file(&br, &brotli(&bytes));
        let _ = writeln!(
            code,
            "    EmbeddedFile {{ path: {rel:?}, identity: include_bytes!({:?}), gzip: include_bytes!({:?}), brotli: include_bytes!({:?}) }},",
            path.display().to_string(),
            gz.display().to_string(),
            br.display().to_string()
        );
    }
    code.push_str("];\n");
    write_file(&out_dir.join("web_assets.rs"), code.as_bytes());
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Trunk builds into dist/.stage/ before swapping it in: never embed hidden entries.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(rel) = path.strip_prefix(root) {
            files.push((rel.to_string_lossy().replace('\\', "/"), path));
        }
    }
}

fn write_file(path: &Path, bytes: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(bytes)
        && let Err(e) = std::fs::write(path, bytes)
    {
        panic!("cannot write {}: {e}", path.display());
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    out
}
