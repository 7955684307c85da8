//! Robustness: at least a thousand generated device answers per operation (list, info, pull,
//! delete) — HTML pages, truncated and invalid JSON, invalid UTF-8, deep nesting, wrong shapes,
//! every status class, empty and huge bodies, odd values — each sent once through the
//! simulator's `Raw` fault and answered by the panel with a typed error or (flagged) rows,
//! never a panic, never the device's bytes, never the token.
//!
//! The expected answer of each case follows the README's troubleshooting table (device status
//! → panel code) and, for 2xx lists, the panel's own decoder and translation applied to the
//! same bytes. `LEM_ROBUST_LONG=1` multiplies the number of cases by ten.

use std::collections::BTreeMap;
use std::time::Instant;

use lem_client::{Scalar, parse_image_list};
use lem_panel::translate::translate;
use lem_panel_tests::hostile::{
    self, DeviceAnswer, MARKER, RESPONSE_LIMIT, Shape, cases, device_answers,
};
use lem_panel_tests::{D1, PanelClient, Reply, TestApp, import_body, logs, row, short_timeouts};
use lem_sim::Op;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use shared::api::{ErrorBody, ImagesResponse, Job, JobState, RegistryStatusResponse};

/// The seed of the generated answers (any change makes a different, equally valid run).
const SEED: u64 = 0x7f3a_2024;

/// What the panel must answer for one device answer.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    /// 200 with exactly these rows and this count of skipped entries.
    Rows(Vec<shared::api::ImageRow>, u32),
    /// This panel status with this error code.
    Error(u16, &'static str),
    /// Success, or any `device_*` error (1xx answers: what hyper makes of them varies).
    Typed,
}

/// Whether the body is JSON as the device client checks it (serde's `IgnoredAny`: structure
/// only, so strings in it are not checked for UTF-8 and nesting depth is not limited).
fn is_json(body: &[u8]) -> bool {
    serde_json::from_slice::<IgnoredAny>(body).is_ok()
}

/// The README's table: a device status (not 2xx) to the panel's status and code.
fn status_error(answer: &DeviceAnswer) -> (u16, &'static str) {
    let body = answer.body_on_the_wire();
    if body.len() > RESPONSE_LIMIT {
        return (502, "device_bad_response");
    }
    match answer.status {
        400 => (400, "device_bad_request"),
        401 => (502, "device_auth"),
        403 => (502, "device_forbidden"),
        404 => (404, "device_not_found"),
        405 | 501 => (502, "device_unsupported"),
        500..=599 if !body.is_empty() && !is_json(body) => (502, "device_bad_response"),
        _ => (502, "device_error"),
    }
}

/// A 2xx answer whose body is not the documented JSON.
const BAD_RESPONSE: (u16, &str) = (502, "device_bad_response");

/// The device's info object, read per field (each field any JSON value), as documented.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct InfoFields {
    state: Scalar,
    auth_state: Scalar,
    proxy_state: Scalar,
    proxy_user: Scalar,
}

/// The device's `{code, message, messageDetails}` envelope, read per field.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct EnvelopeFields {
    code: Scalar,
    message: Scalar,
    message_details: Scalar,
}

/// `None` when the body is not a JSON object with the operation's fields; else its `code`.
fn object_code(body: &[u8], op: Op) -> Option<Option<String>> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return None;
    }
    if op == Op::Info {
        let _: InfoFields = serde_json::from_slice(body).ok()?;
        return Some(None);
    }
    let envelope: EnvelopeFields = serde_json::from_slice(body).ok()?;
    Some(envelope.code.as_str().map(str::to_owned))
}

fn expected_list(answer: &DeviceAnswer) -> Expected {
    let body = answer.body_on_the_wire();
    match answer.status {
        100..=199 => Expected::Typed,
        200..=299 if body.len() > RESPONSE_LIMIT => Expected::Error(BAD_RESPONSE.0, BAD_RESPONSE.1),
        200..=299 => match parse_image_list(body) {
            Ok(list) => {
                let (rows, skipped) = translate(list);
                Expected::Rows(rows, skipped)
            }
            Err(_) => Expected::Error(BAD_RESPONSE.0, BAD_RESPONSE.1),
        },
        _ => {
            let (status, code) = status_error(answer);
            Expected::Error(status, code)
        }
    }
}

/// For info the panel answers 200 with `reachable` and the error it would have given.
fn expected_info(answer: &DeviceAnswer) -> Expected {
    let body = answer.body_on_the_wire();
    match answer.status {
        100..=199 => Expected::Typed,
        200..=299 if body.len() > RESPONSE_LIMIT => Expected::Error(BAD_RESPONSE.0, BAD_RESPONSE.1),
        200..=299 => match object_code(body, Op::Info) {
            Some(_) => Expected::Rows(Vec::new(), 0),
            None => Expected::Error(BAD_RESPONSE.0, BAD_RESPONSE.1),
        },
        _ => {
            let (status, code) = status_error(answer);
            Expected::Error(status, code)
        }
    }
}

/// Delete: the row is never really deleted (a `Raw` answer is not applied), so a delete the
/// device "accepted" ends `still_listed`, and every failure is reported as itself.
fn expected_delete(answer: &DeviceAnswer) -> Expected {
    let body = answer.body_on_the_wire();
    match answer.status {
        100..=199 => Expected::Typed,
        200..=299 if body.len() > RESPONSE_LIMIT => Expected::Error(BAD_RESPONSE.0, BAD_RESPONSE.1),
        200..=299 if body.iter().all(u8::is_ascii_whitespace) => Expected::Rows(Vec::new(), 0),
        200..=299 => match object_code(body, Op::Delete) {
            None => Expected::Error(BAD_RESPONSE.0, BAD_RESPONSE.1),
            Some(None) => Expected::Rows(Vec::new(), 0),
            Some(Some(code)) if code == "S" => Expected::Rows(Vec::new(), 0),
            Some(Some(_)) => Expected::Error(502, "device_refused"),
        },
        _ => {
            let (status, code) = status_error(answer);
            Expected::Error(status, code)
        }
    }
}

/// Pull: (final job state, error code). The image never appears (not applied), so even a
/// device-reported success ends `unknown`.
fn expected_pull(answer: &DeviceAnswer) -> Option<(JobState, &'static str)> {
    let body = answer.body_on_the_wire();
    let unknown = |code| Some((JobState::Unknown, code));
    match answer.status {
        100..=199 => None,
        // Too large is a bad answer whatever its status: the body is never read.
        _ if body.len() > RESPONSE_LIMIT => unknown("device_bad_response"),
        200..=299 => match object_code(body, Op::Pull) {
            None => unknown("device_bad_response"),
            Some(Some(code)) if code == "S" => unknown("device_error"),
            Some(_) => Some((JobState::Failed, "device_refused")),
        },
        _ => {
            let (_, code) = status_error(answer);
            let definite = matches!(answer.status, 400 | 401 | 403 | 404 | 405 | 501);
            Some((
                if definite {
                    JobState::Failed
                } else {
                    JobState::Unknown
                },
                code,
            ))
        }
    }
}

/// What one run found, for the report and the README.
#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    failures: Vec<String>,
    no_answer: usize,
    by_shape: BTreeMap<String, usize>,
    by_outcome: BTreeMap<String, usize>,
    flagged_rows: usize,
}

impl Tally {
    fn fail(&mut self, answer: &DeviceAnswer, why: impl Into<String>) {
        self.failures
            .push(format!("{} → {}", answer.describe(), why.into()));
    }

    fn count(&mut self, answer: &DeviceAnswer, outcome: impl Into<String>) {
        self.cases += 1;
        *self
            .by_shape
            .entry(format!("{:?}", answer.shape))
            .or_default() += 1;
        *self.by_outcome.entry(outcome.into()).or_default() += 1;
    }

    fn finish(self, op: &str, started: Instant, panics_before: usize) {
        let panics = hostile::panel_panics() - panics_before;
        println!(
            "robust {op}: {} cases, {} failures, {} without an answer, {panics} panel panics, {} flagged rows, {:.1} s",
            self.cases,
            self.failures.len(),
            self.no_answer,
            self.flagged_rows,
            started.elapsed().as_secs_f64()
        );
        println!("  shapes: {:?}", self.by_shape);
        println!("  outcomes: {:?}", self.by_outcome);
        assert!(self.cases >= 1000, "{op}: only {} cases ran", self.cases);
        for shape in Shape::ALL {
            assert!(
                self.by_shape.contains_key(&format!("{shape:?}")),
                "{op}: no {shape:?} case was generated"
            );
        }
        assert_eq!(panics, 0, "{op}: the panel panicked");
        assert!(
            self.failures.is_empty(),
            "{op}: {} of {} cases failed, e.g.:\n{}",
            self.failures.len(),
            self.cases,
            self.failures
                .iter()
                .take(25)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// Checks every reply shares: JSON, no marker, no token, and an envelope when not 2xx.
fn common_checks(tally: &mut Tally, answer: &DeviceAnswer, reply: &Reply) -> bool {
    let mut ok = true;
    if let Some(context) = hostile::find_in(&reply.bytes, MARKER) {
        tally.fail(answer, format!("device bytes passed on: …{context}…"));
        ok = false;
    }
    for secret in hostile::CANARY_FORMS {
        if let Some(context) = hostile::find_in(&reply.bytes, secret) {
            tally.fail(answer, format!("the token passed on: …{context}…"));
            ok = false;
        }
    }
    if !reply
        .header("content-type")
        .is_some_and(|ct| ct.starts_with("application/json"))
    {
        tally.fail(
            answer,
            format!(
                "content type {:?}: {}",
                reply.header("content-type"),
                reply.text
            ),
        );
        ok = false;
    }
    if !reply.is_success() && serde_json::from_slice::<ErrorBody>(&reply.bytes).is_err() {
        tally.fail(
            answer,
            format!(
                "{} without the error envelope: {}",
                reply.status, reply.text
            ),
        );
        ok = false;
    }
    ok
}

fn check_error(
    tally: &mut Tally,
    answer: &DeviceAnswer,
    status: u16,
    code: &str,
    got_status: u16,
    got_code: &str,
) {
    if got_status != status || got_code != code {
        tally.fail(
            answer,
            format!("expected {status} {code}, got {got_status} {got_code}"),
        );
    }
}

fn is_device_code(code: &str) -> bool {
    code.starts_with("device_")
}

/// Sends each answer once, in order, through `call`; `judge` checks the reply.
async fn run<F, Fut>(
    app: &TestApp,
    op: Op,
    answers: &[DeviceAnswer],
    call: F,
    mut judge: impl FnMut(&mut Tally, &DeviceAnswer, Reply),
) -> Tally
where
    F: Fn(PanelClient) -> Fut,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let mut tally = Tally::default();
    for answer in answers {
        app.device().set_fault(op, answer.fault());
        // A panel that panics drops the connection, and the client task panics in turn.
        let reply = tokio::spawn(call(app.client().clone())).await;
        match reply {
            Ok(reply) => {
                if common_checks(&mut tally, answer, &reply) {
                    judge(&mut tally, answer, reply);
                } else {
                    tally.count(answer, "failed");
                }
            }
            Err(e) => {
                tally.no_answer += 1;
                tally.fail(answer, format!("no answer from the panel: {e}"));
                tally.count(answer, "no answer");
            }
        }
    }
    app.device().clear_all_faults();
    tally
}

/// One app per operation: short limits (1 MiB answers, 3 s calls) so huge and hanging
/// answers cost little, and a database on a RAM disk when there is one (thousands of jobs).
async fn robust_app(device: &str) -> (TestApp, Option<tempfile::TempDir>) {
    hostile::watch_panel_panics();
    let ram = tempfile::tempdir_in("/dev/shm").ok();
    let database = ram.as_ref().map(|dir| dir.path().join("panel.db"));
    let app = TestApp::builder()
        .device_id(device)
        .rows(vec![row("line1/hmi", "1.4.0", D1)])
        .device_timeouts(short_timeouts(3))
        .config(move |config| {
            config.devices[0].max_response_mib = 1;
            if let Some(database) = &database {
                config.database.clone_from(database);
            }
        })
        .start()
        .await;
    (app, ram)
}

/// The token canary over this run (responses, the panel's logs, its files: the database holds
/// the audit trail and the jobs, with the device's messages), and no panic logged.
fn logs_and_files_are_clean(mark: usize, app: &TestApp) {
    let ours = hostile::assert_no_token_anywhere(app, mark);
    assert!(
        !hostile::mentions_a_panic(&ours),
        "a panic was logged: {}",
        hostile::find_in(ours.as_bytes(), "panicked at").unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_a_thousand_malformed_list_answers_each_become_a_typed_error_or_flagged_rows() {
    let _heavy = crate::cpu_heavy().await;
    let (app, _ram) = robust_app("robust-list").await;
    app.login_as("viewer").await;
    let answers = device_answers(Op::List, SEED, cases(1000));
    let (started, panics, mark) = (Instant::now(), hostile::panel_panics(), logs::mark());

    let tally = run(
        &app,
        Op::List,
        &answers,
        |client| async move { client.images().await },
        |tally, answer, reply| match expected_list(answer) {
            Expected::Rows(rows, skipped) => {
                let Ok(images) = serde_json::from_slice::<ImagesResponse>(&reply.bytes) else {
                    tally.fail(
                        answer,
                        format!("expected rows, got {} {}", reply.status, reply.text),
                    );
                    return;
                };
                if reply.status != 200 || images.images != rows || images.skipped_entries != skipped
                {
                    tally.fail(
                        answer,
                        format!("rows differ from the decoder's: {}", reply.text),
                    );
                }
                tally.flagged_rows += images.images.iter().filter(|r| !r.flags.is_empty()).count();
                tally.count(answer, "200 rows");
            }
            Expected::Error(status, code) => {
                check_error(
                    tally,
                    answer,
                    status,
                    code,
                    reply.status.as_u16(),
                    reply.code(),
                );
                tally.count(answer, format!("{status} {code}"));
            }
            Expected::Typed if reply.status == 200 => tally.count(answer, "1xx → 200"),
            Expected::Typed => {
                if !is_device_code(reply.code()) {
                    tally.fail(answer, format!("untyped: {} {}", reply.status, reply.text));
                }
                tally.count(
                    answer,
                    format!("1xx → {} {}", reply.status.as_u16(), reply.code()),
                );
            }
        },
    )
    .await;

    assert_eq!(app.healthz().await.status, 200, "the panel still answers");
    logs_and_files_are_clean(mark, &app);
    tally.finish("list", started, panics);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_a_thousand_malformed_info_answers_each_become_a_typed_status() {
    let _heavy = crate::cpu_heavy().await;
    let (app, _ram) = robust_app("robust-info").await;
    app.login_as("viewer").await;
    let answers = device_answers(Op::Info, SEED, cases(1000));
    let (started, panics, mark) = (Instant::now(), hostile::panel_panics(), logs::mark());

    let tally = run(
        &app,
        Op::Info,
        &answers,
        |client| async move { client.registry_status().await },
        |tally, answer, reply| {
            let Ok(status) = serde_json::from_slice::<RegistryStatusResponse>(&reply.bytes) else {
                tally.fail(
                    answer,
                    format!("not a status: {} {}", reply.status, reply.text),
                );
                return;
            };
            let code = status
                .error
                .as_ref()
                .and_then(|e| serde_json::to_value(e.code).ok());
            let code = code.as_ref().and_then(Value::as_str).unwrap_or("");
            match expected_info(answer) {
                Expected::Rows(..) => {
                    if !status.reachable || status.registry.is_none() || status.error.is_some() {
                        tally.fail(answer, format!("expected reachable: {}", reply.text));
                    }
                    tally.count(answer, "reachable");
                }
                Expected::Error(_, expected) => {
                    if status.reachable || code != expected {
                        tally.fail(
                            answer,
                            format!("expected unreachable {expected}: {}", reply.text),
                        );
                    }
                    tally.count(answer, format!("unreachable {expected}"));
                }
                Expected::Typed => {
                    if !status.reachable && !is_device_code(code) {
                        tally.fail(answer, format!("untyped: {}", reply.text));
                    }
                    tally.count(
                        answer,
                        format!("1xx → reachable {} {code}", status.reachable),
                    );
                }
            }
        },
    )
    .await;

    assert_eq!(app.healthz().await.status, 200, "the panel still answers");
    logs_and_files_are_clean(mark, &app);
    tally.finish("info", started, panics);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_a_thousand_malformed_delete_answers_each_become_a_typed_error_or_an_honest_outcome()
{
    let _heavy = crate::cpu_heavy().await;
    let (app, _ram) = robust_app("robust-delete").await;
    app.login_as("admin").await;
    let answers = device_answers(Op::Delete, SEED, cases(1000));
    let (started, panics, mark) = (Instant::now(), hostile::panel_panics(), logs::mark());
    app.device().reset_counters();

    let tally = run(
        &app,
        Op::Delete,
        &answers,
        |client| async move { client.delete("line1/hmi", D1, &["1.4.0"]).await },
        |tally, answer, reply| match expected_delete(answer) {
            Expected::Rows(..) => {
                if reply.status != 200 || reply.body["outcome"] != "still_listed" {
                    tally.fail(
                        answer,
                        format!("expected 200 still_listed: {} {}", reply.status, reply.text),
                    );
                }
                tally.count(answer, "200 still_listed");
            }
            Expected::Error(status, code) => {
                check_error(
                    tally,
                    answer,
                    status,
                    code,
                    reply.status.as_u16(),
                    reply.code(),
                );
                tally.count(answer, format!("{status} {code}"));
            }
            Expected::Typed => {
                let honest = reply.status == 200 && reply.body["outcome"] == "still_listed";
                if !honest && !is_device_code(reply.code()) {
                    tally.fail(answer, format!("untyped: {} {}", reply.status, reply.text));
                }
                tally.count(
                    answer,
                    format!("1xx → {} {}", reply.status.as_u16(), reply.code()),
                );
            }
        },
    )
    .await;

    let counters = app.device().counters();
    println!(
        "  device calls: {} deletes, {} lists",
        counters.delete, counters.list
    );
    assert_eq!(
        counters.delete,
        answers.len() as u64,
        "exactly one device delete per panel delete"
    );
    assert_eq!(app.healthz().await.status, 200, "the panel still answers");
    logs_and_files_are_clean(mark, &app);
    tally.finish("delete", started, panics);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_a_thousand_malformed_pull_answers_each_end_the_job_failed_or_unknown_with_a_reason()
{
    let _heavy = crate::cpu_heavy().await;
    let (app, _ram) = robust_app("robust-pull").await;
    app.login_as("operator").await;
    let answers = device_answers(Op::Pull, SEED, cases(1000));
    let (started, panics, mark) = (Instant::now(), hostile::panel_panics(), logs::mark());
    app.device().reset_counters();

    let tally = run(
        &app,
        Op::Pull,
        &answers,
        |client| async move { import_and_finish(client).await },
        |tally, answer, reply| {
            let Ok(job) = serde_json::from_slice::<Job>(&reply.bytes) else {
                tally.fail(
                    answer,
                    format!("not a job: {} {}", reply.status, reply.text),
                );
                return;
            };
            let code = job
                .error
                .as_ref()
                .and_then(|e| serde_json::to_value(e.code).ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let reason = job
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_default();
            if reason.trim().is_empty() {
                tally.fail(answer, format!("no reason given: {}", reply.text));
            }
            match expected_pull(answer) {
                Some((state, expected)) => {
                    if job.state != state || code != expected {
                        tally.fail(
                            answer,
                            format!("expected {state:?} {expected}, got {:?} {code}", job.state),
                        );
                    }
                }
                None => {
                    if !matches!(job.state, JobState::Failed | JobState::Unknown)
                        || !is_device_code(&code)
                    {
                        tally.fail(answer, format!("untyped: {}", reply.text));
                    }
                }
            }
            tally.count(answer, format!("{:?} {code}", job.state));
        },
    )
    .await;

    let pulls = app.device().counters().pull;
    println!("  device calls: {pulls} pulls");
    assert_eq!(
        pulls,
        answers.len() as u64,
        "exactly one device pull per import"
    );
    assert_eq!(app.healthz().await.status, 200, "the panel still answers");
    logs_and_files_are_clean(mark, &app);
    tally.finish("pull", started, panics);
}

/// Starts an import with a fresh target tag and polls (every 2 ms) until its job has ended;
/// the reply is the finished job.
async fn import_and_finish(client: PanelClient) -> Reply {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let started = client
        .import(&import_body(
            "docker.io",
            "alpine",
            "3.20",
            "robust/pull",
            &format!("t{n}"),
        ))
        .await;
    let Some(id) = started.body["job"]["id"].as_i64() else {
        return started;
    };
    let begun = Instant::now();
    loop {
        let reply = client.job(id).await;
        let state = reply.body["state"].as_str().unwrap_or_default();
        if reply.status != 200 || !matches!(state, "queued" | "running") {
            return reply;
        }
        assert!(begun.elapsed().as_secs() < 30, "job {id} never finished");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robust_a_refusing_envelope_code_is_redacted_and_shortened_like_the_devices_message() {
    let (app, _ram) = robust_app("robust-code").await;
    app.login_as("admin").await;
    let code = format!(
        "E-{} {}{MARKER}",
        lem_panel_tests::CANARY_TOKEN,
        "x".repeat(5_000)
    );
    let body = serde_json::json!({"code": code, "message": "refused"}).to_string();
    app.device().set_fault(
        Op::Delete,
        lem_sim::Fault::once(lem_sim::FaultKind::Raw {
            status: 200,
            content_type: Some("application/json".into()),
            body: body.into(),
        }),
    );

    let refused = app.delete("line1/hmi", D1, &["1.4.0"]).await;

    assert_eq!(refused.status, 502, "{}", refused.text);
    assert_eq!(refused.code(), "device_refused", "{}", refused.text);
    let audit = app.audit().await;
    let mark_after = logs::captured();
    let leaks = [
        (
            "the refusal",
            hostile::find_in(&refused.bytes, lem_panel_tests::CANARY_TOKEN),
        ),
        (
            "the audit trail",
            hostile::find_in(&audit.bytes, lem_panel_tests::CANARY_TOKEN),
        ),
        (
            "the panel's log",
            hostile::find_in(
                hostile::panel_log_lines(&mark_after).as_bytes(),
                lem_panel_tests::CANARY_TOKEN,
            ),
        ),
    ];
    let found: Vec<&str> = leaks
        .iter()
        .filter(|(_, hit)| hit.is_some())
        .map(|(place, _)| *place)
        .collect();
    assert!(found.is_empty(), "the token reached: {found:?}");
    assert!(
        refused.text.len() < 2_000,
        "a 5 KB device field is passed on whole ({} bytes)",
        refused.text.len()
    );
    assert!(
        hostile::find_in(&refused.bytes, MARKER).is_none(),
        "{}",
        refused.text
    );
}
