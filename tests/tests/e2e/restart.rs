//! The panel's own state survives a restart: finished jobs stay, a job that was running when
//! the panel stopped is marked interrupted, and the database is intact.

use std::time::{Duration, Instant};

use lem_panel_tests::{TestApp, import_body};
use lem_sim::{Fault, FaultKind, Op};

use crate::job_id;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_finished_jobs_are_still_listed_and_a_running_one_is_interrupted() {
    let mut app = TestApp::start().await;
    app.login_as("operator").await;
    let first = app
        .import(&import_body(
            "docker.io",
            "alpine",
            "3.20",
            "base/alpine",
            "3.20",
        ))
        .await;
    let finished = job_id(&first);
    assert_eq!(app.wait_for_job(finished).await.body["state"], "succeeded");

    app.device()
        .set_fault(Op::Pull, Fault::always(FaultKind::Hang));
    let second = app
        .import(&import_body(
            "docker.io",
            "nginx",
            "1.27",
            "web/nginx",
            "1.27",
        ))
        .await;
    let running = job_id(&second);
    let started = Instant::now();
    while app.device().calls(Op::Pull) < 2 || app.job(running).await.body["state"] != "running" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the second pull never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    app.restart_panel().await;

    let client = app.new_client();
    client.login_as("operator").await;
    let jobs = client.jobs().await;
    assert_eq!(jobs.status, 200, "{}", jobs.text);
    let state_of = |id: i64| {
        jobs.body["jobs"]
            .as_array()
            .and_then(|jobs| jobs.iter().find(|j| j["id"] == id))
            .map(|j| j["state"].clone())
    };
    assert_eq!(
        state_of(finished),
        Some("succeeded".into()),
        "{}",
        jobs.text
    );
    assert_eq!(
        state_of(running),
        Some("interrupted".into()),
        "{}",
        jobs.text
    );
    assert_eq!(client.job(running).await.body["state"], "interrupted");
    client.login_as("admin").await;
    let audit = crate::audit_actions(&client.audit().await);
    assert_eq!(
        audit.iter().filter(|a| *a == "import_started").count(),
        2,
        "audit records from before the restart are kept: {audit:?}"
    );

    assert!(
        app.state()
            .db
            .integrity_ok()
            .await
            .expect("integrity check runs")
    );
    let connection = rusqlite::Connection::open(app.database_path()).expect("open the database");
    let check: String = connection
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check");
    assert_eq!(check, "ok");
}
