//! Logging in and out, the base path, roles (BC-23), device problems in the banner and deep
//! links that survive a reload.

use std::time::{Duration, Instant};

use lem_panel_tests::browser::{Window, fail, tid};
use lem_panel_tests::{TestApp, import_body, short_timeouts};
use lem_sim::Op;
use serde_json::json;

use super::{app, row_refs, run, test_name};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_in_shows_the_images_and_logging_out_lands_on_the_login_page() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        // Without a session the app sends the visitor to the login page.
        b.goto("").await?;
        b.wait_for_path("/login").await?;
        b.wait_for(&tid("login-username")).await?;

        b.fill(&tid("login-username"), "admin").await?;
        b.fill(&tid("login-password"), "not-the-password-123")
            .await?;
        b.click(&tid("login-submit")).await?;
        b.wait_for_text(&tid("error-message"), "user name or password is not right")
            .await?;
        assert_eq!(b.path().await?, "/login", "a failed login stays put");

        b.fill(&tid("login-password"), &TestApp::password("admin"))
            .await?;
        b.click(&tid("login-submit")).await?;
        b.wait_for_path("/images").await?;
        b.wait_count(&tid("image-row"), lem_panel_tests::FIXTURE_ROWS)
            .await?;
        assert!(b.text(".user-menu").await?.contains("admin"));

        b.click(&tid("logout")).await?;
        b.wait_for_path("/login").await?;
        b.wait_for(&tid("login-username")).await?;
        let (status, _) = b.fetch("GET", "api/v1/session", None).await?;
        assert_eq!(status, 401, "the session ended on the server");
        // The images page now sends the visitor back to the login page.
        b.goto("images").await?;
        b.wait_for_path("/login").await?;
        b.wait_for(&tid("login-username")).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_base_path_registry_every_request_stays_under_it_and_logout_lands_on_registry_login()
 {
    let Some(app) = app(TestApp::builder().base_path("/registry")).await else {
        return;
    };
    let base = app.panel_url();
    assert!(base.ends_with("/registry/"), "{base}");
    let base_for_test = base.clone();
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        let base = base_for_test;
        let mut seen = Vec::new();

        b.goto("").await?;
        b.wait_for_path("/registry/login").await?;
        b.wait_for(&tid("login-username")).await?;
        seen.extend(b.requested_urls().await?);

        b.fill(&tid("login-username"), "admin").await?;
        b.fill(&tid("login-password"), &TestApp::password("admin"))
            .await?;
        b.click(&tid("login-submit")).await?;
        b.wait_for_path("/registry/images").await?;
        b.wait_count(&tid("image-row"), lem_panel_tests::FIXTURE_ROWS)
            .await?;
        // Links inside the app keep the base path too.
        let nav = b.attrs(".mainnav a", "href").await?;
        assert!(
            nav.iter().all(|href| href.starts_with("/registry/")),
            "{nav:?}"
        );
        b.click(&tid("nav-jobs")).await?;
        b.wait_for_path("/registry/jobs").await?;
        b.click(&tid("nav-status")).await?;
        b.wait_for_path("/registry/status").await?;
        b.wait_for(&tid("status-panel")).await?;
        seen.extend(b.requested_urls().await?);

        // A full load of a deep page under the base path.
        b.goto("images/alpine:3.19").await?;
        b.wait_for_text(&tid("detail-tag"), "3.19").await?;
        b.wait_for(&tid("detail-digest")).await?;
        seen.extend(b.requested_urls().await?);

        b.click(&tid("logout")).await?;
        b.wait_for_path("/registry/login").await?;
        b.wait_for(&tid("login-username")).await?;
        seen.extend(b.requested_urls().await?);

        assert!(
            seen.iter()
                .any(|u| u.starts_with(&format!("{base}api/v1/devices/edge-1/images"))),
            "the image list came through the API under the base path: {seen:#?}"
        );
        assert!(
            seen.iter().any(|u| u.ends_with(".wasm")),
            "the web app's files are in the list: {seen:#?}"
        );
        let outside: Vec<&String> = seen.iter().filter(|u| !u.starts_with(&base)).collect();
        assert!(outside.is_empty(), "requests outside {base}: {outside:#?}");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc23_a_viewer_sees_no_import_or_delete_controls_and_the_server_refuses_them_anyway() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("viewer").await?;
        b.wait_count(&tid("image-row"), lem_panel_tests::FIXTURE_ROWS)
            .await?;
        for hidden in [
            "nav-import",
            "nav-users",
            "nav-audit",
            "row-delete",
            "row-select",
            "bulk-delete",
        ] {
            assert!(!b.exists(&tid(hidden)).await?, "a viewer sees {hidden}");
        }
        assert!(b.exists(&tid("nav-jobs")).await?);
        assert!(b.text(".role-badge").await?.to_lowercase().contains("viewer"));

        // The tag detail offers no delete either, and the import page says why there is no form.
        b.goto("images/alpine:3.19").await?;
        b.wait_for(&tid("detail-digest")).await?;
        assert!(!b.exists(&tid("row-delete")).await?);
        b.goto("import").await?;
        b.wait_for_text(&tid("error-message"), "not allowed for your role")
            .await?;
        assert!(!b.exists(&tid("import-form")).await?);

        // The server refuses the same requests made with the viewer's session.
        let (deleting, body) = b
            .fetch(
                "POST",
                "api/v1/devices/edge-1/deletions",
                Some(json!({
                    "name": "alpine",
                    "digest": "sha256:6bd2275da52e3a69ffbe28739e65cdb0ac1167f9a8d9d16e129ab83f0a189c19",
                    "expectedTags": ["3.19", "latest"],
                })),
            )
            .await?;
        assert_eq!(deleting, 403, "{body}");
        assert_eq!(body["error"]["code"], "forbidden", "{body}");
        let (importing, body) = b
            .fetch(
                "POST",
                "api/v1/devices/edge-1/imports",
                Some(import_body(
                    "docker.io",
                    "library/alpine",
                    "3.20",
                    "alpine",
                    "3.20",
                )),
            )
            .await?;
        assert_eq!(importing, 403, "{body}");
        assert_eq!(body["error"]["code"], "forbidden", "{body}");
        assert_eq!(app.device().calls(Op::Delete), 0);
        assert_eq!(app.device().calls(Op::Pull), 0);
        let (session, _) = b.fetch("GET", "api/v1/session", None).await?;
        assert_eq!(session, 200, "the viewer stays logged in");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc23_a_device_rejecting_the_panels_token_shows_a_banner_about_the_token_without_a_redirect_loop()
 {
    let Some(app) = app(TestApp::builder().sim_token("LEMTOKEN-rotated-on-the-device")).await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_for_path("/images").await?;
        let banner = b
            .wait_for_text(&tid("device-banner"), "rejected the panel's API token")
            .await?;
        assert!(banner.contains("update the device's token"), "{banner}");

        // A fresh load of the page: the app settles on the same address with the banner,
        // having changed the address at most once, and never for the login page.
        b.reload().await?;
        b.wait_for_text(&tid("device-banner"), "rejected the panel's API token")
            .await?;
        b.wait_for(&tid("error-message")).await?;
        let settled = Instant::now();
        while settled.elapsed() < Duration::from_secs(1) {
            let path = b.path().await?;
            if path != "/images" {
                return Err(fail(format!("the address moved to {path}")));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let changes = b.history_changes().await?;
        assert!(changes.len() <= 1, "address changes: {changes:?}");
        assert!(changes.iter().all(|c| !c.contains("login")), "{changes:?}");
        assert!(!b.exists(&tid("login-username")).await?);
        let (session, _) = b.fetch("GET", "api/v1/session", None).await?;
        assert_eq!(session, 200, "the browser session is untouched");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_device_shows_a_banner_sentence_naming_its_host_and_port() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = closed.local_addr().expect("its address").port();
    drop(closed);
    let Some(app) = app(TestApp::builder()
        .device_url(format!("https://127.0.0.1:{port}"))
        .device_timeouts(short_timeouts(5)))
    .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        let banner = b
            .wait_for_text(&tid("device-banner"), &format!("127.0.0.1:{port}"))
            .await?;
        assert!(banner.contains("Could not connect"), "{banner}");
        b.wait_for(&tid("error-message")).await?;
        assert!(!b.exists(&tid("empty-state")).await?);
        assert!(!b.exists(&tid("images-table")).await?);
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_deep_link_opens_after_login_and_survives_a_reload() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        let repository = "acme/plant-a/opcua-gateway";
        let expected = [
            "acme/plant-a/opcua-gateway:1.5.0-rc.1",
            "acme/plant-a/opcua-gateway:1.4.2",
        ];
        // Opened before logging in: the login page brings the visitor back to it.
        b.goto(&format!("images/{repository}")).await?;
        b.wait_for_path("/login").await?;
        b.fill(&tid("login-username"), "admin").await?;
        b.fill(&tid("login-password"), &TestApp::password("admin"))
            .await?;
        b.click(&tid("login-submit")).await?;
        b.wait_for_path(&format!("/images/{repository}")).await?;
        b.wait_count(&tid("image-row"), 2).await?;
        assert_eq!(row_refs(b).await?, expected);

        // Opened directly while logged in, then reloaded.
        b.goto(&format!("images/{repository}")).await?;
        b.wait_count(&tid("image-row"), 2).await?;
        b.reload().await?;
        b.wait_for_text("h1", &format!("Repository {repository}"))
            .await?;
        b.wait_count(&tid("image-row"), 2).await?;
        assert_eq!(row_refs(b).await?, expected);
        assert_eq!(b.path().await?, format!("/images/{repository}"));
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_token_made_on_the_account_page_works_for_scripts_until_it_is_revoked() {
    let Some(dist) = lem_panel_tests::browser::web_app_dir() else {
        return;
    };
    let app = TestApp::builder()
        .config(move |c| {
            c.web_dir = Some(dist.clone());
            c.api_tokens.enabled = true;
        })
        .start()
        .await;
    let script = app.new_client();
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("operator").await?;
        b.goto("account").await?;
        b.wait_for(&tid("api-tokens")).await?;
        b.fill(&tid("api-token-name"), "nightly sync").await?;
        b.click(&tid("api-token-create")).await?;
        let secret = b.wait_for_text(&tid("api-token-secret"), "lemp_").await?;
        b.wait_count(&tid("api-token-row"), 1).await?;
        let bearer = format!("Bearer {}", secret.trim());
        let headers = [("authorization", bearer.as_str())];
        let ok = script
            .request_from_root(http::Method::GET, "/api/v1/devices", None, &headers)
            .await;
        if ok.status != 200 {
            return Err(fail(format!("the new token was refused: {}", ok.text)));
        }
        b.click("[data-testid=api-token-row] button").await?;
        b.wait_count(&tid("api-token-row"), 0).await?;
        let refused = script
            .request_from_root(http::Method::GET, "/api/v1/devices", None, &headers)
            .await;
        if refused.status != 401 {
            return Err(fail(format!(
                "a revoked token still works: {}",
                refused.status
            )));
        }
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_api_tokens_turned_off_the_account_page_shows_no_token_section() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("viewer").await?;
        b.goto("account").await?;
        b.wait_for(&tid("password-form")).await?;
        // The section is decided by the answer to session/tokens: wait until it has arrived.
        b.wait_until(
            "the token list request to finish",
            "return performance.getEntriesByType('resource').some(e => e.name.endsWith('/session/tokens') && e.responseEnd > 0);",
            vec![],
        )
        .await?;
        if b.exists(&tid("api-tokens")).await? {
            return Err(fail("the token section is shown although tokens are off"));
        }
        Ok(())
    })
    .await;
}
