//! Per-device roles: one person, operator on one device and viewer on another.

use axum::http::StatusCode;
use lem_panel::cli::{CliActor, RoleArg, UsersCommand, run_users};
use lem_panel::clock::SystemClock;

use crate::harness::{Harness, Op};
use crate::setups::{Setup, alpine_import};

/// `lem-panel users role NAME ROLE --device ID`, run against the app's database.
async fn set_role_on(app: &Harness, name: &str, role: RoleArg, device: &str) {
    let command = UsersCommand::Role {
        name: name.into(),
        role,
        device: Some(device.into()),
    };
    let actor = CliActor::from_env(|_| None);
    let mut out = Vec::new();
    run_users(
        &app.state.db,
        &SystemClock,
        &actor,
        &command,
        |_| unreachable!("no password needed"),
        &mut out,
    )
    .await
    .expect("users role");
}

#[tokio::test]
async fn an_operator_on_one_device_and_viewer_on_another_imports_only_on_the_first() {
    let (app, devices) = Setup {
        devices: vec!["edge-a", "edge-b"],
        ..Setup::default()
    }
    .build()
    .await;
    set_role_on(&app, "viewer", RoleArg::Operator, "edge-a").await;
    set_role_on(&app, "operator", RoleArg::Viewer, "edge-b").await;
    for user in ["viewer", "operator"] {
        let cookie = app.login(user).await;
        let on_a = app
            .post("/api/v1/devices/edge-a/imports", &cookie, alpine_import())
            .await;
        assert_eq!(
            on_a.status,
            StatusCode::ACCEPTED,
            "{user} on edge-a: {}",
            on_a.text
        );
        app.finished_job(on_a.body["job"]["id"].as_i64().expect("id"), &cookie)
            .await;
        let on_b = app
            .post("/api/v1/devices/edge-b/imports", &cookie, alpine_import())
            .await;
        assert_eq!(
            on_b.status,
            StatusCode::FORBIDDEN,
            "{user} on edge-b: {}",
            on_b.text
        );
        assert_eq!(on_b.code(), "forbidden");
        let list_b = app.get("/api/v1/devices/edge-b/images", &cookie).await;
        assert_eq!(list_b.status, StatusCode::OK, "{user} still views edge-b");
    }
    assert_eq!(devices[0].calls(Op::Pull), 2, "both imports reached edge-a");
    assert_eq!(
        devices[1].calls(Op::Pull),
        0,
        "no refused import reached edge-b"
    );
    let cookie = app.login("operator").await;
    let global = app
        .post(
            "/api/v1/devices/edge-b/imports",
            &app.login("admin").await,
            alpine_import(),
        )
        .await;
    assert_eq!(
        global.status,
        StatusCode::ACCEPTED,
        "overrides are per user: {}",
        global.text
    );
    let session = app.get("/api/v1/session", &cookie).await;
    assert_eq!(
        session.body["role"], "operator",
        "the global role is unchanged"
    );
}
