//! The real binary's first start and command line: with no users it prints a random one-time
//! password for `admin` once, that password only lets the admin change it, and user changes
//! made with `lem-panel users …` land in the audit trail that `audit export` writes.
//!
//! Needs `target/debug/lem-panel` (see `lem_panel_tests::process`).

use lem_panel_tests::process::{PanelDir, PanelProcess};
use lem_sim::{SimConfig, Simulator};
use shared::api::AuditRecord;

fn one_time_password(lines: &[String]) -> String {
    let marker = "Created the first user: admin, one-time password: ";
    let found: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix(marker))
        .collect();
    assert_eq!(found.len(), 1, "printed once: {lines:?}");
    found[0].trim().to_owned()
}

#[tokio::test]
async fn the_first_start_prints_a_random_one_time_password_that_only_allows_changing_it() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .unwrap_or_else(|e| panic!("the simulator did not start: {e}"));
    let mut dir = PanelDir::empty(&sim, "edge-first", "", "");
    dir.set_env("USER", "e2e-tester");
    let mut panel = PanelProcess::start(&dir).await;
    let password = one_time_password(&panel.stdout());
    assert_eq!(password.len(), 20, "{password:?}");
    let client = panel.client();
    let login = client.login("admin", &password).await;
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(login.body["mustChangePassword"], true);
    let blocked = client.get("api/v1/users").await;
    assert_eq!(
        (blocked.status.as_u16(), blocked.code()),
        (403, "password_change_required")
    );
    let changed = client
        .change_password(&password, "the admin's chosen password")
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text);
    assert_eq!(client.get("api/v1/users").await.status, 200);

    let added = dir.cli(
        &[
            "users",
            "add",
            "erin",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        Some("erin's long password"),
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let listed = dir.cli(&["users", "list"], None);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        listed.contains("erin") && listed.contains("viewer"),
        "{listed}"
    );
    panel.signal("TERM");
    panel.wait_exit(std::time::Duration::from_secs(15)).await;

    let mut restarted = PanelProcess::start(&dir).await;
    assert!(
        restarted
            .stdout()
            .iter()
            .all(|l| !l.contains("one-time password")),
        "never printed again: {:?}",
        restarted.stdout()
    );
    restarted.signal("TERM");
    restarted
        .wait_exit(std::time::Duration::from_secs(15))
        .await;
    let export = dir.cli(&["audit", "export", "--format", "jsonl"], None);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let records: Vec<AuditRecord> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record per line"))
        .collect();
    let trail: Vec<(&str, &str)> = records
        .iter()
        .rev()
        .map(|r| (r.actor.as_str(), r.action.as_str()))
        .collect();
    assert_eq!(
        trail,
        [
            ("admin", "login_succeeded"),
            ("admin", "password_changed"),
            ("cli:e2e-tester", "user_created"),
        ]
    );
    let created = &records[0];
    assert_eq!(
        (created.client_addr.as_str(), created.target.as_deref()),
        ("local", Some("erin"))
    );
    let csv = dir.cli(&["audit", "export", "--format", "csv"], None);
    let csv = String::from_utf8_lossy(&csv.stdout).into_owned();
    assert_eq!(csv.lines().count(), 4, "a header and three records: {csv}");
    assert!(
        !csv.contains(&password),
        "the one-time password is never in the trail"
    );
}
