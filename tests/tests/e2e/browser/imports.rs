//! Importing from an external registry: a job that succeeds, one that fails with the device's
//! reason, the warning before overwriting a tag, and a pasted reference that stops parsing.

use fantoccini::key::Key;
use lem_panel_tests::TestApp;
use lem_panel_tests::browser::{Window, tid};
use lem_sim::Op;

use super::{app, row_sel, run, test_name};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_shows_its_job_live_until_it_succeeded_and_the_image_is_listed() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("operator").await?;
        b.click(&tid("nav-import")).await?;
        b.wait_for(&tid("import-form")).await?;
        b.fill(&tid("import-reference"), "docker.io/library/alpine:3.20")
            .await?;
        b.wait_until(
            "the fields filled in from the reference",
            "return document.querySelector('[data-testid=\"import-internal-tag\"]').value === '3.20'",
            vec![],
        )
        .await?;
        assert_eq!(b.value(&tid("import-registry")).await?, "docker.io");
        assert_eq!(b.value(&tid("import-name")).await?, "library/alpine");
        assert_eq!(b.value(&tid("import-tag")).await?, "3.20");
        assert_eq!(b.value(&tid("import-internal-name")).await?, "alpine");
        assert!(!b.exists(&tid("overwrite-warning")).await?);

        b.click(&tid("import-submit")).await?;
        b.wait_for(&format!("{}[data-state=\"succeeded\"]", tid("job-row")))
            .await?;
        let job = b.text(&tid("job-row")).await?;
        assert!(job.contains("Digest 88e8b2ad6c94"), "{job}");
        assert_eq!(app.device().calls(Op::Pull), 1);

        // The job page and the list show it too.
        b.click(&tid("nav-jobs")).await?;
        b.wait_for(&format!(
            "{} {}[data-state=\"succeeded\"]",
            tid("jobs-table"),
            tid("job-row")
        ))
        .await?;
        b.click(&tid("nav-images")).await?;
        b.wait_for(&row_sel("alpine:3.20")).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_of_an_unknown_source_image_fails_and_shows_the_devices_message() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.goto("import").await?;
        b.fill(&tid("import-reference"), "docker.io/library/no-such-image:1.0")
            .await?;
        b.wait_until(
            "the fields filled in from the reference",
            "return document.querySelector('[data-testid=\"import-internal-name\"]').value === 'no-such-image'",
            vec![],
        )
        .await?;
        b.click(&tid("import-submit")).await?;
        b.wait_for(&format!("{}[data-state=\"failed\"]", tid("job-row")))
            .await?;
        let reason = b.text(".job-error").await?;
        assert!(
            reason.contains("manifest unknown") && reason.contains("no-such-image"),
            "the device's message: {reason}"
        );
        assert_eq!(app.device().calls(Op::Pull), 1);

        b.click(&tid("nav-jobs")).await?;
        b.wait_for(&format!(
            "{} {}[data-state=\"failed\"]",
            tid("jobs-table"),
            tid("job-row")
        ))
        .await?;
        let listed = b.text(&format!("{} .job-error", tid("jobs-table"))).await?;
        assert!(listed.contains("manifest unknown"), "{listed}");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_onto_an_existing_tag_warns_with_its_current_digest_before_submitting() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_for(&tid("image-row")).await?;
        b.click(&tid("nav-import")).await?;
        b.wait_for(&tid("import-form")).await?;
        // Typed field by field: python:3.9 is already in the device.
        b.fill(&tid("import-registry"), "docker.io").await?;
        b.fill(&tid("import-name"), "python").await?;
        b.fill(&tid("import-tag"), "3.9").await?;
        let warning = b
            .wait_for_text(&tid("overwrite-warning"), "python:3.9 already exists")
            .await?;
        assert!(warning.contains("digest ddf3e328f784"), "{warning}");
        assert!(warning.contains("overwrites"), "{warning}");
        assert_eq!(
            app.device().calls(Op::Pull),
            0,
            "warned before anything was sent"
        );

        // Another target tag: no warning.
        b.fill(&tid("import-internal-tag"), "3.9-copy").await?;
        b.wait_gone(&tid("overwrite-warning")).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_reference_that_stops_parsing_clears_its_fields_and_imports_nothing() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("operator").await?;
        b.goto("import").await?;
        b.fill(&tid("import-reference"), "python:3.12").await?;
        b.wait_until(
            "the fields filled in from the reference",
            "return document.querySelector('[data-testid=\"import-name\"]').value === 'library/python'",
            vec![],
        )
        .await?;
        // Replaced key by key (as `fill` types): prefixes such as `ghcr.io` parse, the whole
        // text does not (uppercase).
        b.fill(&tid("import-reference"), "ghcr.io/Foo/Bar:1").await?;
        b.wait_for_text("#import-reference-note .field-error", "lowercase")
            .await?;
        assert_eq!(b.value(&tid("import-reference")).await?, "ghcr.io/Foo/Bar:1");
        let name = b.value(&tid("import-name")).await?;
        assert!(
            !name.contains("python") && !name.contains("ghcr.io"),
            "no other image's name is left: {name:?}"
        );
        assert_eq!(b.value(&tid("import-internal-name")).await?, "");
        assert!(b.exists(&format!("{}:disabled", tid("import-submit"))).await?);
        assert!(b.exists(&tid("import-blocked")).await?);

        // Neither the (disabled) button nor Enter in the form sends anything.
        let enter = char::from(Key::Enter).to_string();
        b.click(&tid("import-submit")).await?;
        b.click(&tid("import-tag")).await?;
        b.press(&enter).await?;
        b.click(&tid("import-reference")).await?;
        b.press(&enter).await?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(!b.exists(&tid("job-row")).await?);
        assert_eq!(app.device().calls(Op::Pull), 0, "no import was started");

        // A digest-pinned reference is refused too, with nginx:latest nowhere.
        b.fill(&tid("import-reference"), "nginx@sha256:0123abcd").await?;
        b.wait_for_text("#import-reference-note .field-error", "by tag only")
            .await?;
        assert_eq!(b.value(&tid("import-name")).await?, "");
        assert!(b.exists(&format!("{}:disabled", tid("import-submit"))).await?);

        // A valid reference again: the fields follow it and Import works.
        b.fill(&tid("import-reference"), "docker.io/library/alpine:3.20")
            .await?;
        b.wait_until(
            "the fields filled in from the reference",
            "return document.querySelector('[data-testid=\"import-internal-tag\"]').value === '3.20'",
            vec![],
        )
        .await?;
        assert!(!b.exists(&tid("import-blocked")).await?);
        b.click(&tid("import-submit")).await?;
        b.wait_for(&format!("{}[data-state=\"succeeded\"]", tid("job-row")))
            .await?;
        assert_eq!(app.device().calls(Op::Pull), 1);
        Ok(())
    })
    .await;
}
