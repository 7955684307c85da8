//! Everything a request handler can reach, built once at start and passed explicitly.

use std::sync::Arc;

use crate::audit::AuditEvent;
use crate::auth::throttle::LoginThrottle;
use crate::auth::{RequestContext, SessionCookie};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::devices::Devices;
use crate::error::ApiError;
use crate::jobs::JobRunner;
use crate::metrics::Metrics;
use crate::web::WebApp;

/// Shared application state (cheap to clone: all `Arc`s).
#[derive(Clone)]
pub struct AppState {
    /// Validated configuration.
    pub config: Arc<Config>,
    /// The panel's database.
    pub db: Db,
    /// The devices.
    pub devices: Arc<Devices>,
    /// Import jobs.
    pub jobs: Arc<JobRunner>,
    /// Login throttling.
    pub throttle: Arc<LoginThrottle>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Session cookie policy.
    pub cookie: Arc<SessionCookie>,
    /// The web app.
    pub web: Arc<WebApp>,
    /// `host[:port]` of `public_url`, accepted as a same-origin `Origin`.
    pub public_authority: Option<Arc<str>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// Appends an audit record; it is committed before this returns.
    pub async fn audit(
        &self,
        context: &RequestContext,
        event: AuditEvent<'_>,
    ) -> Result<(), ApiError> {
        crate::audit::record(&self.db, self.clock.as_ref(), context, event).await
    }

    /// Appends the record of an outcome that already happened: a failure to write it is logged,
    /// not returned (the action cannot be undone).
    pub async fn audit_outcome(&self, context: &RequestContext, event: AuditEvent<'_>) {
        crate::audit::record_outcome(&self.db, self.clock.as_ref(), context, event).await;
    }

    /// Assembles the state from its parts.
    pub fn new(
        config: Config,
        db: Db,
        devices: Devices,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
        web: WebApp,
    ) -> Self {
        let cookie = SessionCookie::new(
            &config.base_path,
            config.secure_cookies(),
            config.session.absolute_timeout_hours * 3600,
        );
        let public_authority = config
            .public_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| {
                let host = u.host_str()?.to_owned();
                Some(match u.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                })
            })
            .map(Arc::from);
        Self {
            throttle: Arc::new(LoginThrottle::new(
                config.login.max_failures,
                config.login.window_seconds,
            )),
            jobs: Arc::new(JobRunner::new(db.clone(), clock.clone())),
            config: Arc::new(config),
            db,
            devices: Arc::new(devices),
            clock,
            metrics,
            cookie: Arc::new(cookie),
            web: Arc::new(web),
            public_authority,
        }
    }
}
