//! `lem-panel users …` and `audit export`, run as the command line runs them: against the
//! database file of a running panel, through a second connection.

use axum::http::{Method, StatusCode};
use lem_panel::cli::{CliActor, ExportFormat, RoleArg, UsersCommand, export_audit, run_users};
use lem_panel::clock::SystemClock;
use lem_panel::db::Db;
use serde_json::json;
use shared::api::AuditRecord;
use tempfile::TempDir;

use crate::harness::{Harness, password_of};
use crate::setups::{Setup, alpine_import};

const NEW_PASSWORD: &str = "a long cli password";

/// A panel on a database file, and a second connection to it as the CLI opens one.
async fn panel_and_cli() -> (Harness, Db, TempDir) {
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

fn tester() -> CliActor {
    CliActor::from_env(|name| (name == "USER").then(|| "tester".to_owned()))
}

/// Runs one command; returns what it printed.
async fn cli(db: &Db, command: UsersCommand) -> String {
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
async fn every_user_change_from_the_cli_appends_one_audit_record_naming_the_cli_user() {
    let (_app, db, _dir) = panel_and_cli().await;
    let name = || "dave".to_owned();
    let commands = [
        (
            UsersCommand::Add {
                name: name(),
                role: RoleArg::Viewer,
                password_stdin: true,
            },
            "user_created",
            None,
            "role viewer",
        ),
        (
            UsersCommand::Passwd {
                name: name(),
                password_stdin: true,
            },
            "password_reset",
            None,
            "ok; sessions ended",
        ),
        (
            UsersCommand::Disable { name: name() },
            "user_updated",
            None,
            "disabled",
        ),
        (
            UsersCommand::Enable { name: name() },
            "user_updated",
            None,
            "enabled",
        ),
        (
            UsersCommand::Role {
                name: name(),
                role: RoleArg::Operator,
                device: None,
            },
            "user_updated",
            None,
            "role operator",
        ),
        (
            UsersCommand::Role {
                name: name(),
                role: RoleArg::Admin,
                device: Some("edge-1".into()),
            },
            "user_updated",
            Some("edge-1"),
            "role admin on device edge-1",
        ),
    ];
    for (command, action, device, outcome) in commands {
        let before = db.audit(Default::default()).await.expect("audit").len();
        cli(&db, command).await;
        let records = db.audit(Default::default()).await.expect("audit");
        assert_eq!(
            records.len(),
            before + 1,
            "one record for {action} {outcome}"
        );
        let record = &records[0];
        assert_eq!(
            (
                record.action.as_str(),
                record.device.as_deref(),
                record.outcome.as_str()
            ),
            (action, device, outcome)
        );
        assert_eq!(
            (record.actor.as_str(), record.client_addr.as_str()),
            ("cli:tester", "local")
        );
        assert_eq!(record.target.as_deref(), Some("dave"));
        assert!(
            record.request_id.starts_with("cli-") && record.request_id.len() > 8,
            "{record:?}"
        );
        assert!(
            record.at_ms > 1_700_000_000_000,
            "a UTC time from the system clock"
        );
    }
    cli(&db, UsersCommand::List).await;
    assert_eq!(
        db.audit(Default::default()).await.expect("audit").len(),
        6,
        "listing is not audited"
    );
    assert_eq!(CliActor::from_env(|_| None).actor, "cli:local");
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

#[tokio::test]
async fn audit_export_from_the_cli_writes_csv_and_json_lines_including_cli_changes() {
    let (app, db, _dir) = panel_and_cli().await;
    app.login("admin").await;
    cli(
        &db,
        UsersCommand::Disable {
            name: "viewer".into(),
        },
    )
    .await;
    let jsonl = export_audit(&db, ExportFormat::Jsonl)
        .await
        .expect("export");
    let records: Vec<AuditRecord> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let actions: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.actor.as_str(), r.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [("cli:tester", "user_updated"), ("admin", "login_succeeded")],
        "newest first"
    );
    let csv = export_audit(&db, ExportFormat::Csv).await.expect("export");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,at_utc,actor,client_addr,action,device,target,outcome,request_id"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].starts_with("\"2\",\"20")
            && lines[1].contains(
                "\"cli:tester\",\"local\",\"user_updated\",\"\",\"viewer\",\"disabled\",\"cli-"
            ),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("\"admin\"") && lines[2].contains("\"login_succeeded\""),
        "{}",
        lines[2]
    );
}
