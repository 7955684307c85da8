//! Serving the web app: embedded files (or a directory in development), `index.html` with the
//! base path filled in, and the Content-Security-Policy, whose script hashes are computed from
//! the inline loader Trunk writes into `index.html`.

use std::collections::HashMap;
use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// One file of the web app embedded at build time, with compressed copies.
pub struct EmbeddedFile {
    /// Path relative to the app's root.
    pub path: &'static str,
    /// The file.
    pub identity: &'static [u8],
    /// Gzip copy.
    pub gzip: &'static [u8],
    /// Brotli copy.
    pub brotli: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// A file to serve, from the binary or from disk.
struct SourceFile {
    path: String,
    identity: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
}

/// The placeholder Trunk's `public_url` puts in front of every asset path.
pub const BASE_PLACEHOLDER: &str = "/__LEM_BASE__/";

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>lem-panel</title></head>\
<body><h1>The web app is not built</h1><p>Build it with <code>./x build</code> (or <code>trunk build --release</code>) \
and restart the panel. The API under <code>api/v1</code> works without it.</p></body></html>";

struct Asset {
    content_type: &'static str,
    identity: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
    etag: String,
}

/// The web app's files, ready to serve.
pub struct WebApp {
    assets: HashMap<String, Asset>,
    index: Vec<u8>,
    csp: HeaderValue,
    /// Whether a built web app is present (false: the "not built" page is served).
    pub built: bool,
}

impl std::fmt::Debug for WebApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebApp")
            .field("files", &self.assets.len())
            .finish()
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `'sha256-…'` sources for every inline `<script>` (one without `src`).
fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        let after = &rest[open..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_start = &after[tag_end + 1..];
        let Some(close) = body_start.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") && !body_start[..close].trim().is_empty() {
            hashes.push(format!(
                "'sha256-{}'",
                STANDARD.encode(Sha256::digest(&body_start.as_bytes()[..close]))
            ));
        }
        rest = &body_start[close..];
    }
    hashes
}

fn csp_for(index: &str) -> HeaderValue {
    let scripts = inline_script_hashes(index).join(" ");
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {scripts}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        )
    })
}

impl WebApp {
    /// The app embedded at build time, with `base` (`/` or `/registry/`) filled in.
    pub fn embedded(base: &str) -> Self {
        let files = WEB_ASSETS
            .iter()
            .map(|f| SourceFile {
                path: f.path.to_owned(),
                identity: Bytes::from_static(f.identity),
                gzip: Some(Bytes::from_static(f.gzip)),
                brotli: Some(Bytes::from_static(f.brotli)),
            })
            .collect();
        Self::from_files(files, base)
    }

    /// The app read from a directory (development), without precompressed copies.
    pub fn from_dir(dir: &Path, base: &str) -> std::io::Result<Self> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_file()
                && let Some(name) = path.file_name().and_then(|n| n.to_str())
            {
                files.push(SourceFile {
                    path: name.to_owned(),
                    identity: std::fs::read(&path)?.into(),
                    gzip: None,
                    brotli: None,
                });
            }
        }
        Ok(Self::from_files(files, base))
    }

    fn from_files(files: Vec<SourceFile>, base: &str) -> Self {
        let mut assets = HashMap::new();
        let mut index = None;
        for SourceFile {
            path,
            identity,
            gzip,
            brotli,
        } in files
        {
            if path == "index.html" {
                index = Some(String::from_utf8_lossy(&identity).replace(BASE_PLACEHOLDER, base));
                continue;
            }
            let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&identity)[..12]));
            assets.insert(
                path.clone(),
                Asset {
                    content_type: content_type(&path),
                    identity,
                    gzip,
                    brotli,
                    etag,
                },
            );
        }
        let built = index.is_some();
        let index = index.unwrap_or_else(|| NOT_BUILT.to_owned());
        Self {
            csp: csp_for(&index),
            index: index.into_bytes(),
            assets,
            built,
        }
    }

    /// The Content-Security-Policy for every response.
    pub fn csp(&self) -> &HeaderValue {
        &self.csp
    }

    /// Whether `path` (relative to the base path) is a file of the app.
    pub fn has(&self, path: &str) -> bool {
        self.assets.contains_key(path)
    }

    /// `index.html`, never cached (it names the current asset hashes).
    pub fn index(&self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            self.index.clone(),
        )
            .into_response()
    }

    /// One file, compressed as the client accepts; Trunk's hashed file names make them immutable.
    pub fn file(&self, path: &str, request: &HeaderMap) -> Response {
        let Some(asset) = self.assets.get(path) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        if request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            == Some(asset.etag.as_str())
        {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        let accepts = request
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let (body, encoding) = match (&asset.brotli, &asset.gzip) {
            (Some(br), _) if accepts.contains("br") => (br.clone(), Some("br")),
            (_, Some(gz)) if accepts.contains("gzip") => (gz.clone(), Some("gzip")),
            _ => (asset.identity.clone(), None),
        };
        let mut response = Response::new(Body::from(body));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Ok(etag) = HeaderValue::from_str(&asset.etag) {
            headers.insert(header::ETAG, etag);
        }
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_path_is_filled_in_and_inline_scripts_are_hashed_into_the_csp() {
        let html = "<html><head><link rel=\"stylesheet\" href=\"/__LEM_BASE__/style-1.css\">\
            <script type=\"module\">import init from '/__LEM_BASE__/app-1.js';init('/__LEM_BASE__/app-1_bg.wasm');</script>\
            <script src=\"/__LEM_BASE__/x.js\"></script></head></html>";
        let app = WebApp::from_files(
            vec![
                SourceFile {
                    path: "index.html".into(),
                    identity: Bytes::copy_from_slice(html.as_bytes()),
                    gzip: None,
                    brotli: None,
                },
                SourceFile {
                    path: "app-1.js".into(),
                    identity: Bytes::from_static(b"x"),
                    gzip: None,
                    brotli: None,
                },
            ],
            "/registry/",
        );
        let index = String::from_utf8(app.index.clone()).expect("utf8");
        assert!(index.contains("href=\"/registry/style-1.css\""));
        assert!(!index.contains("__LEM_BASE__"));
        let script = "import init from '/registry/app-1.js';init('/registry/app-1_bg.wasm');";
        let expected = format!(
            "'sha256-{}'",
            STANDARD.encode(Sha256::digest(script.as_bytes()))
        );
        let csp = app.csp().to_str().expect("ascii");
        assert!(csp.contains(&expected), "{csp}");
        assert!(
            csp.contains("'wasm-unsafe-eval'")
                && !csp.contains("unsafe-inline")
                && !csp.contains("'unsafe-eval'")
        );
        assert!(app.has("app-1.js") && !app.has("index.html"));
    }
}
