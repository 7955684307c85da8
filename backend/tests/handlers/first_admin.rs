//! The first start with no users: an `admin` with a one-time password (random, or from
//! `LEM_PANEL_ADMIN_PASSWORD` / `LEM_PANEL_ADMIN_PASSWORD_FILE`) that must be changed first.

use axum::http::{Method, StatusCode, header};
use lem_panel::startup::ensure_first_admin;
use serde_json::json;
use shared::api::Role;

use crate::harness::Harness;
use crate::setups::Setup;

const GIVEN: &str = "given admin password 1";

async fn empty_panel() -> Harness {
    Setup {
        users: false,
        ..Setup::default()
    }
    .build()
    .await
    .0
}

/// Logs in with `password`; the cookie and whether a change is required.
async fn log_in(app: &Harness, password: &str) -> (String, bool) {
    let body = json!({"username": "admin", "password": password});
    let reply = app
        .call(Method::POST, "/api/v1/session", None, Some(body))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let cookie = reply.headers[header::SET_COOKIE].to_str().expect("ascii");
    let cookie = cookie.split(';').next().expect("pair").to_owned();
    let must_change = reply.body["mustChangePassword"].as_bool().expect("flag");
    (cookie, must_change)
}

/// The password works once, only to change it; afterwards everything else does.
async fn assert_must_change_at_first_login(app: &Harness, password: &str) {
    let (cookie, must_change) = log_in(app, password).await;
    assert!(must_change, "the login answer says so");
    let blocked = app.get("/api/v1/users", &cookie).await;
    assert_eq!(
        (blocked.status, blocked.code()),
        (StatusCode::FORBIDDEN, "password_change_required")
    );
    let change = json!({"currentPassword": password, "newPassword": "the admin's own password"});
    let reply = app
        .call(
            Method::PUT,
            "/api/v1/session/password",
            Some(&cookie),
            Some(change),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    assert_eq!(
        app.get("/api/v1/users", &cookie).await.status,
        StatusCode::OK
    );
    let (_, must_change) = log_in(app, "the admin's own password").await;
    assert!(!must_change, "changed for good");
}

async fn the_admin(app: &Harness) -> lem_panel::db::StoredUser {
    assert_eq!(app.state.db.user_count().await.expect("db"), 1);
    let admin = app.state.db.user("admin".into()).await.expect("db");
    let admin = admin.expect("admin was created");
    assert_eq!(admin.summary.role, Role::Admin);
    assert!(admin.summary.must_change_password);
    assert!(
        admin
            .password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    admin
}

#[tokio::test]
async fn with_no_users_and_no_password_given_the_first_admin_gets_a_random_one_time_password() {
    let app = empty_panel().await;
    ensure_first_admin(&app.state, |_| None)
        .await
        .expect("start");
    let admin = the_admin(&app).await;
    for guess in ["", "admin", "changeme", GIVEN] {
        let verified =
            lem_panel::auth::password::verify(Some(admin.password_hash.clone()), guess.to_owned())
                .await
                .expect("verify");
        assert!(!verified, "{guess:?} is not the password");
    }
    let other = empty_panel().await;
    ensure_first_admin(&other.state, |_| None)
        .await
        .expect("start");
    assert_ne!(
        the_admin(&other).await.password_hash,
        admin.password_hash,
        "each start generates its own"
    );
}

#[tokio::test]
async fn the_first_admin_password_from_lem_panel_admin_password_must_be_changed_at_first_login() {
    let app = empty_panel().await;
    let env = |name: &str| (name == "LEM_PANEL_ADMIN_PASSWORD").then(|| GIVEN.to_owned());
    ensure_first_admin(&app.state, env).await.expect("start");
    the_admin(&app).await;
    assert_must_change_at_first_login(&app, GIVEN).await;
}

#[tokio::test]
async fn the_first_admin_password_from_lem_panel_admin_password_file_must_be_changed_at_first_login()
 {
    let app = empty_panel().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("admin-password");
    std::fs::write(&file, format!("{GIVEN}\n")).expect("write");
    let path = file.display().to_string();
    let env = |name: &str| (name == "LEM_PANEL_ADMIN_PASSWORD_FILE").then(|| path.clone());
    ensure_first_admin(&app.state, env).await.expect("start");
    the_admin(&app).await;
    assert_must_change_at_first_login(&app, GIVEN).await;
}

#[tokio::test]
async fn a_short_or_unreadable_first_admin_password_stops_the_start_and_creates_nobody() {
    let app = empty_panel().await;
    let short = |name: &str| (name == "LEM_PANEL_ADMIN_PASSWORD").then(|| "short".to_owned());
    assert!(ensure_first_admin(&app.state, short).await.is_err());
    let missing = |name: &str| {
        (name == "LEM_PANEL_ADMIN_PASSWORD_FILE").then(|| "/nonexistent/admin-password".to_owned())
    };
    assert!(ensure_first_admin(&app.state, missing).await.is_err());
    assert_eq!(app.state.db.user_count().await.expect("db"), 0);
}

#[tokio::test]
async fn an_existing_user_means_no_first_admin_is_created_or_changed() {
    let app = Harness::new(vec![]).await;
    let before = app.state.db.user("admin".into()).await.expect("db");
    let env = |name: &str| (name == "LEM_PANEL_ADMIN_PASSWORD").then(|| GIVEN.to_owned());
    ensure_first_admin(&app.state, env).await.expect("start");
    assert_eq!(app.state.db.user_count().await.expect("db"), 3);
    let after = app.state.db.user("admin".into()).await.expect("db");
    assert_eq!(
        before.map(|u| u.password_hash),
        after.map(|u| u.password_hash)
    );
}
