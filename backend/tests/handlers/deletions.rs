//! Safe deletion by (name, digest) with the confirmed tag set re-checked on the device.

use axum::http::StatusCode;
use lem_client::{DeviceError, TimeoutStage};
use serde_json::json;

use crate::harness::{D1, D2, D512, Harness, Op, row};

fn bc01_rows() -> Vec<serde_json::Value> {
    vec![
        row("line1/hmi", "1.4.0", D1),
        row("line1/hmi", "latest", D1),
        row("line1/hmi", "1.3.9", D2),
        row("line2/hmi", "1.4.0", D1),
    ]
}

const PATH: &str = "/api/v1/devices/edge-1/deletions";

#[tokio::test]
async fn bc01_deleting_a_digest_removes_exactly_the_tags_sharing_it_with_one_device_call() {
    let app = Harness::new(bc01_rows()).await;
    let admin = app.login("admin").await;
    let reply = app
        .post(
            PATH,
            &admin,
            json!({"name": "line1/hmi", "digest": D1, "expectedTags": ["1.4.0", "latest"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["outcome"], "removed");
    assert_eq!(reply.body["removedTags"], json!(["1.4.0", "latest"]));
    assert_eq!(
        *app.device.deletes.lock().expect("lock"),
        vec![("line1/hmi".to_owned(), D1.to_owned())]
    );
    let list = app.get("/api/v1/devices/edge-1/images", &admin).await;
    let refs: Vec<String> = list.body["images"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["name"].as_str().unwrap_or(""),
                r["tag"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(refs, ["line1/hmi:1.3.9", "line2/hmi:1.4.0"]);
    assert!(app.audit_actions().await.contains(&"deletion".to_owned()));
}

#[tokio::test]
async fn delete_is_refused_when_the_tags_sharing_the_digest_changed_since_the_user_looked() {
    let app = Harness::new(bc01_rows()).await;
    let admin = app.login("admin").await;
    let reply = app
        .post(
            PATH,
            &admin,
            json!({"name": "line1/hmi", "digest": D1, "expectedTags": ["1.4.0"]}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::CONFLICT, "conflict")
    );
    assert_eq!(
        reply.body["error"]["currentTags"],
        json!(["1.4.0", "latest"])
    );
    assert_eq!(app.device.calls(Op::Delete), 0);
}

#[tokio::test]
async fn accepted_but_still_listed_is_reported_as_such() {
    let app = Harness::new(bc01_rows()).await;
    *app.device.keep_rows_on_delete.lock().expect("lock") = true;
    let admin = app.login("admin").await;
    let reply = app
        .post(
            PATH,
            &admin,
            json!({"name": "line1/hmi", "digest": D1, "expectedTags": ["1.4.0", "latest"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["outcome"], "still_listed");
    assert_eq!(reply.body["stillListedTags"], json!(["1.4.0", "latest"]));
    assert!(
        reply.body["message"]
            .as_str()
            .expect("message")
            .contains("still lists")
    );
}

#[tokio::test]
async fn bc03_a_device_that_refuses_deletion_gets_one_attempt_and_a_plain_sentence() {
    let app = Harness::new(bc01_rows()).await;
    app.device.fail_next(
        Op::Delete,
        DeviceError::Unsupported {
            status: 405,
            message: Some("delete disabled".into()),
        },
    );
    let admin = app.login("admin").await;
    let reply = app
        .post(
            PATH,
            &admin,
            json!({"name": "line1/hmi", "digest": D2, "expectedTags": ["1.3.9"]}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::BAD_GATEWAY, "device_unsupported")
    );
    assert_eq!(app.device.calls(Op::Delete), 1, "never retried");
    assert_eq!(
        app.device.rows.lock().expect("lock").len(),
        4,
        "the row stays"
    );
}

#[tokio::test]
async fn a_timed_out_delete_is_judged_by_re_listing() {
    let app = Harness::new(bc01_rows()).await;
    app.device.fail_next_after_acting(
        Op::Delete,
        DeviceError::Timeout {
            endpoint: "x:1".into(),
            stage: TimeoutStage::Response,
            after: std::time::Duration::from_secs(60),
        },
    );
    let admin = app.login("admin").await;
    let reply = app
        .post(
            PATH,
            &admin,
            json!({"name": "line1/hmi", "digest": D2, "expectedTags": ["1.3.9"]}),
        )
        .await;
    // The device deleted, then the answer was lost: the re-list shows it worked.
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["outcome"], "removed");
    assert_eq!(app.device.calls(Op::Delete), 1);
}

#[tokio::test]
async fn bc12_bc15_smuggled_parameters_and_malformed_digests_are_refused_without_device_calls() {
    let app = Harness::new(bc01_rows()).await;
    let admin = app.login("admin").await;
    let cases = [
        (
            json!({"name": "line1/hmi&digest=D2", "digest": D1, "expectedTags": ["1.4.0"]}),
            "name",
        ),
        (
            json!({"name": "line1/hmi", "digest": format!("{D1}&name=other"), "expectedTags": ["1.4.0"]}),
            "digest",
        ),
        (
            json!({"name": "../../admin", "digest": D1, "expectedTags": ["1.4.0"]}),
            "name",
        ),
        (
            json!({"name": "line1/hmi#x", "digest": D1, "expectedTags": ["1.4.0"]}),
            "name",
        ),
        (
            json!({"name": "line1/hmi", "digest": "sha256:C50F2833761E7C5A151A2C2FD72BDF64A8EE52DE35016AE4141AF24F1DC655F4", "expectedTags": ["1.4.0"]}),
            "digest",
        ),
        (
            json!({"name": "line1/hmi", "digest": "sha256:c50f", "expectedTags": ["1.4.0"]}),
            "digest",
        ),
        (
            json!({"name": "line1/hmi", "digest": "c50f2833761e7c5a151a2c2fd72bdf64a8ee52de35016ae4141af24f1dc655f4", "expectedTags": ["1.4.0"]}),
            "digest",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post(PATH, &admin, body.clone()).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::BAD_REQUEST, "validation"),
            "{body}"
        );
        assert_eq!(reply.body["error"]["field"], field, "{body}");
        if field == "digest" {
            assert!(
                reply.body["error"]["message"]
                    .as_str()
                    .expect("message")
                    .starts_with("Invalid digest")
            );
        }
    }
    assert_eq!(app.device.total_calls(), 0);
}

#[tokio::test]
async fn bc15_a_sha512_digest_is_forwarded_unchanged() {
    let app = Harness::new(vec![row("line1/hmi", "2.0.0", D512)]).await;
    let admin = app.login("admin").await;
    let reply = app
        .post(
            PATH,
            &admin,
            json!({"name": "line1/hmi", "digest": D512, "expectedTags": ["2.0.0"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(app.device.deletes.lock().expect("lock")[0].1, D512);
}

#[tokio::test]
async fn bc10_a_tag_that_looks_like_a_file_name_deletes_its_own_row() {
    let rows = vec![
        row("tools/cfg", "index.html", D1),
        row("tools/cfg", "v1.json", D2),
    ];
    let app = Harness::new(rows).await;
    let admin = app.login("admin").await;
    let reply = app
        .post(
            PATH,
            &admin,
            json!({"name": "tools/cfg", "digest": D1, "expectedTags": ["index.html"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        *app.device.deletes.lock().expect("lock"),
        vec![("tools/cfg".to_owned(), D1.to_owned())]
    );
}

#[tokio::test]
async fn a_timed_out_delete_that_did_nothing_reports_the_timeout() {
    let app = Harness::new(bc01_rows()).await;
    app.device.fail_next(
        Op::Delete,
        DeviceError::Timeout {
            endpoint: "x:1".into(),
            stage: TimeoutStage::Response,
            after: std::time::Duration::from_secs(60),
        },
    );
    let admin = app.login("admin").await;
    let reply = app
        .post(
            PATH,
            &admin,
            json!({"name": "line1/hmi", "digest": D2, "expectedTags": ["1.3.9"]}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::GATEWAY_TIMEOUT, "device_timeout")
    );
    assert_eq!(app.device.calls(Op::Delete), 1);
}
