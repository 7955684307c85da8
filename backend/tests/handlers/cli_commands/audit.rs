//! What `lem-panel users …` writes to the audit trail, and `lem-panel audit export`.

use lem_panel::cli::{CliActor, ExportFormat, RoleArg, UsersCommand, export_audit};
use shared::api::AuditRecord;

use super::{cli, panel_and_cli};

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
