//! An import job's lifetime and verdict: a repeat import joins only a job still queued or
//! running, an import that failed to start never blocks a later one, and a pull whose outcome
//! is ambiguous is only a success when the panel can tell the listed image is the new one.

use std::time::Duration;

use axum::http::StatusCode;
use lem_client::{DeviceError, TimeoutStage};
use serde_json::{Value, json};

use crate::harness::{D1, Harness, Op, row};

const PATH: &str = "/api/v1/devices/edge-1/imports";

fn import() -> Value {
    json!({"externalUrl": "registry.example.local:5000", "externalName": "team/app", "externalTag": "1.0",
           "internalName": "team/app", "internalTag": "1.0"})
}

fn timeout() -> DeviceError {
    DeviceError::Timeout {
        endpoint: "10.20.0.5:8446".into(),
        stage: TimeoutStage::Response,
        after: Duration::from_secs(1800),
    }
}

fn job_id(reply: &crate::harness::Reply) -> i64 {
    reply.body["job"]["id"].as_i64().expect("a job id")
}

#[tokio::test]
async fn a_repeat_import_right_after_the_first_finished_gets_a_new_job_not_the_finished_one() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("operator").await;
    for round in 0..20 {
        let first = app.post(PATH, &cookie, import()).await;
        assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
        let finished = app.finished_job(job_id(&first), &cookie).await;
        assert_eq!(finished["state"], "succeeded", "{finished}");
        // At once, while the finished job's audit entry may still be being written.
        let again = app.post(PATH, &cookie, import()).await;
        assert_eq!(
            again.status,
            StatusCode::ACCEPTED,
            "round {round}: {}",
            again.text
        );
        assert_eq!(again.body["deduplicated"], false, "round {round}");
        assert_ne!(job_id(&again), job_id(&first), "round {round}");
        app.finished_job(job_id(&again), &cookie).await;
    }
    assert_eq!(app.device.calls(Op::Pull), 40, "every import pulled");
}

#[tokio::test]
async fn an_import_whose_audit_entry_could_not_be_written_fails_and_does_not_absorb_the_next_one() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("operator").await;
    let refuse = "CREATE TEMP TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END";
    app.state
        .db
        .call(move |c| {
            c.execute_batch(refuse).expect("trigger");
            Ok(())
        })
        .await
        .expect("db");
    let refused = app.post(PATH, &cookie, import()).await;
    assert_eq!(
        refused.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        refused.text
    );
    assert_eq!(app.device.calls(Op::Pull), 0, "not started");
    app.state
        .db
        .call(|c| {
            c.execute_batch("DROP TRIGGER refuse_audit").expect("drop");
            Ok(())
        })
        .await
        .expect("db");
    let jobs = app.get("/api/v1/jobs", &cookie).await;
    let stuck = jobs.body["jobs"][0].clone();
    assert_eq!(
        stuck["state"], "failed",
        "not left queued for ever: {}",
        jobs.text
    );

    let next = app.post(PATH, &cookie, import()).await;
    assert_eq!(next.status, StatusCode::ACCEPTED, "{}", next.text);
    assert_eq!(next.body["deduplicated"], false);
    assert_ne!(next.body["job"]["id"], stuck["id"]);
    let job = app.finished_job(job_id(&next), &cookie).await;
    assert_eq!(job["state"], "succeeded", "{job}");
}

#[tokio::test]
async fn a_timed_out_pull_after_a_failed_pre_pull_list_is_unknown_even_though_the_image_is_listed()
{
    // The tag exists with the old digest; the pull puts nothing new there and times out.
    let app = Harness::new(vec![row("team/app", "1.0", D1)]).await;
    let cookie = app.login("operator").await;
    app.device.fail_next(
        Op::List,
        DeviceError::Server {
            status: 503,
            message: None,
        },
    );
    app.device.fail_next(Op::Pull, timeout());
    let reply = app.post(PATH, &cookie, import()).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    let job = app.finished_job(job_id(&reply), &cookie).await;

    assert_eq!(
        job["state"], "unknown",
        "the listed image may be the old one: {job}"
    );
    assert_eq!(job["error"]["code"], "device_timeout", "{job}");
    let message = job["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("listed, but the panel could not tell whether it is the new one"),
        "{message}"
    );
    assert_eq!(
        app.device.calls(Op::List),
        2,
        "the failed pre-pull list and the re-list"
    );
    assert_eq!(app.device.calls(Op::Pull), 1);
}

#[tokio::test]
async fn a_pull_that_answered_after_a_failed_pre_pull_list_still_succeeds() {
    let app = Harness::new(vec![row("team/app", "1.0", D1)]).await;
    let cookie = app.login("operator").await;
    app.device.fail_next(
        Op::List,
        DeviceError::Server {
            status: 503,
            message: None,
        },
    );
    let reply = app.post(PATH, &cookie, import()).await;
    let job = app.finished_job(job_id(&reply), &cookie).await;
    assert_eq!(
        job["state"], "succeeded",
        "the device said it pulled: {job}"
    );
}
