//! lem-panel's server: a web console for the Docker registry of Litmus Edge Manager devices.
//! [`router`] builds the whole HTTP surface from an [`AppState`] (testable without sockets);
//! [`Application`] binds it to an address and runs it until shut down.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod deletion;
pub mod demo;
pub mod devices;
pub mod error;
pub mod jobs;
pub mod metrics;
pub mod middleware;
pub mod routes;
pub mod startup;
pub mod state;
pub mod translate;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use tower::ServiceBuilder;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, Result};
pub use state::AppState;

/// Compression level of dynamic answers, for every encoding (zstd, which Chromium accepts and
/// the panel prefers, then brotli and gzip). Level 1 compresses a 10,000-row list (2.2 MiB of
/// JSON) about as small as brotli's quality 4 in a fifteenth of the time (`./x bench`).
pub const COMPRESSION_LEVEL: i32 = 1;

/// The whole HTTP surface: routes, the middleware stack (outermost first) and the base path.
pub fn router(state: AppState) -> Router {
    let base = state.config.base_path.clone();
    let body_limit = state.config.limits.body_bytes;
    let stack = ServiceBuilder::new()
        .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE]))
        .layer(axum::middleware::map_request(middleware::sanitize_request_id))
        .layer(SetRequestIdLayer::x_request_id(middleware::RandomRequestId))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            // Dynamic answers only (the web app's files are precompressed at build time): small
            // ones are not worth an encoder, and a fast level keeps a 10k-row list cheap.
            CompressionLayer::new()
                .quality(CompressionLevel::Precise(COMPRESSION_LEVEL))
                .compress_when(DefaultPredicate::new().and(SizeAbove::new(1024))),
        )
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::finish))
        // Per route: short for the panel's own routes, derived from the device's timeouts for
        // device routes (the table is `routes::DEVICE_CALLS`).
        .layer(axum::middleware::from_fn_with_state(Arc::new(routes::RouteLimits::new(&state.config)), middleware::time_limit))
        .layer(DefaultBodyLimit::max(body_limit));
    let csp = state.web.csp().clone();
    middleware::under_base_path(&base, routes::api_router(state).layer(stack)).layer(
        axum::middleware::map_response_with_state(csp, middleware::security_headers),
    )
}

/// The server bound to its address.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Application {
    /// Binds `listen` (port 0 picks a free port).
    pub async fn bind(state: AppState, listen: SocketAddr) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        Ok(Self {
            listener,
            router: router(state),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then stops accepting, lets requests in flight finish
    /// for up to `grace`, and returns.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
        grace: Duration,
    ) -> std::io::Result<()> {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let signal = async move {
            shutdown.await;
            let _ = tx.send(true);
        };
        let server = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal);
        let deadline = async move {
            let mut rx = rx;
            let _ = rx.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = server => result,
            () = deadline => {
                tracing::warn!("requests still running after the shutdown grace period; stopping anyway");
                Ok(())
            }
        }
    }
}
