//! The image list: rows, sorting, filtering, paging of 5,000 rows (BC-04), device answers that
//! are not a list (BC-06), digests (BC-15), dates (BC-17), the empty registry (BC-19), names
//! carrying markup, and a phone-sized screen.

use std::time::{Duration, Instant};

use lem_panel_tests::browser::{Window, artifacts_dir, tid};
use lem_panel_tests::{D1, D512, FIXTURE_ROWS, Fault, FaultKind, TestApp, row};
use lem_sim::Op;
use serde_json::{Value, json};

use super::{app, row_refs, row_sel, run, run_timed, test_name};

/// `name:tag` of device rows ordered by timestamp, newest first (`newest_first`) or oldest first.
fn by_date(rows: &[Value], newest_first: bool) -> Vec<String> {
    let mut rows: Vec<&Value> = rows.iter().collect();
    rows.sort_by_key(|r| r["timestamp"].as_i64().unwrap_or_default());
    if newest_first {
        rows.reverse();
    }
    rows.iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["name"].as_str().unwrap_or_default(),
                r["tag"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_list_shows_every_row_sorts_by_date_and_filters_by_prefix_glob_and_digest() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    let fixture = lem_sim::fixture_rows();
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), FIXTURE_ROWS).await?;
        let summary = b.text(&tid("images-summary")).await?;
        assert!(
            summary.contains("38 images in 24 repositories"),
            "{summary}"
        );

        // The README's screenshot: the realistic fixture at 1280 × 900, right after login.
        b.wait_until(
            "fonts and layout to settle",
            "return document.fonts.status === 'loaded'",
            vec![],
        )
        .await?;
        b.screenshot(&artifacts_dir().join("images.png")).await?;

        // Newest first by default; the Created header flips it, and flips it back.
        assert_eq!(row_refs(b).await?, by_date(&fixture, true));
        let header = "th:has([data-testid=\"sort-date\"])";
        assert_eq!(b.attrs(header, "aria-sort").await?, ["descending"]);
        b.click(&tid("sort-date")).await?;
        b.wait_until(
            "oldest first",
            "return document.querySelector(arguments[0]).getAttribute('aria-sort') === 'ascending'",
            vec![json!(header)],
        )
        .await?;
        assert_eq!(row_refs(b).await?, by_date(&fixture, false));
        b.click(&tid("sort-date")).await?;
        b.wait_until(
            "newest first again",
            "return document.querySelector(arguments[0]).getAttribute('aria-sort') === 'descending'",
            vec![json!(header)],
        )
        .await?;
        assert_eq!(row_refs(b).await?, by_date(&fixture, true));

        // A repository prefix, a glob and a digest prefix.
        let filter = tid("images-filter");
        b.fill(&filter, "node-red/").await?;
        b.wait_count(&tid("image-row"), 3).await?;
        assert!(
            row_refs(b).await?.iter().all(|r| r.starts_with("node-red/node-red:")),
            "{:?}",
            row_refs(b).await?
        );
        b.wait_for_text(".filter-field .field-note", "3 of 38 match")
            .await?;
        b.fill(&filter, "python:3.1*").await?;
        b.wait_count(&tid("image-row"), 2).await?;
        let mut pythons = row_refs(b).await?;
        pythons.sort();
        assert_eq!(pythons, ["python:3.11-slim", "python:3.12-slim"]);
        b.fill(&filter, "6bd2275da52e").await?;
        b.wait_count(&tid("image-row"), 2).await?;
        let mut alpine = row_refs(b).await?;
        alpine.sort();
        assert_eq!(alpine, ["alpine:3.19", "alpine:latest"]);
        b.fill(&filter, "no-such-image").await?;
        b.wait_for(&tid("no-matches")).await?;
        assert_eq!(b.count(&tid("image-row")).await?, 0);
        b.fill(&filter, "").await?;
        b.wait_count(&tid("image-row"), FIXTURE_ROWS).await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc04_five_thousand_rows_show_a_bounded_first_page_within_two_seconds_and_filter_to_line07()
{
    let rows = lem_sim::synthetic_rows(5000);
    let line07 = rows
        .iter()
        .filter(|r| {
            format!(
                "{}:{}",
                r["name"].as_str().unwrap_or(""),
                r["tag"].as_str().unwrap_or("")
            )
            .contains("line07/")
        })
        .count();
    let line07_svc = rows.iter().filter(|r| r["name"] == "line07/svc").count();
    assert_eq!((line07, line07_svc), (252, 4), "lem-sim's synthetic naming");
    let Some(app) = app(TestApp::builder().rows(rows)).await else {
        return;
    };
    // The web app's page size (`frontend::table::PAGE_SIZE`).
    const PAGE: usize = 50;
    run_timed(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), PAGE).await?;

        // A fresh load of the list: usable (rows and filter) within two seconds.
        let started = Instant::now();
        b.goto("images").await?;
        b.wait_count(&tid("image-row"), PAGE).await?;
        b.wait_for(&tid("images-filter")).await?;
        let elapsed = started.elapsed();
        eprintln!("BC-04: the first page of 5,000 rows was usable after {elapsed:?}");
        assert!(
            elapsed.as_millis() <= 2000,
            "the first page took {elapsed:?}"
        );
        let summary = b.text(&tid("images-summary")).await?;
        assert!(
            summary.contains("5000 images in 1250 repositories"),
            "{summary}"
        );
        b.wait_for_text(".pager-status", &format!("Page 1 of {}", 5000 / PAGE))
            .await?;

        b.fill(&tid("images-filter"), "line07/").await?;
        b.wait_for_text(
            ".filter-field .field-note",
            &format!("{line07} of 5000 match"),
        )
        .await?;
        b.wait_count(&tid("image-row"), PAGE).await?;
        assert!(
            row_refs(b).await?.iter().all(|r| r.starts_with("line07/")),
            "{:?}",
            row_refs(b).await?
        );
        b.click(&tid("page-next")).await?;
        b.wait_for_text(
            ".pager-status",
            &format!("Page 2 of {}", line07.div_ceil(PAGE)),
        )
        .await?;
        b.fill(&tid("images-filter"), "line07/svc:").await?;
        b.wait_count(&tid("image-row"), line07_svc).await?;
        b.wait_for_text(".filter-field .field-note", "4 of 5000 match")
            .await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc06_an_html_502_from_the_device_reads_as_a_sentence_never_raw_html_or_an_empty_registry()
{
    let page = "<html><body><h1>502 Bad Gateway</h1><p>upstream gone</p></body></html>";
    // The device's info call (the banner's status check) works, and answers after the list:
    // its success must not wipe out the list's problem (it once did, depending on which
    // answer came last).
    let Some(app) = app(TestApp::builder().sim(move |sim| {
        sim.fault(
            Op::List,
            Fault::always(FaultKind::Raw {
                status: 502,
                content_type: Some("text/html".to_owned()),
                body: page.as_bytes().to_vec().into(),
            }),
        )
        .fault(
            Op::Info,
            Fault::always(FaultKind::Latency(Duration::from_millis(400))),
        )
    }))
    .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("viewer").await?;
        let message = b
            .wait_for_text(&tid("error-message"), "returned an HTML page")
            .await?;
        assert!(message.contains("(HTTP 502"), "{message}");
        let banner = b
            .wait_for_text(&tid("device-banner"), "returned an HTML page")
            .await?;
        assert!(banner.contains("edge-1"), "{banner}");
        // The banner stays once the (slower, successful) status check has answered too.
        b.wait_until(
            "the status check to answer",
            "return performance.getEntriesByType('resource').some(e => e.name.endsWith('/devices/edge-1/registry') && e.responseEnd > 0)",
            vec![],
        )
        .await?;
        let answered = Instant::now();
        while answered.elapsed() < Duration::from_millis(500) {
            assert!(
                b.exists(&tid("device-banner")).await?,
                "the status check's success wiped out the list's problem"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        b.wait_gone(".loading").await?;
        assert!(
            !b.exists(&tid("empty-state")).await?,
            "never the empty state"
        );
        assert!(!b.exists(&tid("images-table")).await?);
        let html = b
            .js("return document.body.innerHTML", vec![])
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!html.contains("upstream gone"), "the device's page leaked");
        assert!(
            !html.contains("502 Bad Gateway"),
            "the device's page leaked"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc15_a_sha512_row_shows_a_shortened_digest_with_the_full_value_in_its_title() {
    let Some(app) = app(TestApp::builder().rows(vec![
        row("line1/hmi", "2.0.0", D512),
        row("line1/hmi", "1.4.0", D1),
    ]))
    .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("viewer").await?;
        b.wait_count(&tid("image-row"), 2).await?;
        let sha512 = format!("{} .digest-cell code", row_sel("line1/hmi:2.0.0"));
        assert_eq!(b.text(&sha512).await?, "sha512:fa045f7322fc");
        assert_eq!(b.attrs(&sha512, "title").await?, [D512]);
        let copy = format!(
            "{} .digest-cell button[aria-label=\"Copy digest of line1/hmi:2.0.0\"]",
            row_sel("line1/hmi:2.0.0")
        );
        assert!(b.exists(&copy).await?, "a copy button for the full digest");
        let sha256 = format!("{} .digest-cell code", row_sel("line1/hmi:1.4.0"));
        assert_eq!(b.text(&sha256).await?, "c50f2833761e");
        assert_eq!(b.attrs(&sha256, "title").await?, [D1]);
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc17_the_timestamp_1700000000000_shows_as_2023_11_14_22_13_20_utc_in_the_browsers_zone() {
    let Some(app) = app(TestApp::builder().rows(vec![row("line1/hmi", "1.4.0", D1)])).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("viewer").await?;
        b.wait_count(&tid("image-row"), 1).await?;
        let time = format!("{} .date-cell time", row_sel("line1/hmi:1.4.0"));
        let shown = b.text(&time).await?;
        let offset = b
            .js(
                "return -new Date(1700000000000).getTimezoneOffset()",
                vec![],
            )
            .await?
            .as_i64()
            .unwrap_or(i64::MIN);
        let expected = match offset {
            0 => "2023-11-14 22:13 UTC",
            60 => "2023-11-14 23:13 UTC+01:00",
            other => panic!("unexpected browser zone offset {other} (TZ is set for Chromium)"),
        };
        assert_eq!(shown, expected);
        assert_eq!(b.attrs(&time, "title").await?, ["2023-11-14 22:13:20 UTC"]);
        assert_eq!(b.attrs(&time, "datetime").await?, ["2023-11-14T22:13:20Z"]);
        let cell = b
            .text(&format!("{} .date-cell", row_sel("line1/hmi:1.4.0")))
            .await?;
        assert!(!cell.contains("1970") && !cell.contains("55840"), "{cell}");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bc19_an_empty_registry_shows_its_empty_state_and_no_endless_spinner() {
    let Some(app) = app(TestApp::builder().rows(Vec::new())).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_for_text(&tid("empty-state"), "No images in the device registry")
            .await?;
        b.wait_gone(".loading").await?;
        assert!(!b.exists(&tid("error-message")).await?);
        assert!(!b.exists(&tid("images-table")).await?);
        assert!(!b.exists(&tid("device-banner")).await?);
        let summary = b.text(&tid("images-summary")).await?;
        assert!(summary.contains("0 images"), "{summary}");
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_tags_with_markup_from_the_device_render_as_text() {
    let name = "line1/<b>bold</b>";
    let tag = "<i>v1</i>";
    let Some(app) =
        app(TestApp::builder().rows(vec![row(name, "1.0", D1), row("line1/hmi", tag, D512)])).await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), 2).await?;
        let mut refs = row_refs(b).await?;
        refs.sort();
        assert_eq!(refs, [format!("{name}:1.0"), format!("line1/hmi:{tag}")]);
        let table = tid("images-table");
        assert_eq!(b.count(&format!("{table} b")).await?, 0, "no <b> element");
        assert_eq!(b.count(&format!("{table} i")).await?, 0, "no <i> element");
        let cells = b
            .js(
                "return Array.from(document.querySelectorAll('.name-cell a, .tag-cell a'), a => a.innerHTML)",
                vec![],
            )
            .await?;
        let cells: Vec<&str> = cells
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // Escaped text (Leptos may add empty comment markers around it).
        for escaped in ["line1/&lt;b&gt;bold&lt;/b&gt;", "&lt;i&gt;v1&lt;/i&gt;"] {
            assert!(
                cells.iter().any(|c| c.contains(escaped)),
                "{escaped} in {cells:?}"
            );
        }

        // The delete dialog shows the name as text too.
        b.click(&format!("{} {}", row_sel("line1/<b>bold</b>:1.0"), tid("row-delete")))
            .await?;
        b.wait_for(&tid("delete-preview")).await?;
        let preview = b
            .js(
                "return document.querySelector('[data-testid=\"delete-preview\"]').innerHTML",
                vec![],
            )
            .await?;
        let preview = preview.as_str().unwrap_or_default();
        assert!(preview.contains("line1/&lt;b&gt;bold&lt;/b&gt;:1.0"), "{preview}");
        assert_eq!(b.count(&format!("{} b", tid("delete-dialog"))).await?, 0);
        b.click(&format!("{} button[aria-label=\"Close\"]", tid("delete-dialog")))
            .await?;
        b.wait_gone(&tid("delete-dialog")).await?;
        assert_eq!(app.device().calls(Op::Delete), 0);
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_375_px_wide_the_pages_have_no_horizontal_page_scroll() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::PHONE, async |b| {
        let overflow = "return document.documentElement.scrollWidth <= window.innerWidth \
                        ? null : document.documentElement.scrollWidth";
        let check = async |page: &str| {
            let width = b.js(overflow, vec![]).await?;
            if width.is_null() {
                Ok(())
            } else {
                Err(lem_panel_tests::browser::fail(format!(
                    "{page}: the page is {width} px wide in a 375 px window"
                )))
            }
        };
        b.goto("login").await?;
        b.wait_for(&tid("login-username")).await?;
        assert_eq!(b.js("return window.innerWidth", vec![]).await?, json!(375));
        check("login").await?;

        b.login("admin").await?;
        b.wait_count(&tid("image-row"), FIXTURE_ROWS).await?;
        check("images").await?;

        // The longest tag of the fixture (128 characters) on its detail page.
        let long = lem_sim::fixture_rows()
            .iter()
            .filter_map(|r| r["tag"].as_str().map(str::to_owned))
            .max_by_key(String::len)
            .unwrap_or_default();
        b.goto(&format!("images/long-tag/app:{long}")).await?;
        b.wait_for(&tid("detail-digest")).await?;
        check("tag detail").await?;

        b.goto("import").await?;
        b.wait_for(&tid("import-form")).await?;
        check("import").await?;
        Ok(())
    })
    .await;
}
