//! `lem-panel users …` and `audit export`, run as the command line runs them: against the
//! database file of a running panel, through a second connection. Their audit records are
//! tested in `audit`.

mod audit;

use axum::http::{Method, StatusCode};
use lem_panel::cli::{CliActor, RoleArg, UsersCommand, run_users};
use lem_panel::clock::SystemClock;
use lem_panel::db::Db;
use serde_json::json;
use tempfile::TempDir;

use crate::harness::{Harness, password_of};
use crate::setups::{Setup, alpine_import};

const NEW_PASSWORD: &str = "a long cli password";

/// A panel on a database file, and a second connection to it as the CLI opens one.
pub async fn panel_and_cli() -> (Harness, Db, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("panel.db");
    let db = Db::open(&path).expect("db");
    let (app, _) = Setup {
        db,
        ..Setup::default()
    }
    .build()
    .await;
    (app, Db::open(&path).expect("second connection"), dir)
}

pub fn tester() -> CliActor {
    CliActor::from_env(|name| (name == "USER").then(|| "tester".to_owned()))
}

/// Runs one command; returns what it printed.
pub async fn cli(db: &Db, command: UsersCommand) -> String {
    let mut out = Vec::new();
    let password = |from_stdin: bool| {
        assert!(from_stdin, "the tests pass --password-stdin");
        Ok(NEW_PASSWORD.to_owned())
    };
    run_users(db, &SystemClock, &tester(), &command, password, &mut out)
        .await
        .expect("command succeeds");
    String::from_utf8(out).expect("utf-8")
}

async fn login_status(app: &Harness, user: &str, password: &str) -> StatusCode {
    let body = json!({"username": user, "password": password});
    app.call(Method::POST, "/api/v1/session", None, Some(body))
        .await
        .status
}

#[tokio::test]
async fn users_passwd_from_the_cli_replaces_the_password_and_ends_the_users_sessions() {
    let (app, db, _dir) = panel_and_cli().await;
    let cookie = app.login("viewer").await;
    let printed = cli(
        &db,
        UsersCommand::Passwd {
            name: "viewer".into(),
            password_stdin: true,
        },
    )
    .await;
    assert!(printed.contains("sessions have ended"), "{printed}");
    assert_eq!(
        app.get("/api/v1/session", &cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_status(&app, "viewer", &password_of("viewer")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_status(&app, "viewer", NEW_PASSWORD).await,
        StatusCode::OK
    );
    let mut out = Vec::new();
    let short = run_users(
        &db,
        &SystemClock,
        &tester(),
        &UsersCommand::Passwd {
            name: "viewer".into(),
            password_stdin: true,
        },
        |_| Ok("short".into()),
        &mut out,
    )
    .await;
    assert!(short.is_err(), "a password under 12 characters is refused");
}

#[tokio::test]
async fn users_disable_from_the_cli_ends_the_users_sessions_at_once() {
    let (app, db, _dir) = panel_and_cli().await;
    let cookie = app.login("operator").await;
    assert_eq!(
        app.get("/api/v1/session", &cookie).await.status,
        StatusCode::OK
    );
    cli(
        &db,
        UsersCommand::Disable {
            name: "operator".into(),
        },
    )
    .await;
    assert_eq!(
        app.get("/api/v1/session", &cookie).await.status,
        StatusCode::UNAUTHORIZED,
        "the very next request"
    );
    assert_eq!(
        login_status(&app, "operator", &password_of("operator")).await,
        StatusCode::UNAUTHORIZED
    );
    cli(
        &db,
        UsersCommand::Enable {
            name: "operator".into(),
        },
    )
    .await;
    assert_eq!(
        login_status(&app, "operator", &password_of("operator")).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn users_list_from_the_cli_shows_every_user_with_role_and_state() {
    let (_app, db, _dir) = panel_and_cli().await;
    cli(
        &db,
        UsersCommand::Disable {
            name: "viewer".into(),
        },
    )
    .await;
    let printed = cli(&db, UsersCommand::List).await;
    let rows: Vec<Vec<&str>> = printed
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            ["admin", "admin", "enabled"],
            ["operator", "operator", "enabled"],
            ["viewer", "viewer", "disabled"]
        ]
    );
}

#[tokio::test]
async fn users_role_from_the_cli_takes_effect_on_the_next_request() {
    let (app, db, _dir) = panel_and_cli().await;
    let cookie = app.login("operator").await;
    let path = "/api/v1/devices/edge-1/imports";
    cli(
        &db,
        UsersCommand::Role {
            name: "operator".into(),
            role: RoleArg::Viewer,
            device: None,
        },
    )
    .await;
    assert_eq!(
        app.get("/api/v1/session", &cookie).await.body["role"],
        "viewer"
    );
    assert_eq!(
        app.post(path, &cookie, alpine_import()).await.status,
        StatusCode::FORBIDDEN
    );
    cli(
        &db,
        UsersCommand::Role {
            name: "operator".into(),
            role: RoleArg::Operator,
            device: Some("edge-1".into()),
        },
    )
    .await;
    assert_eq!(
        app.post(path, &cookie, alpine_import()).await.status,
        StatusCode::ACCEPTED
    );
}
