//! One method per panel endpoint (paths from `backend/src/routes/mod.rs`), on the default
//! device unless the name says otherwise.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use shared::api::Role;

use crate::client::{PanelClient, Reply};
use crate::password_of;

/// How long [`PanelClient::wait_for_job`] polls before giving up.
const JOB_WAIT: Duration = Duration::from_secs(30);

impl PanelClient {
    /// `GET path` (relative to the base path).
    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.request(Method::POST, path, Some(body)).await
    }

    /// `GET /healthz`.
    pub async fn healthz(&self) -> Reply {
        self.get("healthz").await
    }

    /// `GET /readyz`.
    pub async fn readyz(&self) -> Reply {
        self.get("readyz").await
    }

    /// `GET /metrics`.
    pub async fn metrics(&self) -> Reply {
        self.get("metrics").await
    }

    /// `GET /api/v1/openapi.json`.
    pub async fn openapi(&self) -> Reply {
        self.get("api/v1/openapi.json").await
    }

    /// `POST /api/v1/session`: log in (the cookie is kept when it works).
    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.post(
            "api/v1/session",
            &json!({"username": username, "password": password}),
        )
        .await
    }

    /// Logs in as one of the test users (`admin`, `operator`, `viewer`); panics unless 200.
    pub async fn login_as(&self, username: &str) -> Reply {
        let reply = self.login(username, &password_of(username)).await;
        assert_eq!(
            reply.status, 200,
            "login as {username} failed: {}",
            reply.text
        );
        reply
    }

    /// `GET /api/v1/session`: who is logged in.
    pub async fn session(&self) -> Reply {
        self.get("api/v1/session").await
    }

    /// `DELETE /api/v1/session`: log out.
    pub async fn logout(&self) -> Reply {
        self.request(Method::DELETE, "api/v1/session", None).await
    }

    /// `PUT /api/v1/session/password`.
    pub async fn change_password(&self, current: &str, new: &str) -> Reply {
        let body = json!({"currentPassword": current, "newPassword": new});
        self.request(Method::PUT, "api/v1/session/password", Some(&body))
            .await
    }

    /// `GET /api/v1/devices`.
    pub async fn devices(&self) -> Reply {
        self.get("api/v1/devices").await
    }

    /// `GET /api/v1/devices/{device}/images` for the configured device.
    pub async fn images(&self) -> Reply {
        self.images_of(&self.target.device.clone()).await
    }

    /// `GET /api/v1/devices/{device}/images`.
    pub async fn images_of(&self, device: &str) -> Reply {
        self.get(&format!("api/v1/devices/{device}/images")).await
    }

    /// `GET /api/v1/devices/{device}/registry`: registry info and connection facts.
    pub async fn registry_status(&self) -> Reply {
        let device = self.target.device.clone();
        self.get(&format!("api/v1/devices/{device}/registry")).await
    }

    /// `POST /api/v1/devices/{device}/imports` with this body (see [`crate::import_body`]).
    pub async fn import(&self, body: &Value) -> Reply {
        let device = self.target.device.clone();
        self.post(&format!("api/v1/devices/{device}/imports"), body)
            .await
    }

    /// `GET /api/v1/jobs`.
    pub async fn jobs(&self) -> Reply {
        self.get("api/v1/jobs").await
    }

    /// `GET /api/v1/jobs/{id}`.
    pub async fn job(&self, id: i64) -> Reply {
        self.get(&format!("api/v1/jobs/{id}")).await
    }

    /// Polls `GET /api/v1/jobs/{id}` every 20 ms until the job has finished; panics after 30 s.
    pub async fn wait_for_job(&self, id: i64) -> Reply {
        let started = Instant::now();
        loop {
            let reply = self.job(id).await;
            let state = reply.body["state"].as_str().unwrap_or_default();
            if reply.status != 200 || !matches!(state, "queued" | "running") {
                return reply;
            }
            assert!(
                started.elapsed() < JOB_WAIT,
                "job {id} still {state} after {JOB_WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `POST /api/v1/devices/{device}/deletions` for (name, digest), confirming `expected_tags`.
    pub async fn delete(&self, name: &str, digest: &str, expected_tags: &[&str]) -> Reply {
        self.delete_body(&json!({"name": name, "digest": digest, "expectedTags": expected_tags}))
            .await
    }

    /// `POST /api/v1/devices/{device}/deletions` with any body.
    pub async fn delete_body(&self, body: &Value) -> Reply {
        let device = self.target.device.clone();
        self.post(&format!("api/v1/devices/{device}/deletions"), body)
            .await
    }

    /// `GET /api/v1/users`.
    pub async fn users(&self) -> Reply {
        self.get("api/v1/users").await
    }

    /// `POST /api/v1/users`.
    pub async fn create_user(&self, username: &str, role: Role) -> Reply {
        self.post(
            "api/v1/users",
            &json!({"username": username, "role": role.as_str()}),
        )
        .await
    }

    /// `PATCH /api/v1/users/{username}` (`{"role": …}` and/or `{"enabled": …}`).
    pub async fn update_user(&self, username: &str, change: &Value) -> Reply {
        self.request(
            Method::PATCH,
            &format!("api/v1/users/{username}"),
            Some(change),
        )
        .await
    }

    /// `POST /api/v1/users/{username}/password-reset`.
    pub async fn reset_password(&self, username: &str) -> Reply {
        self.request(
            Method::POST,
            &format!("api/v1/users/{username}/password-reset"),
            None,
        )
        .await
    }

    /// `GET /api/v1/audit`.
    pub async fn audit(&self) -> Reply {
        self.get("api/v1/audit").await
    }

    /// `GET /api/v1/audit?{query}` (e.g. `action=deletion&limit=5`).
    pub async fn audit_query(&self, query: &str) -> Reply {
        self.get(&format!("api/v1/audit?{query}")).await
    }

    /// `GET /api/v1/audit/export?format={format}` (`jsonl` or `csv`).
    pub async fn export_audit(&self, format: &str) -> Reply {
        self.get(&format!("api/v1/audit/export?format={format}"))
            .await
    }
}
