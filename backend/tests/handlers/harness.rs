//! The test harness: an app with a fake device, a controllable clock and three users.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use lem_client::{
    CertificateFacts, DeviceError, InfoReport, ListAnswer, PullRequest, RegistryApi, RegistryInfo,
};
use lem_panel::clock::ManualClock;
use lem_panel::config::{Config, DeviceSettings, DeviceTimeouts};
use lem_panel::db::Db;
use lem_panel::devices::Devices;
use lem_panel::metrics::Metrics;
use lem_panel::state::AppState;
use lem_panel::web::WebApp;
use serde_json::{Value, json};
use shared::api::{AuthMode, Role, TlsMode};
use tower::ServiceExt;

pub const D1: &str = "sha256:c50f2833761e7c5a151a2c2fd72bdf64a8ee52de35016ae4141af24f1dc655f4";
pub const D2: &str = "sha256:1d34d73bc040a8adf1f66d8548e2ea9f41c5327e863cd1818006638c7bcfdc03";
pub const D512: &str = "sha512:fa045f7322fc68501dff8b3157c5a6ba52a2fde177340d5514f8467008cd25918b30a62bebff8cb6e5de9e592806d390ff44207e31270e2b4c20f88be39eac70";
pub const START_MS: i64 = 1_800_000_000_000;

/// A list row in the device's format.
pub fn row(name: &str, tag: &str, digest: &str) -> Value {
    json!({"name": name, "tag": tag, "digest": digest, "timestamp": 1_700_000_000_000_i64, "size": 52_428_800})
}

/// The device operations, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    List,
    Pull,
    Delete,
    Info,
}

/// A scripted device: rows, queued errors per operation, call counters, recorded calls.
#[derive(Default)]
pub struct FakeDevice {
    pub rows: Mutex<Vec<Value>>,
    errors: Mutex<HashMap<Op, VecDeque<(DeviceError, bool)>>>,
    calls: Mutex<HashMap<Op, u32>>,
    pub pulls: Mutex<Vec<PullRequest>>,
    pub deletes: Mutex<Vec<(String, String)>>,
    /// When true, delete answers OK but leaves the rows in place.
    pub keep_rows_on_delete: Mutex<bool>,
    /// Digest given to pulled images.
    pub pull_digest: Mutex<Option<String>>,
    /// How long a pull takes.
    pub pull_delay: Mutex<std::time::Duration>,
}

impl FakeDevice {
    pub fn with_rows(rows: Vec<Value>) -> Arc<Self> {
        let device = Self::default();
        *device.rows.lock().expect("lock") = rows;
        Arc::new(device)
    }

    /// The next call of `op` fails with `error` (queued, one per call).
    pub fn fail_next(&self, op: Op, error: DeviceError) {
        self.errors
            .lock()
            .expect("lock")
            .entry(op)
            .or_default()
            .push_back((error, false));
    }

    /// The next call of `op` carries out the operation, then fails with `error` (a device
    /// that acted but whose answer was lost).
    pub fn fail_next_after_acting(&self, op: Op, error: DeviceError) {
        self.errors
            .lock()
            .expect("lock")
            .entry(op)
            .or_default()
            .push_back((error, true));
    }

    pub fn calls(&self, op: Op) -> u32 {
        self.calls
            .lock()
            .expect("lock")
            .get(&op)
            .copied()
            .unwrap_or(0)
    }

    pub fn total_calls(&self) -> u32 {
        self.calls.lock().expect("lock").values().sum()
    }

    /// Counts the call; returns an error to give now, or one to give after acting.
    fn enter(&self, op: Op) -> Result<Option<DeviceError>, DeviceError> {
        *self.calls.lock().expect("lock").entry(op).or_default() += 1;
        match self
            .errors
            .lock()
            .expect("lock")
            .get_mut(&op)
            .and_then(VecDeque::pop_front)
        {
            Some((error, false)) => Err(error),
            Some((error, true)) => Ok(Some(error)),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl RegistryApi for FakeDevice {
    async fn list_answer(&self) -> Result<ListAnswer, DeviceError> {
        let _ = self.enter(Op::List)?;
        let body = serde_json::to_vec(&*self.rows.lock().expect("lock")).expect("json");
        Ok(ListAnswer::json(body))
    }

    async fn pull_image(&self, request: &PullRequest) -> Result<(), DeviceError> {
        self.pulls.lock().expect("lock").push(request.clone());
        let delay = *self.pull_delay.lock().expect("lock");
        tokio::time::sleep(delay).await;
        let after = self.enter(Op::Pull)?;
        let digest = self
            .pull_digest
            .lock()
            .expect("lock")
            .clone()
            .unwrap_or_else(|| D2.to_owned());
        let mut rows = self.rows.lock().expect("lock");
        rows.retain(|r| {
            !(r["name"] == request.internal_name.as_str()
                && r["tag"] == request.internal_tag.as_str())
        });
        rows.push(row(&request.internal_name, &request.internal_tag, &digest));
        after.map_or(Ok(()), Err)
    }

    async fn delete_image(&self, name: &str, digest: &str) -> Result<(), DeviceError> {
        self.deletes
            .lock()
            .expect("lock")
            .push((name.to_owned(), digest.to_owned()));
        let after = self.enter(Op::Delete)?;
        if !*self.keep_rows_on_delete.lock().expect("lock") {
            self.rows
                .lock()
                .expect("lock")
                .retain(|r| !(r["name"] == name && r["digest"] == digest));
        }
        after.map_or(Ok(()), Err)
    }

    async fn registry_info(&self) -> Result<InfoReport, DeviceError> {
        let _ = self.enter(Op::Info)?;
        Ok(InfoReport {
            info: RegistryInfo {
                state: Some(true),
                auth_state: Some(true),
                proxy_state: Some(false),
                proxy_user: None,
            },
            round_trip: std::time::Duration::from_millis(3),
        })
    }

    fn peer_certificate(&self) -> Option<CertificateFacts> {
        Some(CertificateFacts {
            sha256: "ab:cd".into(),
            subject: Some("CN=lem-edge.example.local".into()),
            not_after_ms: Some(START_MS + 86_400_000),
        })
    }
}

/// A response, body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub text: String,
    /// The body as sent (still compressed when the answer was).
    pub bytes: axum::body::Bytes,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

pub fn password_of(user: &str) -> String {
    format!("{user}-password-123")
}

pub struct Harness {
    pub state: AppState,
    pub router: Router,
    pub device: Arc<FakeDevice>,
    pub clock: Arc<ManualClock>,
}

/// Creates the three test users (`admin`, `operator`, `viewer`) with their known passwords.
pub async fn seed_users(state: &AppState) {
    for role in Role::ALL {
        let hash = lem_panel::auth::password::hash(password_of(role.as_str()))
            .await
            .expect("hash");
        state
            .db
            .create_user(role.as_str().into(), hash, role, false, START_MS)
            .await
            .expect("user");
    }
}

pub fn device_settings(id: &str) -> DeviceSettings {
    DeviceSettings {
        id: id.into(),
        name: Some(format!("Device {id}")),
        url: "https://10.20.0.5:8446".into(),
        token: Some("LEMTOKEN-canary-9d1e".to_owned().into()),
        token_file: None,
        auth: AuthMode::Basic,
        tls: TlsMode::Pin,
        sha256: Some("ab".repeat(32)),
        ca_file: None,
        proxy: "none".into(),
        registry_host: None,
        max_response_mib: 64,
        timeouts: DeviceTimeouts::default(),
    }
}

impl Harness {
    pub async fn new(rows: Vec<Value>) -> Self {
        Self::with_config(rows, Config::default()).await
    }

    pub async fn with_config(rows: Vec<Value>, mut config: Config) -> Self {
        config.devices = vec![device_settings("edge-1")];
        config.validate().expect("valid config");
        let device = FakeDevice::with_rows(rows);
        let clock = Arc::new(ManualClock::new(START_MS));
        let metrics = Arc::new(Metrics::default());
        let devices = Devices::from_parts(
            vec![(
                config.devices[0].clone(),
                device.clone() as Arc<dyn RegistryApi>,
            )],
            &config,
            &metrics,
        );
        let db = Db::in_memory().expect("db");
        let web = WebApp::embedded(&config.base_with_slash());
        let state = AppState::new(config, db, devices, clock.clone(), metrics, web);
        seed_users(&state).await;
        let router = lem_panel::router(state.clone());
        Self {
            state,
            router,
            device,
            clock,
        }
    }

    /// Sends a request. Mutating requests carry the app's CSRF header unless `raw` is used.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, "panel.local");
        if method != Method::GET {
            builder = builder.header(shared::CSRF_HEADER, shared::CSRF_HEADER_VALUE);
        }
        self.send(builder, cookie, body).await
    }

    pub async fn send(
        &self,
        mut builder: axum::http::request::Builder,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        if let Some(cookie) = cookie {
            builder = builder.header(header::COOKIE, cookie);
        }
        let request = match body {
            Some(json) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(&json).expect("json")))
                .expect("request"),
            None => builder.body(Body::empty()).expect("request"),
        };
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
            bytes,
        }
    }

    /// Logs in and returns the `Cookie` header value.
    pub async fn login(&self, user: &str) -> String {
        let reply = self
            .call(
                Method::POST,
                "/api/v1/session",
                None,
                Some(json!({"username": user, "password": password_of(user)})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let set = reply
            .headers
            .get(header::SET_COOKIE)
            .expect("cookie")
            .to_str()
            .expect("ascii");
        set.split(';').next().expect("pair").to_owned()
    }

    pub async fn get(&self, path: &str, cookie: &str) -> Reply {
        self.call(Method::GET, path, Some(cookie), None).await
    }

    pub async fn post(&self, path: &str, cookie: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(cookie), Some(body))
            .await
    }

    pub async fn audit_actions(&self) -> Vec<String> {
        self.state
            .db
            .audit(Default::default())
            .await
            .expect("audit")
            .into_iter()
            .map(|r| r.action.as_str().to_owned())
            .collect()
    }
}

impl Harness {
    /// Polls a job until it has finished (at most 10 s).
    pub async fn finished_job(&self, id: i64, cookie: &str) -> Value {
        for _ in 0..1000 {
            let job = self.get(&format!("/api/v1/jobs/{id}"), cookie).await.body;
            if !matches!(job["state"].as_str(), Some("queued" | "running")) {
                return job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("job {id} did not finish");
    }
}
