//! The thin slice: log in, list, check the connection, import, delete, audit — every layer
//! from the HTTP API through the device client to the simulated device and back.

use lem_panel_tests::{FIXTURE_ROWS, TestApp, import_body};
use lem_sim::Op;

use crate::{audit_actions, find_row, job_id, rows};

const PYTHON_39: &str = "sha256:ddf3e328f78494805eeb0c43b6754178a941ae93b26949e493368af633c9c8a2";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_lists_imports_verifies_and_deletes_with_every_step_audited() {
    let app = TestApp::start().await;
    let login = app.login_as("admin").await;
    assert_eq!(login.body["role"], "admin");
    assert_eq!(app.session().await.body["username"], "admin");

    let images = app.images().await;
    assert_eq!(images.status, 200, "{}", images.text);
    assert_eq!(rows(&images).len(), FIXTURE_ROWS);
    assert_eq!(images.body["device"], app.device_id());

    let status = app.registry_status().await;
    assert_eq!(status.status, 200, "{}", status.text);
    assert_eq!(status.body["reachable"], true, "{}", status.text);
    assert_eq!(status.body["tlsMode"], "pin");
    assert_eq!(
        status.body["certificate"]["sha256"],
        app.sim().fingerprint()
    );

    let started = app
        .import(&import_body(
            "docker.io",
            "python",
            "3.9",
            "python",
            "3.9-copy",
        ))
        .await;
    assert_eq!(started.status, 202, "{}", started.text);
    let job = app.wait_for_job(job_id(&started)).await;
    assert_eq!(job.body["state"], "succeeded", "{}", job.text);
    assert_eq!(job.body["resultDigest"], PYTHON_39);
    assert_eq!(app.device().calls(Op::Pull), 1);

    let images = app.images().await;
    let copy = find_row(&images, "python", "3.9-copy").expect("the copy is listed");
    assert_eq!(copy["digest"], PYTHON_39);
    // The copy shares its digest with python:3.9, so deleting the digest removes both tags.
    assert_eq!(copy["sharedDigestTags"], serde_json::json!(["3.9"]));
    let deleted = app.delete("python", PYTHON_39, &["3.9", "3.9-copy"]).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body["outcome"], "removed");
    assert_eq!(
        deleted.body["removedTags"],
        serde_json::json!(["3.9", "3.9-copy"])
    );
    assert_eq!(app.device().calls(Op::Delete), 1);
    let after = app.images().await;
    assert!(find_row(&after, "python", "3.9").is_none());
    assert!(find_row(&after, "python", "3.9-copy").is_none());
    assert_eq!(rows(&after).len(), FIXTURE_ROWS - 1);

    let audit = app.audit().await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let actions = audit_actions(&audit);
    for action in [
        "login_succeeded",
        "import_started",
        "import_finished",
        "deletion",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} missing from {actions:?}"
        );
    }
    let export = app.export_audit("jsonl").await;
    assert_eq!(export.status, 200);
    assert_eq!(export.text.lines().count(), actions.len());
    assert!(export.text.contains("python:3.9-copy"), "{}", export.text);
}
