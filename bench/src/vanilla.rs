//! A tiny static server for the vanilla-JS reference page: the page, the web app's own
//! stylesheet, and `/api/…` forwarded to the panel with the bench's session, so the reference
//! page gets the very same JSON through the very same panel and device.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::Result;
use crate::rig::Session;

/// The reference page.
pub const PAGE: &str = include_str!("vanilla.html");

/// The running server; stops when dropped.
#[derive(Debug)]
pub struct Vanilla {
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    task: JoinHandle<()>,
}

impl Drop for Vanilla {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    css: Bytes,
    panel_url: String,
    session: Session,
    http: reqwest::Client,
}

/// Starts the server. `css` is the web app's stylesheet from `dist/`.
pub async fn start(
    css: Vec<u8>,
    panel_url: String,
    session: Session,
    http: reqwest::Client,
) -> Result<Vanilla> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        css: Bytes::from(css),
        panel_url,
        session,
        http,
    });
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let shared = shared.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let shared = shared.clone();
                    async move { Ok::<_, Infallible>(handle(&shared, request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Vanilla {
        url: format!("http://{addr}/"),
        task,
    })
}

fn plain(status: StatusCode, content_type: &str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    if let Ok(value) = "no-cache".parse() {
        response.headers_mut().insert(CACHE_CONTROL, value);
    }
    response
}

async fn handle(shared: &Shared, request: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    match path.as_str() {
        "/" | "/vanilla.html" => plain(
            StatusCode::OK,
            "text/html; charset=utf-8",
            Bytes::from_static(PAGE.as_bytes()),
        ),
        "/style.css" => plain(StatusCode::OK, "text/css", shared.css.clone()),
        _ if path.starts_with("/api/") => match forward(shared, &path).await {
            Ok(response) => response,
            Err(e) => plain(
                StatusCode::BAD_GATEWAY,
                "text/plain",
                Bytes::from(e.to_string()),
            ),
        },
        _ => plain(
            StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(b"not found"),
        ),
    }
}

async fn forward(shared: &Shared, path: &str) -> Result<Response<Full<Bytes>>> {
    let url = format!("{}{}", shared.panel_url, path.trim_start_matches('/'));
    let upstream = shared
        .http
        .get(url)
        .header(reqwest::header::COOKIE, shared.session.cookie())
        .header(
            reqwest::header::ACCEPT_ENCODING,
            crate::rig::BROWSER_ACCEPT_ENCODING,
        )
        .send()
        .await?;
    let status = StatusCode::from_u16(upstream.status().as_u16())?;
    let content_type = upstream.headers().get(CONTENT_TYPE).cloned();
    let encoding = upstream.headers().get(CONTENT_ENCODING).cloned();
    let body = upstream.bytes().await?;
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    if let Some(value) = content_type {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    if let Some(value) = encoding {
        response.headers_mut().insert(CONTENT_ENCODING, value);
    }
    Ok(response)
}
