//! Robustness of the real `lem-panel` process: SIGKILL during imports and during a burst of
//! audit writes loses no committed job or audit record and leaves an intact database (running
//! jobs become `interrupted` at the next start); SIGTERM with 50 requests in flight finishes
//! every accepted request, refuses new connections and exits with status 0 within 15 s.
//!
//! Needs `target/debug/lem-panel` (see `lem_panel_tests::process`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lem_panel_tests::hostile::{assert_no_token, assert_no_token_in_files};
use lem_panel_tests::process::{PanelDir, PanelProcess};
use lem_panel_tests::{CANARY_TOKEN, FIXTURE_ROWS, PanelClient, Reply, import_body, password_of};
use lem_sim::{Fault, FaultKind, Op, SimConfig, Simulator};
use reqwest::Method;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};

use crate::{job_id, rows};

async fn simulator(config: SimConfig) -> Simulator {
    Simulator::start(config)
        .await
        .unwrap_or_else(|e| panic!("the simulator did not start: {e}"))
}

/// `PRAGMA integrity_check` on a copy of the database files exactly as the kill left them
/// (opening the original would already recover it); returns the number of jobs and audit rows.
fn check_the_files_as_left(database: &Path) -> (i64, i64) {
    let scratch = tempfile::tempdir().expect("a temp dir");
    let copy = scratch.path().join("copy.db");
    for suffix in ["", "-wal", "-shm"] {
        let from = format!("{}{suffix}", database.display());
        if Path::new(&from).exists() {
            std::fs::copy(&from, format!("{}{suffix}", copy.display())).expect("copy the database");
        }
    }
    let connection = Connection::open(&copy).expect("open the copy");
    integrity_and_counts(&connection)
}

fn integrity_and_counts(connection: &Connection) -> (i64, i64) {
    let check: String = connection
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check runs");
    assert_eq!(check, "ok", "the database is damaged");
    let count = |table: &str| -> i64 {
        connection
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .expect("count")
    };
    (count("jobs"), count("audit"))
}

/// The live database, read-only, while the restarted panel runs.
fn read_only(database: &Path) -> Connection {
    Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the database read-only")
}

fn by_id(list: &Value, key: &str) -> BTreeMap<i64, Value> {
    list[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item["id"].as_i64().map(|id| (id, item.clone())))
                .collect()
        })
        .unwrap_or_default()
}

fn no_token_anywhere(dir: &PanelDir, transcripts: &[Vec<u8>]) {
    for transcript in transcripts {
        assert_no_token("the panel's responses", transcript);
    }
    assert_no_token("the panel's log", &dir.log());
    assert_no_token_in_files(dir.path());
    assert!(
        !String::from_utf8_lossy(&dir.log()).contains("panicked at"),
        "the panel panicked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_a_panel_killed_during_imports_keeps_every_job_and_audit_record_and_marks_running_jobs_interrupted()
 {
    let _heavy = crate::cpu_heavy().await;
    let sim = simulator(SimConfig::new(CANARY_TOKEN)).await;
    let dir = PanelDir::new(&sim, "robust-kill-jobs", "", "");
    let mut panel = PanelProcess::start(&dir).await;
    let operator = panel.client();
    operator.login_as("operator").await;
    let admin = panel.client();
    admin.login_as("admin").await;

    let mut finished = Vec::new();
    for tag in ["done-1", "done-2"] {
        let started = operator
            .import(&import_body(
                "docker.io",
                "alpine",
                "3.20",
                "robust/kill",
                tag,
            ))
            .await;
        let job = operator.wait_for_job(job_id(&started)).await;
        assert_eq!(job.body["state"], "succeeded", "{}", job.text);
        finished.push(job_id(&started));
    }
    // From now on a pull takes hours: two run (the per-device limit), four wait in the queue.
    sim.state().set_pull_bytes_per_sec(1_000);
    let mut pending = Vec::new();
    for n in 0..6 {
        let started = operator
            .import(&import_body(
                "docker.io",
                "alpine",
                "3.20",
                "robust/kill",
                &format!("slow-{n}"),
            ))
            .await;
        assert_eq!(started.status, 202, "{}", started.text);
        pending.push(job_id(&started));
    }
    let waited = Instant::now();
    while sim.state().calls(Op::Pull) < 4 {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the slow pulls never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let jobs_before = by_id(&operator.jobs().await.body, "jobs");
    let audit_before = by_id(&admin.audit().await.body, "records");
    let running = jobs_before
        .values()
        .filter(|j| j["state"] == "running")
        .count();
    assert_eq!(running, 2, "two pulls run at the kill");

    panel.signal("KILL");
    let status = panel.wait_exit(Duration::from_secs(5)).await;
    assert!(status.is_some_and(|s| !s.success()), "killed: {status:?}");
    let (jobs_left, audit_left) = check_the_files_as_left(&dir.database());
    let transcript_before = panel.transcript();
    drop(panel);

    let panel = PanelProcess::start(&dir).await;
    let client = panel.client();
    client.login_as("operator").await;
    let jobs_after = by_id(&client.jobs().await.body, "jobs");
    client.login_as("admin").await;
    let audit_after = by_id(&client.audit().await.body, "records");

    assert_eq!(jobs_left, 8, "every job was committed before its 202");
    for id in &finished {
        assert_eq!(
            jobs_after.get(id),
            jobs_before.get(id),
            "finished job {id} unchanged"
        );
    }
    for id in &pending {
        let job = jobs_after
            .get(id)
            .unwrap_or_else(|| panic!("job {id} lost"));
        assert_eq!(job["state"], "interrupted", "{job}");
        assert!(job["finishedAtMs"].as_i64().is_some(), "{job}");
        let before = &jobs_before[id];
        for field in ["device", "request", "startedBy", "createdAtMs"] {
            assert_eq!(job[field], before[field], "job {id}: {field} kept");
        }
    }
    assert!(audit_left >= audit_before.len() as i64);
    for (id, record) in &audit_before {
        assert_eq!(
            audit_after.get(id),
            Some(record),
            "audit record {id} kept unchanged"
        );
    }
    let started_jobs = audit_after
        .values()
        .filter(|r| r["action"] == "import_started")
        .count();
    assert_eq!(started_jobs, 8, "one import_started record per job");
    let (jobs_now, _) = integrity_and_counts(&read_only(&dir.database()));
    assert_eq!(jobs_now, 8);
    println!(
        "robust kill during imports: 8 jobs (2 finished, 2 running, 4 queued), {} audit records before the kill; after restart 0 lost, {} interrupted, integrity ok",
        audit_before.len(),
        jobs_after
            .values()
            .filter(|j| j["state"] == "interrupted")
            .count()
    );
    no_token_anywhere(&dir, &[transcript_before, panel.transcript()]);
}

/// One response that must have left an audit record: its request id, action and actor.
#[derive(Debug, Clone)]
struct Written {
    request_id: String,
    action: &'static str,
    actor: String,
}

fn written(reply: &Reply, action: &'static str, actor: &str) -> Written {
    Written {
        request_id: reply.header("x-request-id").unwrap_or_default().to_owned(),
        action,
        actor: actor.to_owned(),
    }
}

/// Logs in and out until the panel stops answering; every answer that writes an audit record
/// is remembered.
async fn login_logout_loop(
    client: PanelClient,
    user: &'static str,
    address: String,
    out: Arc<std::sync::Mutex<Vec<Written>>>,
    count: Arc<AtomicUsize>,
) {
    let forwarded = [("x-forwarded-for", address.as_str())];
    let login = json!({"username": user, "password": password_of(user)});
    loop {
        let Ok(reply) = client
            .try_request_from_root(Method::POST, "/api/v1/session", Some(&login), &forwarded)
            .await
        else {
            return;
        };
        assert_eq!(reply.status, 200, "{}", reply.text);
        out.lock()
            .expect("lock")
            .push(written(&reply, "login_succeeded", user));
        count.fetch_add(1, Ordering::SeqCst);
        let Ok(reply) = client
            .try_request_from_root(Method::DELETE, "/api/v1/session", None, &forwarded)
            .await
        else {
            return;
        };
        assert_eq!(reply.status, 204, "{}", reply.text);
        out.lock()
            .expect("lock")
            .push(written(&reply, "logout", user));
        count.fetch_add(1, Ordering::SeqCst);
    }
}

/// Fails to log in as an unknown user from its own address until the panel stops answering:
/// three failures, then a throttled refusal (a cheap audit write) each time.
async fn failing_login_loop(
    client: PanelClient,
    user: String,
    address: String,
    out: Arc<std::sync::Mutex<Vec<Written>>>,
    count: Arc<AtomicUsize>,
) {
    let forwarded = [("x-forwarded-for", address.as_str())];
    let login = json!({"username": user, "password": "not-the-password-123"});
    loop {
        let Ok(reply) = client
            .try_request_from_root(Method::POST, "/api/v1/session", Some(&login), &forwarded)
            .await
        else {
            return;
        };
        let action = match reply.status.as_u16() {
            401 => "login_failed",
            429 => "login_throttled",
            other => panic!("unexpected {other}: {}", reply.text),
        };
        out.lock()
            .expect("lock")
            .push(written(&reply, action, &user));
        count.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_a_panel_killed_during_a_burst_of_audit_writes_loses_no_answered_record_and_stays_intact()
 {
    let _heavy = crate::cpu_heavy().await;
    let sim = simulator(SimConfig::new(CANARY_TOKEN)).await;
    let dir = PanelDir::new(
        &sim,
        "robust-kill-audit",
        "trusted_proxies = [\"127.0.0.1\"]\n[login]\nmax_failures = 3\n",
        "",
    );
    let mut panel = PanelProcess::start(&dir).await;
    let out = Arc::new(std::sync::Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for (n, user) in ["admin", "operator", "viewer", "admin"]
        .into_iter()
        .enumerate()
    {
        workers.push(tokio::spawn(login_logout_loop(
            panel.separate_client(),
            user,
            format!("10.1.0.{n}"),
            out.clone(),
            count.clone(),
        )));
    }
    for n in 0..4 {
        workers.push(tokio::spawn(failing_login_loop(
            panel.separate_client(),
            format!("ghost-{n}"),
            format!("10.2.0.{n}"),
            out.clone(),
            count.clone(),
        )));
    }
    let started = Instant::now();
    while count.load(Ordering::SeqCst) < 150 && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    panel.signal("KILL");
    assert!(panel.wait_exit(Duration::from_secs(5)).await.is_some());
    for worker in workers {
        worker.await.expect("a worker ends when the panel is gone");
    }
    let answered = out.lock().expect("lock").clone();
    let (_, audit_left) = check_the_files_as_left(&dir.database());
    let transcript_before = panel.transcript();
    drop(panel);

    let panel = PanelProcess::start(&dir).await;
    let connection = read_only(&dir.database());
    let (_, audit_now) = integrity_and_counts(&connection);
    let mut statement = connection
        .prepare("SELECT id, action, actor, request_id FROM audit ORDER BY id")
        .expect("query");
    let stored: Vec<(i64, String, String, String)> = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("every row readable");
    let by_request: HashMap<&str, (&str, &str)> = stored
        .iter()
        .map(|(_, action, actor, request)| (request.as_str(), (action.as_str(), actor.as_str())))
        .collect();
    let lost: Vec<&Written> = answered
        .iter()
        .filter(|w| by_request.get(w.request_id.as_str()) != Some(&(w.action, w.actor.as_str())))
        .collect();
    println!(
        "robust kill during audit writes: {} answered audit writes before the kill, {audit_left} records in the files as left, {} lost, integrity ok",
        answered.len(),
        lost.len()
    );
    assert!(
        answered.len() >= 50,
        "only {} audit writes were answered",
        answered.len()
    );
    assert!(
        answered.iter().all(|w| w.request_id.len() == 32),
        "every answer carries its request id"
    );
    assert!(
        lost.is_empty(),
        "{} answered records lost, e.g. {:?}",
        lost.len(),
        lost[0]
    );
    assert!(
        stored.windows(2).all(|w| w[0].0 < w[1].0),
        "audit ids are unique and ascending"
    );
    assert_eq!(
        audit_now, audit_left,
        "the restart added nothing and lost nothing"
    );
    assert_eq!(panel.client().healthz().await.status, 200);
    no_token_anywhere(&dir, &[transcript_before, panel.transcript()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_sigterm_with_50_requests_in_flight_finishes_them_refuses_new_connections_and_exits_0_within_15_s()
 {
    let _heavy = crate::cpu_heavy().await;
    let slow = Fault::always(FaultKind::Latency(Duration::from_secs(2)));
    let sim = simulator(SimConfig::new(CANARY_TOKEN).fault(Op::List, slow)).await;
    let dir = PanelDir::new(&sim, "robust-term", "", "");
    let mut panel = PanelProcess::start(&dir).await;
    let viewer = panel.client();
    viewer.login_as("viewer").await;
    let cookie = viewer.session_cookie();
    let requests: Vec<_> = (0..50)
        .map(|_| {
            let client = panel.separate_client();
            client.set_session_cookie(cookie.clone());
            tokio::spawn(async move {
                client
                    .try_request(Method::GET, "api/v1/devices/robust-term/images", None)
                    .await
            })
        })
        .collect();
    // 32 reach the device at once (the per-device limit), 18 wait in the panel's queue.
    let waited = Instant::now();
    while sim.state().calls(Op::List) < 32 {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the lists never reached the device"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    panel.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let late = panel
        .separate_client()
        .try_request(Method::GET, "healthz", None)
        .await;
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.expect("request task"));
    }
    let status = panel.wait_exit(Duration::from_secs(15)).await;
    let took = signalled.elapsed();

    let complete = answers
        .iter()
        .filter(|a| {
            a.as_ref()
                .is_ok_and(|r| r.status == 200 && rows(r).len() == FIXTURE_ROWS)
        })
        .count();
    println!(
        "robust SIGTERM: {complete}/50 requests in flight completed with 200, a new connection {}, exit {status:?} after {took:?}",
        if late.is_err() {
            "was refused"
        } else {
            "was served"
        }
    );
    assert_eq!(
        complete,
        50,
        "in-flight requests cut off: {:?}",
        answers
            .iter()
            .find(|a| !a.as_ref().is_ok_and(|r| r.status == 200))
    );
    assert!(
        late.is_err(),
        "a request after SIGTERM was served: {:?}",
        late.map(|r| r.status)
    );
    let status = status.expect("the panel exits within 15 s");
    assert!(status.success(), "exit status {status:?}");
    assert!(took < Duration::from_secs(15), "{took:?}");
    no_token_anywhere(&dir, &[panel.transcript()]);
}
