//! Imports over HTTPS, input side: the five pull values reach the device exactly (normalised
//! where the user pasted shorthand), and invalid input never reaches it.

use lem_panel_tests::{TestApp, import_body};

use crate::{find_row, import_and_wait, job_id, pulls};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc11_the_device_receives_exactly_the_five_pull_values_with_the_registry_port_kept() {
    let app = TestApp::start().await;
    app.login_as("operator").await;

    let job = import_and_wait(
        &app,
        &import_body(
            "registry.example.local:5000",
            "team/app",
            "1.2.3",
            "team/app",
            "1.2.3",
        ),
    )
    .await;

    assert_eq!(job.body["state"], "succeeded", "{}", job.text);
    let pulls = pulls(&app);
    assert_eq!(pulls.len(), 1);
    let expected: Vec<(String, String)> = [
        ("externalUrl", "registry.example.local:5000"),
        ("externalName", "team/app"),
        ("externalTag", "1.2.3"),
        ("internalName", "team/app"),
        ("internalTag", "1.2.3"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let mut received = pulls[0].query.clone();
    received.sort();
    let mut wanted = expected;
    wanted.sort();
    assert_eq!(received, wanted);
    assert!(find_row(&app.images().await, "team/app", "1.2.3").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_hub_shorthand_and_a_pasted_scheme_reach_the_device_normalised_with_notices() {
    let app = TestApp::start().await;
    app.login_as("operator").await;

    let started = app
        .import(&import_body(
            "https://registry.example.local:5000",
            "team/app",
            "1.2.3",
            "team/app",
            "1.2.3",
        ))
        .await;
    assert_eq!(started.status, 202, "{}", started.text);
    assert!(
        started.body["notices"]
            .as_array()
            .is_some_and(|n| !n.is_empty()),
        "{}",
        started.text
    );
    assert_eq!(
        app.wait_for_job(job_id(&started)).await.body["state"],
        "succeeded"
    );
    let hub = app
        .import(&import_body(
            "docker.io",
            "python",
            "3.9",
            "python",
            "3.9-copy",
        ))
        .await;
    assert_eq!(
        hub.body["job"]["request"]["externalName"], "library/python",
        "{}",
        hub.text
    );
    assert_eq!(
        app.wait_for_job(job_id(&hub)).await.body["state"],
        "succeeded"
    );

    let sent = pulls(&app);
    assert_eq!(
        sent[0].query_values("externalUrl"),
        ["registry.example.local:5000"]
    );
    assert_eq!(sent[1].query_values("externalName"), ["library/python"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc14_a_128_character_tag_is_forwarded_unchanged_and_bad_tags_get_400_naming_the_field() {
    let app = TestApp::start().await;
    app.login_as("operator").await;
    let long = "a".repeat(128);

    let job = import_and_wait(
        &app,
        &import_body("docker.io", "alpine", "3.20", "bc14/app", &long),
    )
    .await;
    assert_eq!(job.body["state"], "succeeded", "{}", job.text);
    assert_eq!(
        pulls(&app)[0].query_values("internalTag"),
        vec![long.as_str()]
    );
    let job = import_and_wait(
        &app,
        &import_body("docker.io", "alpine", "3.20", "bc14/app", "v1.2.3-rc.1_b7"),
    )
    .await;
    assert_eq!(job.body["state"], "succeeded", "{}", job.text);

    app.device().reset_counters();
    let too_long = "a".repeat(129);
    for (external_tag, internal_tag, field) in [
        ("3.20", too_long.as_str(), "internalTag"),
        ("3.20", ".hidden", "internalTag"),
        ("3.20", "-rc1", "internalTag"),
        (too_long.as_str(), "ok", "externalTag"),
        (".hidden", "ok", "externalTag"),
        ("-rc1", "ok", "externalTag"),
        ("3.20", "1.0+build5", "internalTag"),
    ] {
        let refused = app
            .import(&import_body(
                "docker.io",
                "alpine",
                external_tag,
                "bc14/app",
                internal_tag,
            ))
            .await;
        assert_eq!(
            refused.status, 400,
            "{external_tag} -> {internal_tag}: {}",
            refused.text
        );
        assert_eq!(refused.field(), field, "{}", refused.text);
    }
    for (external_tag, internal_tag) in [("", "ok"), ("3.20", "")] {
        let reply = app
            .import(&import_body(
                "docker.io",
                "alpine",
                external_tag,
                "bc14/app",
                internal_tag,
            ))
            .await;
        if reply.status != 400 {
            let job = app.wait_for_job(job_id(&reply)).await;
            let sent = pulls(&app);
            let last = sent.last().expect("a pull was sent");
            assert_eq!(
                last.query_values("externalTag")
                    .first()
                    .copied()
                    .unwrap_or(""),
                if external_tag.is_empty() {
                    "latest"
                } else {
                    external_tag
                },
                "{}",
                job.text
            );
            assert!(
                last.query_values("internalTag")
                    .iter()
                    .all(|t| !t.is_empty())
            );
        }
    }
    assert!(
        pulls(&app)
            .iter()
            .all(|p| p.query.iter().all(|(_, v)| !v.is_empty())),
        "never an empty value to the device"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc12_a_smuggled_plus_in_a_tag_gets_400_without_a_device_call() {
    let app = TestApp::start().await;
    app.login_as("operator").await;
    app.device().reset_counters();

    let refused = app
        .import(&import_body(
            "docker.io",
            "python",
            "3.9",
            "python",
            "1.0+build5",
        ))
        .await;

    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(refused.field(), "internalTag");
    assert_eq!(app.device().counters().requests, 0);
}
