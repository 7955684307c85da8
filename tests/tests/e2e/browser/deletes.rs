//! Deleting in the browser: a digest shared by two tags (BC-01), several rows at once, tags
//! with dots (BC-10) and duplicate rows (BC-19). The device must receive exactly the deletes
//! the dialog promised.

use lem_panel_tests::browser::{Browser, Failure, Window, tid};
use lem_panel_tests::{D1, D2, Fault, FaultKind, TestApp, row, row_with};
use lem_sim::Op;
use serde_json::{Value, json};

use super::{app, close_delete_dialog, device_deletes, row_refs, row_sel, run, test_name};

/// BC-01's device list.
fn bc01_rows() -> Vec<Value> {
    vec![
        row_with("line1/hmi", "1.4.0", D1, 1_700_000_000_000, 52_428_800),
        row_with("line1/hmi", "latest", D1, 1_700_000_000_000, 52_428_800),
        row_with("line1/hmi", "1.3.9", D2, 1_690_000_000_000, 51_380_224),
        row_with("line2/hmi", "1.4.0", D1, 1_700_000_000_000, 52_428_800),
    ]
}

/// The `data-ref` of every entry of the delete dialog's preview, sorted.
async fn preview(b: &Browser) -> Result<Vec<String>, Failure> {
    let mut refs = b
        .attrs(&format!("{} li", tid("delete-preview")), "data-ref")
        .await?;
    refs.sort();
    Ok(refs)
}

/// Whether the confirm button is enabled.
async fn can_confirm(b: &Browser) -> Result<bool, Failure> {
    let disabled = b
        .js(
            "return document.querySelector('[data-testid=\"delete-confirm\"]').disabled",
            vec![],
        )
        .await?;
    Ok(disabled == json!(false))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc01_deleting_a_digest_shared_by_two_tags_lists_both_and_sends_one_delete_by_name_and_digest()
 {
    let Some(app) = app(TestApp::builder().rows(bc01_rows())).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), 4).await?;
        b.click(&format!(
            "{} {}",
            row_sel("line1/hmi:1.4.0"),
            tid("row-delete")
        ))
        .await?;
        b.wait_for(&tid("delete-preview")).await?;
        assert_eq!(
            preview(b).await?,
            ["line1/hmi:1.4.0", "line1/hmi:latest"],
            "exactly the tags of line1/hmi sharing D1"
        );
        assert!(!can_confirm(b).await?, "nothing typed yet");
        b.fill(&tid("delete-confirm-input"), "line1/hmi").await?;
        assert!(!can_confirm(b).await?, "a partial confirmation");
        b.fill(&tid("delete-confirm-input"), "line1/hmi:1.4.0")
            .await?;
        b.wait_until(
            "the confirm button to enable",
            "return !document.querySelector('[data-testid=\"delete-confirm\"]').disabled",
            vec![],
        )
        .await?;
        b.click(&tid("delete-confirm")).await?;
        let result = b.wait_for_text(&tid("delete-result"), "Removed").await?;
        assert!(
            result.contains("line1/hmi:1.4.0") && result.contains("line1/hmi:latest"),
            "{result}"
        );
        assert_eq!(
            b.attrs(&format!("{} li", tid("delete-result")), "data-outcome")
                .await?,
            ["ok"]
        );
        close_delete_dialog(b).await?;
        b.wait_count(&tid("image-row"), 2).await?;
        let mut left = row_refs(b).await?;
        left.sort();
        assert_eq!(left, ["line1/hmi:1.3.9", "line2/hmi:1.4.0"]);
        assert_eq!(
            device_deletes(&app),
            [("line1/hmi".to_owned(), D1.to_owned())]
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_two_selected_rows_of_different_digests_reports_each_outcome() {
    // The first delete the device receives fails (a proxy's 503): one failure, one success.
    let Some(app) = app(TestApp::builder()
        .rows(bc01_rows())
        .sim(|sim| sim.fault(Op::Delete, Fault::once(FaultKind::Status(503)))))
    .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), 4).await?;
        for reference in ["line1/hmi:1.3.9", "line2/hmi:1.4.0"] {
            b.click(&format!("{} {}", row_sel(reference), tid("row-select")))
                .await?;
        }
        b.wait_for_text(".bulk-bar", "2 selected").await?;
        b.click(&tid("bulk-delete")).await?;
        b.wait_for(&tid("delete-preview")).await?;
        assert_eq!(preview(b).await?, ["line1/hmi:1.3.9", "line2/hmi:1.4.0"]);
        assert_eq!(b.text(".confirm-phrase").await?, "delete 2");
        b.fill(&tid("delete-confirm-input"), "delete 2").await?;
        b.click(&tid("delete-confirm")).await?;
        b.wait_count(&format!("{} li.result", tid("delete-result")), 2)
            .await?;
        let mut outcomes = b
            .attrs(
                &format!("{} li.result", tid("delete-result")),
                "data-outcome",
            )
            .await?;
        outcomes.sort();
        assert_eq!(outcomes, ["error", "ok"], "each outcome on its own");
        let results = b
            .texts(&format!("{} li.result", tid("delete-result")))
            .await?;

        let sent = device_deletes(&app);
        assert_eq!(sent.len(), 2, "{sent:?}");
        let mut targets = sent.clone();
        targets.sort();
        assert_eq!(
            targets,
            [
                ("line1/hmi".to_owned(), D2.to_owned()),
                ("line2/hmi".to_owned(), D1.to_owned())
            ]
        );
        // The first request met the fault: its row is reported as not deleted and stays.
        let (failed_name, failed_digest) = &sent[0];
        let failed_short = &failed_digest["sha256:".len().."sha256:".len() + 12];
        let failed_target = format!("{failed_name}@{failed_short}");
        assert!(
            results
                .iter()
                .any(|r| r.contains(&format!("Not deleted: {failed_target}"))),
            "{results:?}"
        );
        let (ok_name, ok_digest) = &sent[1];
        let ok_short = &ok_digest["sha256:".len().."sha256:".len() + 12];
        assert!(
            results
                .iter()
                .any(|r| r.contains(&format!("Removed: {ok_name}@{ok_short}"))),
            "{results:?}"
        );

        close_delete_dialog(b).await?;
        b.wait_count(&tid("image-row"), 3).await?;
        let still = if failed_name == "line1/hmi" {
            "line1/hmi:1.3.9"
        } else {
            "line2/hmi:1.4.0"
        };
        assert!(row_refs(b).await?.iter().any(|r| r == still));
        Ok(())
    })
    .await;
}

const DIGEST_3: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const DIGEST_4: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc10_tag_routes_with_dots_open_and_reload_and_deleting_tools_cfg_index_html_sends_its_name_and_digest()
 {
    let Some(app) = app(TestApp::builder().rows(vec![
        row("myuser/php-5.5", "1.4.2", D1),
        row("myuser/php-5.5", "2.0.0-rc.1", D2),
        row("tools/cfg", "index.html", DIGEST_3),
        row("tools/cfg", "v1.json", DIGEST_4),
    ]))
    .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), 4).await?;
        for (name, tag, digest) in [
            ("tools/cfg", "index.html", DIGEST_3),
            ("myuser/php-5.5", "2.0.0-rc.1", D2),
        ] {
            b.goto(&format!("images/{name}:{tag}")).await?;
            for load in ["opened", "reloaded"] {
                if load == "reloaded" {
                    b.reload().await?;
                }
                b.wait_for_text(&tid("detail-digest"), digest).await?;
                assert_eq!(b.text(&tid("detail-name")).await?, name, "{load}");
                assert_eq!(b.text(&tid("detail-tag")).await?, tag, "{load}");
                assert_eq!(b.path().await?, format!("/images/{name}:{tag}"));
            }
        }

        // From the list, the tag's link leads to the same page.
        b.goto("images").await?;
        b.click(&format!("{} .tag-cell a", row_sel("tools/cfg:index.html")))
            .await?;
        b.wait_for_text(&tid("detail-digest"), DIGEST_3).await?;
        assert_eq!(b.path().await?, "/images/tools/cfg:index.html");

        b.click(&tid("row-delete")).await?;
        b.wait_for(&tid("delete-preview")).await?;
        assert_eq!(preview(b).await?, ["tools/cfg:index.html"]);
        b.fill(&tid("delete-confirm-input"), "tools/cfg:index.html")
            .await?;
        b.click(&tid("delete-confirm")).await?;
        b.wait_for_text(&tid("delete-result"), "Removed").await?;
        close_delete_dialog(b).await?;
        // Back to the repository, which keeps its other tag.
        b.wait_for_path("/images/tools/cfg").await?;
        b.wait_count(&tid("image-row"), 1).await?;
        assert_eq!(row_refs(b).await?, ["tools/cfg:v1.json"]);
        assert_eq!(
            device_deletes(&app),
            [("tools/cfg".to_owned(), DIGEST_3.to_owned())]
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc19_after_deleting_d2_in_the_browser_the_remaining_row_keeps_d1() {
    let identical = row("line1/hmi", "1.4.0", D1);
    let Some(app) = app(TestApp::builder().rows(vec![
        identical.clone(),
        identical,
        row("line1/hmi", "1.4.0", D2),
    ]))
    .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), 2).await?;
        let digests = b
            .attrs(&format!("{} .digest-cell code", tid("image-row")), "title")
            .await?;
        let position = digests
            .iter()
            .position(|d| d == D2)
            .ok_or_else(|| lem_panel_tests::browser::fail(format!("no D2 row: {digests:?}")))?;
        b.click(&format!(
            "{}:nth-child({}) {}",
            tid("image-row"),
            position + 1,
            tid("row-delete")
        ))
        .await?;
        b.wait_for(&tid("delete-preview")).await?;
        assert_eq!(preview(b).await?, ["line1/hmi:1.4.0"]);
        let digest_note = b.text(&format!("{} li", tid("delete-preview"))).await?;
        assert!(digest_note.contains("1d34d73bc040"), "{digest_note}");
        b.fill(&tid("delete-confirm-input"), "line1/hmi:1.4.0")
            .await?;
        b.click(&tid("delete-confirm")).await?;
        b.wait_for_text(&tid("delete-result"), "Removed").await?;
        close_delete_dialog(b).await?;
        b.wait_count(&tid("image-row"), 1).await?;
        assert_eq!(
            b.attrs(&format!("{} .digest-cell code", tid("image-row")), "title")
                .await?,
            [D1]
        );
        assert_eq!(
            device_deletes(&app),
            [("line1/hmi".to_owned(), D2.to_owned())]
        );
        Ok(())
    })
    .await;
}
