//! The console check itself: a page that breaks the Content-Security-Policy or throws is seen.

use std::time::Instant;

use lem_panel_tests::TestApp;
use lem_panel_tests::browser::{WAIT, Window, fail, tid};
use serde_json::Value;

use super::{app, run, test_name};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_check_sees_a_csp_violation_and_an_uncaught_error_the_page_causes() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.goto("login").await?;
        b.wait_for(&tid("login-username")).await?;
        assert!(b.problems().await?.is_empty(), "a clean page to start with");

        b.js(
            "const s = document.createElement('script');
             s.textContent = 'window.__inlineRan = true';
             document.body.appendChild(s);
             setTimeout(() => { throw new Error('lem-test uncaught'); }, 0);",
            vec![],
        )
        .await?;
        let started = Instant::now();
        let problems = loop {
            let problems = b.problems().await?;
            let csp = problems
                .iter()
                .any(|p| p.contains("Content Security Policy"));
            let listener = problems
                .iter()
                .any(|p| p.starts_with("securitypolicyviolation: script-src"));
            let thrown = problems.iter().any(|p| p.contains("lem-test uncaught"));
            if csp && listener && thrown {
                break problems;
            }
            if started.elapsed() > WAIT {
                return Err(fail(format!("not all seen: {problems:#?}")));
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert_eq!(
            b.js("return window.__inlineRan === true", vec![]).await?,
            Value::Bool(false),
            "the inline script was blocked: {problems:#?}"
        );
        // Expected here: do not fail the test for them.
        b.forget_problems().await?;
        Ok(())
    })
    .await;
}
