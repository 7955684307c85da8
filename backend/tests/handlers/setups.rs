//! Apps the shared harness does not build (several scripted devices, a database the test
//! chooses, no users yet) and requests that come from a known network address.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::{Method, Request, header};
use lem_client::RegistryApi;
use lem_panel::clock::ManualClock;
use lem_panel::config::Config;
use lem_panel::db::Db;
use lem_panel::devices::Devices;
use lem_panel::metrics::Metrics;
use lem_panel::state::AppState;
use lem_panel::web::WebApp;
use serde_json::Value;

use crate::harness::{FakeDevice, Harness, START_MS, device_settings, seed_users};

/// What to build.
pub struct Setup {
    /// Device ids, each backed by its own scripted device (the first is `Harness::device`).
    pub devices: Vec<&'static str>,
    /// Configuration (its `devices` are replaced).
    pub config: Config,
    /// The database (in memory unless a test needs a file).
    pub db: Db,
    /// Whether to create `viewer`, `operator` and `admin` as the shared harness does.
    pub users: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            devices: vec!["edge-1"],
            config: Config::default(),
            db: Db::in_memory().expect("db"),
            users: true,
        }
    }
}

impl Setup {
    /// Builds the app; the scripted devices are returned in the order of `devices`.
    pub async fn build(self) -> (Harness, Vec<Arc<FakeDevice>>) {
        let mut config = self.config;
        config.devices = self.devices.iter().map(|id| device_settings(id)).collect();
        config.validate().expect("valid config");
        let fakes: Vec<Arc<FakeDevice>> = self
            .devices
            .iter()
            .map(|_| FakeDevice::with_rows(vec![]))
            .collect();
        let parts = config
            .devices
            .iter()
            .cloned()
            .zip(fakes.iter().map(|f| f.clone() as Arc<dyn RegistryApi>))
            .collect();
        let metrics = Arc::new(Metrics::default());
        let devices = Devices::from_parts(parts, &config, &metrics);
        let clock = Arc::new(ManualClock::new(START_MS));
        let web = WebApp::embedded(&config.base_with_slash());
        let state = AppState::new(config, self.db, devices, clock.clone(), metrics, web);
        if self.users {
            seed_users(&state).await;
        }
        let harness = Harness {
            router: lem_panel::router(state.clone()),
            state,
            device: fakes[0].clone(),
            clock,
        };
        (harness, fakes)
    }
}

/// A request as it arrives over TCP from `peer`, with the app's CSRF header on changes and an
/// `x-request-id` the audit trail should carry.
pub fn from(
    peer: &str,
    method: Method,
    path: &str,
    request_id: &str,
) -> axum::http::request::Builder {
    let peer: SocketAddr = format!("{peer}:40000").parse().expect("address");
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(path)
        .header(header::HOST, "panel.local")
        .header("x-request-id", request_id)
        .extension(ConnectInfo(peer));
    if method != Method::GET {
        builder = builder.header(shared::CSRF_HEADER, shared::CSRF_HEADER_VALUE);
    }
    builder
}

/// An import request body for `alpine:3.20` from Docker Hub.
pub fn alpine_import() -> Value {
    serde_json::json!({"externalUrl": "docker.io", "externalName": "library/alpine",
        "externalTag": "3.20", "internalName": "alpine", "internalTag": "3.20"})
}
