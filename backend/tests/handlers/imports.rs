//! Imports: validation with the shared validators, background jobs verified by re-listing,
//! deduplication, and jobs across a restart.

use std::time::Duration;

use axum::http::StatusCode;
use lem_client::{DeviceError, TimeoutStage};
use serde_json::{Value, json};

use crate::harness::{D1, D2, Harness, Op, row};

const PATH: &str = "/api/v1/devices/edge-1/imports";

fn import(external_tag: &str, internal_tag: &str) -> Value {
    json!({"externalUrl": "registry.example.local:5000", "externalName": "team/app", "externalTag": external_tag,
           "internalName": "team/app", "internalTag": internal_tag})
}

#[tokio::test]
async fn bc11_the_device_receives_exactly_the_five_values_with_the_port_kept() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("operator").await;
    let reply = app.post(PATH, &cookie, import("1.2.3", "1.2.3")).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    let job = app
        .finished_job(reply.body["job"]["id"].as_i64().expect("id"), &cookie)
        .await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let pulls = app.device.pulls.lock().expect("lock").clone();
    assert_eq!(pulls.len(), 1);
    let p = &pulls[0];
    assert_eq!(
        (
            p.external_url.as_str(),
            p.external_name.as_str(),
            p.external_tag.as_str(),
            p.internal_name.as_str(),
            p.internal_tag.as_str()
        ),
        (
            "registry.example.local:5000",
            "team/app",
            "1.2.3",
            "team/app",
            "1.2.3"
        )
    );
}

#[tokio::test]
async fn bc14_bc12_tags_are_checked_on_both_sides_with_the_field_named_and_no_device_call() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("operator").await;
    let long_ok = "a".repeat(128);
    let too_long = "a".repeat(129);
    for field in ["externalTag", "internalTag"] {
        for bad in [too_long.as_str(), ".hidden", "-rc1", "", "1.0+build5"] {
            let mut body = import("1.0", "1.0");
            body[field] = json!(bad);
            let reply = app.post(PATH, &cookie, body).await;
            assert_eq!(
                (reply.status, reply.code()),
                (StatusCode::BAD_REQUEST, "validation"),
                "{field}={bad:?}"
            );
            assert_eq!(reply.body["error"]["field"], field);
        }
    }
    assert_eq!(
        app.device.total_calls(),
        0,
        "0 device calls for invalid input"
    );
    for good in [long_ok.as_str(), "v1.2.3-rc.1_b7"] {
        let reply = app.post(PATH, &cookie, import(good, good)).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{good}: {}", reply.text);
        app.finished_job(reply.body["job"]["id"].as_i64().expect("id"), &cookie)
            .await;
    }
    let pulls = app.device.pulls.lock().expect("lock").clone();
    assert_eq!(pulls[0].external_tag, long_ok, "forwarded unchanged");
    assert_eq!(pulls[1].internal_tag, "v1.2.3-rc.1_b7");
}

#[tokio::test]
async fn docker_hub_shorthand_is_normalised_and_a_scheme_removed_with_notices() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("operator").await;
    let body = json!({"externalUrl": "https://docker.io", "externalName": "python", "externalTag": "3.12",
                      "internalName": "python", "internalTag": "3.12"});
    let reply = app.post(PATH, &cookie, body).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    assert_eq!(
        reply.body["job"]["request"]["externalName"],
        "library/python"
    );
    assert_eq!(reply.body["job"]["request"]["externalUrl"], "docker.io");
    assert_eq!(reply.body["notices"].as_array().expect("notices").len(), 2);
}

#[tokio::test]
async fn a_successful_import_records_the_digest_and_the_overwritten_one() {
    let app = Harness::new(vec![row("team/app", "1.2.3", D1)]).await;
    let cookie = app.login("operator").await;
    let reply = app.post(PATH, &cookie, import("1.2.3", "1.2.3")).await;
    let job = app
        .finished_job(reply.body["job"]["id"].as_i64().expect("id"), &cookie)
        .await;
    assert_eq!(job["state"], "succeeded");
    assert_eq!(job["resultDigest"], D2);
    assert_eq!(job["overwroteDigest"], D1);
    assert_eq!(job["startedBy"], "operator");
    assert!(job["finishedAtMs"].is_i64());
    let actions = app.audit_actions().await;
    assert!(
        actions.contains(&"import_started".to_owned())
            && actions.contains(&"import_finished".to_owned())
    );
}

#[tokio::test]
async fn a_refused_pull_fails_with_its_reason_and_is_never_retried() {
    let app = Harness::new(vec![]).await;
    app.device.fail_next(
        Op::Pull,
        DeviceError::NotFound {
            message: Some("manifest unknown".into()),
        },
    );
    let cookie = app.login("operator").await;
    let reply = app.post(PATH, &cookie, import("9.9.9", "9.9.9")).await;
    let job = app
        .finished_job(reply.body["job"]["id"].as_i64().expect("id"), &cookie)
        .await;
    assert_eq!(job["state"], "failed");
    assert_eq!(job["error"]["code"], "device_not_found");
    assert!(
        job["error"]["message"]
            .as_str()
            .expect("message")
            .contains("manifest unknown")
    );
    assert_eq!(app.device.calls(Op::Pull), 1);
}

#[tokio::test]
async fn a_timed_out_pull_is_unknown_unless_the_re_list_shows_the_image() {
    let app = Harness::new(vec![]).await;
    let timeout = DeviceError::Timeout {
        endpoint: "x:1".into(),
        stage: TimeoutStage::Response,
        after: Duration::from_secs(1800),
    };
    let cookie = app.login("operator").await;
    // The device stored the image, then the answer was lost: the re-list finds it.
    app.device.fail_next_after_acting(Op::Pull, timeout.clone());
    let reply = app.post(PATH, &cookie, import("1.0", "1.0")).await;
    let job = app
        .finished_job(reply.body["job"]["id"].as_i64().expect("id"), &cookie)
        .await;
    assert_eq!(job["state"], "succeeded", "{job}");
    // Now the pull times out without acting and the tag still has its old digest: unknown.
    app.device.fail_next(Op::Pull, timeout);
    let reply = app.post(PATH, &cookie, import("1.0", "1.0")).await;
    let job = app
        .finished_job(reply.body["job"]["id"].as_i64().expect("id"), &cookie)
        .await;
    assert_eq!(job["state"], "unknown", "{job}");
    assert_eq!(job["error"]["code"], "device_timeout");
    assert_eq!(app.device.calls(Op::Pull), 2, "one attempt per import");
}

#[tokio::test]
async fn identical_imports_in_flight_share_one_job() {
    let app = Harness::new(vec![]).await;
    *app.device.pull_delay.lock().expect("lock") = Duration::from_millis(300);
    let cookie = app.login("operator").await;
    let first = app.post(PATH, &cookie, import("1.0", "1.0")).await;
    let second = app.post(PATH, &cookie, import("1.0", "1.0")).await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body["deduplicated"], true);
    assert_eq!(first.body["job"]["id"], second.body["job"]["id"]);
    app.finished_job(first.body["job"]["id"].as_i64().expect("id"), &cookie)
        .await;
    assert_eq!(app.device.pulls.lock().expect("lock").len(), 1);
    let third = app.post(PATH, &cookie, import("1.0", "1.0")).await;
    assert_eq!(
        third.status,
        StatusCode::ACCEPTED,
        "a finished job no longer absorbs new requests"
    );
}

#[tokio::test]
async fn jobs_running_when_the_panel_stopped_are_interrupted_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("panel.db");
    let clock = lem_panel::clock::ManualClock::new(crate::harness::START_MS);
    let db = lem_panel::startup::open_database(&path, &clock).expect("db");
    let request: shared::api::ImportRequest =
        serde_json::from_value(import("1.0", "1.0")).expect("request");
    let job = db
        .create_job("edge-1".into(), request, "operator".into(), 1)
        .await
        .expect("job");
    drop(db);
    let db = lem_panel::startup::open_database(&path, &clock).expect("reopen");
    let after = db.job(job.id).await.expect("db").expect("job survives");
    assert_eq!(after.state, shared::api::JobState::Interrupted);
    assert_eq!(after.request, job.request);
    assert!(db.integrity_ok().await.expect("check"));
}

#[tokio::test]
async fn a_job_id_that_is_not_a_number_is_a_404_naming_it_not_a_body_error() {
    let app = Harness::new(vec![]).await;
    let cookie = app.login("viewer").await;
    for path in ["/api/v1/jobs/abc", "/api/v1/jobs/1.5", "/api/v1/jobs/99999"] {
        let reply = app.get(path, &cookie).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            reply.text
        );
        assert_eq!(reply.code(), "not_found", "{path}: {}", reply.text);
    }
    let reply = app.get("/api/v1/jobs/abc", &cookie).await;
    assert!(reply.text.contains("abc"), "{}", reply.text);
}
