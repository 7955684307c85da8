//! The failure cases' user-visible halves that the list, delete and session files do not
//! cover: an HTML sign-in page answered with 200 (BC-06 b), a `null` list (BC-19 b), a device
//! refusing the operation with 403 (BC-23 d), deleting a sha512 row (BC-15 a) and one instant
//! shown alike by the list and the detail page (BC-17), and a multi-select delete de-duplicated
//! by digest.

use lem_panel_tests::browser::{Window, tid};
use lem_panel_tests::{D1, D512, Fault, FaultKind, TestApp, row};
use lem_sim::Op;

use super::{
    app, close_delete_dialog, delete_row, device_deletes, row_refs, row_sel, run, test_name,
};

/// A device answer of `status` with `content_type` and `body`, every time.
fn raw(status: u16, content_type: &str, body: &str) -> Fault {
    Fault::always(FaultKind::Raw {
        status,
        content_type: Some(content_type.to_owned()),
        body: body.as_bytes().to_vec().into(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc06_a_sign_in_page_answered_with_200_reads_as_an_html_page_never_as_an_empty_registry() {
    let page = "<!DOCTYPE html><html><body>Please sign in</body></html>";
    let Some(app) =
        app(TestApp::builder().sim(move |sim| sim.fault(Op::List, raw(200, "text/html", page))))
            .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("viewer").await?;
        let message = b
            .wait_for_text(&tid("error-message"), "returned an HTML page")
            .await?;
        assert!(message.contains("(HTTP 200"), "{message}");
        b.wait_gone(".loading").await?;
        assert!(
            !b.exists(&tid("empty-state")).await?,
            "never the empty state"
        );
        assert!(!b.exists(&tid("images-table")).await?);
        let html = b.page_text().await?;
        assert!(
            !html.contains("Please sign in"),
            "the device's page leaked: {html}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc19_a_null_list_from_the_device_shows_the_empty_state_not_an_error() {
    let Some(app) = app(
        TestApp::builder().sim(|sim| sim.fault(Op::List, raw(200, "application/json", "null")))
    )
    .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("viewer").await?;
        b.wait_for_text(&tid("empty-state"), "No images in the device registry")
            .await?;
        b.wait_gone(".loading").await?;
        assert!(!b.exists(&tid("error-message")).await?);
        assert!(!b.exists(&tid("device-banner")).await?);
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc23_a_device_refusing_a_delete_with_403_says_the_token_lacks_permission_and_stays_put() {
    let refusal = r#"{"code":"E","message":"forbidden","messageDetails":null}"#;
    let Some(app) = app(TestApp::builder()
        .rows(vec![row("line1/hmi", "1.4.0", D1)])
        .sim(move |sim| sim.fault(Op::Delete, raw(403, "application/json", refusal))))
    .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), 1).await?;
        delete_row(b, "line1/hmi:1.4.0").await?;
        let said = b
            .wait_for_text(&tid("delete-dialog"), "token lacks permission")
            .await?;
        assert!(!said.contains("Removed"), "no success: {said}");
        assert_eq!(b.path().await?, "/images", "no redirect");
        assert!(!b.exists(&tid("login-username")).await?);
        let history = b.history_changes().await?;
        assert!(history.iter().all(|c| !c.contains("login")), "{history:?}");
        let (session, _) = b.fetch("GET", "api/v1/session", None).await?;
        assert_eq!(session, 200, "the browser session is untouched");
        assert_eq!(app.device().calls(Op::Delete), 1, "one attempt, no retry");
        close_delete_dialog(b).await?;
        b.wait_count(&tid("image-row"), 1).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc15_deleting_a_sha512_row_in_the_browser_sends_its_digest_unchanged() {
    let Some(app) = app(TestApp::builder().rows(vec![
        row("line1/hmi", "2.0.0", D512),
        row("line1/hmi", "1.4.0", D1),
    ]))
    .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), 2).await?;
        delete_row(b, "line1/hmi:2.0.0").await?;
        b.wait_for_text(&tid("delete-result"), "Removed").await?;
        close_delete_dialog(b).await?;
        b.wait_count(&tid("image-row"), 1).await?;
        assert_eq!(row_refs(b).await?, ["line1/hmi:1.4.0"]);
        let deletes = device_deletes(&app);
        assert_eq!(deletes, [("line1/hmi".to_owned(), D512.to_owned())]);
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc17_the_list_and_the_detail_page_show_the_same_instant_and_the_same_age() {
    let Some(app) = app(TestApp::builder().rows(vec![row("line1/hmi", "1.4.0", D1)])).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        let shown = async |css: String| -> Result<(String, String, String), _> {
            let time = format!("{css} time");
            Ok::<_, lem_panel_tests::browser::Failure>((
                b.text(&time).await?,
                b.attrs(&time, "title").await?.join(","),
                b.text(&format!("{css} .age")).await?,
            ))
        };
        b.login("viewer").await?;
        b.wait_count(&tid("image-row"), 1).await?;
        let in_list = shown(format!("{} .date-cell", row_sel("line1/hmi:1.4.0"))).await?;
        b.goto("images/line1/hmi:1.4.0").await?;
        b.wait_for(&tid("detail-digest")).await?;
        let on_detail = shown(format!("{} .facts", tid("tag-detail"))).await?;
        assert_eq!(in_list, on_detail, "list and detail agree");
        assert_eq!(in_list.1, "2023-11-14 22:13:20 UTC");
        assert!(in_list.0.starts_with("2023-11-14 2"), "{in_list:?}");
        // The age in whole 365-day years, as the web app counts them.
        let years = b
            .js(
                "return Math.floor((Date.now() - 1700000000000) / 31536000000)",
                vec![],
            )
            .await?;
        let years = years.as_i64().unwrap_or_default();
        assert!(
            in_list.2.contains(&format!("{years} year")),
            "age {:?} for {years} years",
            in_list.2
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_select_delete_of_two_tags_sharing_a_digest_sends_that_digest_once() {
    let Some(app) = app(TestApp::builder().rows(vec![
        row("line1/hmi", "1.4.0", D1),
        row("line1/hmi", "latest", D1),
        row("line1/hmi", "1.3.9", lem_panel_tests::D2),
        row("line2/hmi", "1.4.0", D1),
    ]))
    .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), 4).await?;
        for reference in ["line1/hmi:1.4.0", "line1/hmi:latest", "line1/hmi:1.3.9"] {
            b.click(&format!("{} {}", row_sel(reference), tid("row-select")))
                .await?;
        }
        b.wait_for_text(".bulk-bar", "3 selected").await?;
        b.click(&tid("bulk-delete")).await?;
        b.wait_for(&tid("delete-preview")).await?;
        let mut preview = b
            .attrs(&format!("{} li", tid("delete-preview")), "data-ref")
            .await?;
        preview.sort();
        assert_eq!(
            preview,
            ["line1/hmi:1.3.9", "line1/hmi:1.4.0", "line1/hmi:latest"],
            "each tag that goes, once; line2/hmi keeps its copy"
        );
        // Two digests, so two deletes to confirm.
        assert_eq!(b.text(".confirm-phrase").await?, "delete 2");
        b.fill(&tid("delete-confirm-input"), "delete 2").await?;
        b.click(&tid("delete-confirm")).await?;
        b.wait_count(&format!("{} li.result", tid("delete-result")), 2)
            .await?;
        let mut sent = device_deletes(&app);
        sent.sort();
        assert_eq!(
            sent,
            [
                ("line1/hmi".to_owned(), lem_panel_tests::D2.to_owned()),
                ("line1/hmi".to_owned(), D1.to_owned()),
            ],
            "one delete per digest"
        );
        close_delete_dialog(b).await?;
        b.wait_count(&tid("image-row"), 1).await?;
        assert_eq!(row_refs(b).await?, ["line2/hmi:1.4.0"]);
        Ok(())
    })
    .await;
}
