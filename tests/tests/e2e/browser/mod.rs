//! The web app in real headless Chromium (issue 5): every screen a person uses, against an
//! in-process panel serving the built `dist/` and its simulated device. Each test has its own
//! panel, device and browser (fresh profile); at most two browsers run at once. A failing test
//! leaves a screenshot in `tests/artifacts/<test>.png`, and every test fails on a
//! Content-Security-Policy violation, an uncaught error or a panic in the page (see
//! `lem_panel_tests::browser`). `LEM_SKIP_BROWSER=1` skips them for quick local runs.

mod a11y;
mod admin;
mod cases;
mod console;
mod deletes;
mod imports;
mod list;
mod screens;
mod session;

use lem_panel_tests::browser::{self, Browser, Outcome, Window};
use lem_panel_tests::{TestApp, TestAppOptions};

/// The name of the test function this is used in (for its screenshot's file name).
macro_rules! test_name {
    () => {{
        fn here() {}
        std::any::type_name_of_val(&here)
            .split("::")
            .filter(|part| *part != "here" && *part != "{{closure}}")
            .last()
            .unwrap_or("browser_test")
    }};
}
pub(crate) use test_name;

/// Starts a test app serving the built web app from `dist/` (the options' config tweak is
/// used for that), or `None` when browser tests are skipped (`LEM_SKIP_BROWSER=1`).
pub async fn app(options: TestAppOptions) -> Option<TestApp> {
    let dist = browser::web_app_dir()?;
    Some(
        options
            .config(move |c| c.web_dir = Some(dist.clone()))
            .start()
            .await,
    )
}

/// Runs a browser test body against `app` (see [`browser::run`]). Browsers keep both cores
/// busy, so this holds the shared side of the timing lock: never during a timing-sensitive test.
pub async fn run<F>(test: &str, app: &TestApp, window: Window, body: F)
where
    F: AsyncFnOnce(&Browser) -> Outcome,
{
    let _cpu = crate::cpu_heavy().await;
    browser::run(test, &app.panel_url(), window, body).await;
}

/// [`run`] for a test that measures time: no CPU-heavy test (other browsers included) runs
/// meanwhile.
pub async fn run_timed<F>(test: &str, app: &TestApp, window: Window, body: F)
where
    F: AsyncFnOnce(&Browser) -> Outcome,
{
    let _exclusive = crate::timing_sensitive().await;
    browser::run(test, &app.panel_url(), window, body).await;
}

/// The `data-ref` (`name:tag`) of every image row on the page, in order.
pub async fn row_refs(b: &Browser) -> Result<Vec<String>, browser::Failure> {
    b.attrs(&browser::tid("image-row"), "data-ref").await
}

/// The selector of the image row `name:tag`.
pub fn row_sel(reference: &str) -> String {
    format!("[data-testid=\"image-row\"][data-ref=\"{reference}\"]")
}

/// (name, digest) of every delete request the device received, oldest first.
pub fn device_deletes(app: &TestApp) -> Vec<(String, String)> {
    app.device()
        .requests()
        .into_iter()
        .filter(|r| r.op == Some(lem_sim::Op::Delete))
        .map(|r| {
            (
                r.query_values("name").join(","),
                r.query_values("digest").join(","),
            )
        })
        .collect()
}

/// Opens the delete dialog of the row `reference`, types the confirmation and confirms.
pub async fn delete_row(b: &Browser, reference: &str) -> Outcome {
    b.click(&format!(
        "{} {}",
        row_sel(reference),
        browser::tid("row-delete")
    ))
    .await?;
    b.fill(&browser::tid("delete-confirm-input"), reference)
        .await?;
    b.click(&browser::tid("delete-confirm")).await
}

/// Closes the delete dialog with its close button.
pub async fn close_delete_dialog(b: &Browser) -> Outcome {
    b.click(&format!(
        "{} button[aria-label=\"Close\"]",
        browser::tid("delete-dialog")
    ))
    .await
}
