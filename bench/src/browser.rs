//! Measures 4 and 5: the web app in headless Chromium against a hand-written vanilla-JS page
//! with the same table markup and stylesheet, both driven through chromedriver in the same run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::proxy::short;
use crate::report::{Met, Row, Section};
use crate::rig::{DEVICE, PASSWORD, Rig, RigOptions, USER};
use crate::stats::{Summary, fmt_ratio, fmt_us};
use crate::vanilla::{self, Vanilla};
use crate::webdriver::{self, Browser, Driver};
use crate::{Ctx, Result, fail};

/// Times one interaction in the page: from the click (or input) to the first frame painted
/// after the table changed (a MutationObserver sees the change; then `requestAnimationFrame`
/// and a `MessageChannel` task, which runs once that frame's style, layout and paint are done).
/// Also reports the time from the end of the list response (Resource Timing) to that paint.
const INTERACT: &str = r#"
const [action, arg, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
performance.clearResourceTimings();
const first = () => document.querySelector('[data-testid=image-row]');
const count = () => document.querySelectorAll('[data-testid=image-row]').length;
const before = first();
const beforeRef = before ? before.getAttribute('data-ref') : null;
const checks = {
  refresh: () => { const f = first(); return !!f && f !== before; },
  sort: () => { const f = first(); return !!f && f.getAttribute('data-ref') !== beforeRef; },
  filter: () => { const f = first(); return !!f && f.getAttribute('data-ref').toLowerCase().includes(arg); },
  clear: () => { const f = first(); return !!f && f.getAttribute('data-ref') !== beforeRef; },
};
const check = checks[action];
let fired = false, t0 = 0;
const finish = (changed) => {
  requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const painted = performance.now();
      const lists = performance.getEntriesByType('resource')
        .filter(e => e.name.includes('/images') && e.startTime >= t0);
      const end = lists.length ? lists[lists.length - 1].responseEnd : null;
      done({ clickToPaint: painted - t0, responseToPaint: end === null ? null : painted - end,
             clickToDom: changed - t0, rows: count() });
    };
    channel.port2.postMessage(0);
  });
};
const observer = new MutationObserver(() => {
  if (!fired && check()) { fired = true; observer.disconnect(); finish(performance.now()); }
});
observer.observe(document.body, { childList: true, subtree: true, characterData: true });
setTimeout(() => { if (!fired) { fired = true; observer.disconnect(); done({ error: 'timeout' }); } }, 60000);
t0 = performance.now();
if (action === 'refresh') document.querySelector('[data-testid=refresh]').click();
else if (action === 'sort') document.querySelector('[data-testid=sort-date]').click();
else {
  const input = document.querySelector('[data-testid=images-filter]');
  input.value = action === 'filter' ? arg : '';
  input.dispatchEvent(new Event('input', { bubbles: true }));
}
"#;

/// Installed before any page script on every navigation: records when the first frame with
/// table rows has been painted, in ms since navigation start.
const FIRST_PAINT: &str = r#"
(() => {
  const observer = new MutationObserver(() => {
    if (document.querySelector('[data-testid=image-row]')) {
      observer.disconnect();
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => { window.__lemFirstRowsPaint = performance.now(); };
        channel.port2.postMessage(0);
      });
    }
  });
  observer.observe(document, { childList: true, subtree: true });
})();
"#;

const LOGIN: &str = r#"
const done = arguments[arguments.length - 1];
fetch('api/v1/session', { method: 'POST',
  headers: { 'content-type': 'application/json', 'x-lem-panel': '1' },
  body: JSON.stringify({ username: arguments[0], password: arguments[1] }) })
  .then(r => done(r.status), e => done(String(e)));
"#;

const ROWS: &str = "return document.querySelectorAll('[data-testid=image-row]').length || null";

/// Both pages open in their own Chromium, next to a rig.
struct Pages {
    rig: Rig,
    driver: Driver,
    app: Browser,
    vanilla: Browser,
    _server: Vanilla,
    _profiles: tempfile::TempDir,
    app_url: String,
    vanilla_url: String,
}

fn dist_css(root: &Path) -> Result<PathBuf> {
    let dist = root.join("dist");
    if !dist.join("index.html").exists() {
        return Err(fail(
            "dist/ has no built web app (./x bench builds it; or trunk build --release --offline)",
        ));
    }
    std::fs::read_dir(&dist)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "css"))
        .ok_or_else(|| fail("dist/ has no stylesheet"))
}

impl Pages {
    async fn open(ctx: &Ctx, rows: usize) -> Result<Self> {
        let css = std::fs::read(dist_css(&ctx.paths.root)?)?;
        let (chromium, chromedriver) = webdriver::available()
            .ok_or_else(|| fail("chromium and chromedriver are not installed (./x setup)"))?;
        let rig = Rig::start(
            &ctx.paths,
            RigOptions {
                latency: Duration::from_millis(1),
                rows,
            },
        )
        .await?;
        let session = rig.login().await?;
        let server = vanilla::start(css, rig.panel_url.clone(), session, rig.http.clone()).await?;
        let profiles = tempfile::Builder::new()
            .prefix("lem-bench-chromium-")
            .tempdir()?;
        let driver =
            Driver::start(&chromedriver, &profiles.path().join("chromedriver.log")).await?;
        let app = match driver
            .browser(&chromium, &profiles.path().join("app"))
            .await
        {
            Ok(app) => app,
            Err(e) => {
                driver.stop().await;
                return Err(e);
            }
        };
        let vanilla = match driver
            .browser(&chromium, &profiles.path().join("vanilla"))
            .await
        {
            Ok(vanilla) => vanilla,
            Err(e) => {
                app.quit().await;
                driver.stop().await;
                return Err(e);
            }
        };
        let app_url = format!("{}images?device={DEVICE}", rig.panel_url);
        let vanilla_url = format!("{}vanilla.html?device={DEVICE}", server.url);
        let pages = Self {
            rig,
            driver,
            app,
            vanilla,
            _server: server,
            _profiles: profiles,
            app_url,
            vanilla_url,
        };
        // From here on, a failure still closes both browsers.
        match pages.prepare().await {
            Ok(()) => Ok(pages),
            Err(e) => {
                pages.close().await;
                Err(e)
            }
        }
    }

    async fn prepare(&self) -> Result<()> {
        for browser in [&self.app, &self.vanilla] {
            browser
                .cdp(
                    "Page.addScriptToEvaluateOnNewDocument",
                    json!({"source": FIRST_PAINT}),
                )
                .await?;
        }
        self.app
            .goto(&format!("{}healthz", self.rig.panel_url))
            .await?;
        let status = self
            .app
            .execute_async(LOGIN, json!([USER, PASSWORD]))
            .await?;
        if status != json!(200) {
            return Err(fail(format!("browser login answered {status}")));
        }
        self.app.goto(&self.app_url).await?;
        self.vanilla.goto(&self.vanilla_url).await?;
        for browser in [&self.app, &self.vanilla] {
            browser.wait_for(ROWS, Duration::from_secs(60)).await?;
        }
        Ok(())
    }

    async fn close(self) {
        self.app.quit().await;
        self.vanilla.quit().await;
        self.driver.stop().await;
        self.rig.stop().await;
    }
}

/// One timed interaction.
#[derive(Debug, Clone, Copy)]
struct Interaction {
    click_to_paint: f64,
    click_to_dom: f64,
    response_to_paint: Option<f64>,
    rows: u64,
}

async fn interact(browser: &Browser, action: &str, arg: &str) -> Result<Interaction> {
    let value = browser
        .execute_async(INTERACT, json!([action, arg]))
        .await?;
    if let Some(error) = value.get("error") {
        return Err(fail(format!("{action}: {error}")));
    }
    let ms = |key: &str| value[key].as_f64();
    Ok(Interaction {
        click_to_paint: ms("clickToPaint").ok_or_else(|| fail(format!("odd result {value}")))?
            * 1000.0,
        click_to_dom: ms("clickToDom").unwrap_or(f64::NAN) * 1000.0,
        response_to_paint: ms("responseToPaint").map(|v| v * 1000.0),
        rows: value["rows"].as_u64().unwrap_or(0),
    })
}

/// Click-to-paint and response-to-paint samples of one page.
#[derive(Default)]
struct Samples {
    click: Vec<f64>,
    render: Vec<f64>,
    rows: u64,
}

impl Samples {
    fn push(&mut self, i: Interaction) {
        self.click.push(i.click_to_paint);
        if let Some(r) = i.response_to_paint {
            self.render.push(r);
        }
        self.rows = i.rows;
    }
}

/// Interleaved refreshes of both pages.
async fn refresh_pairs(pages: &Pages, n: usize, warmup: usize) -> Result<(Samples, Samples)> {
    let mut app = Samples::default();
    let mut vanilla = Samples::default();
    for round in 0..warmup + n {
        let (a, v) = if round % 2 == 0 {
            let a = interact(&pages.app, "refresh", "").await?;
            (a, interact(&pages.vanilla, "refresh", "").await?)
        } else {
            let v = interact(&pages.vanilla, "refresh", "").await?;
            (interact(&pages.app, "refresh", "").await?, v)
        };
        if round >= warmup {
            app.push(a);
            vanilla.push(v);
        }
    }
    Ok((app, vanilla))
}

fn render_row(measure: &str, app: &Samples, vanilla: &Samples, limit: f64, target: &str) -> Row {
    let a = Summary::of_micros(&app.click);
    let v = Summary::of_micros(&vanilla.click);
    let ratio = a.p50 / v.p50;
    Row::new(
        measure,
        format!("{} ({} rows in the DOM)", short(&a), app.rows),
        format!("{} ({} rows in the DOM)", short(&v), vanilla.rows),
        format!("p50 {}, p75 {}", fmt_ratio(ratio), fmt_ratio(a.p75 / v.p75)),
        target,
        Met::from(ratio <= limit),
    )
}

fn render_note(what: &str, app: &Samples, vanilla: &Samples) -> String {
    let a = Summary::of_micros(&app.render);
    let v = Summary::of_micros(&vanilla.render);
    format!(
        "{what}: click → paint, app {}; vanilla {}. Response end → paint (parse + build + \
         layout + paint, without the network and the panel): app p50 {}, vanilla p50 {} \
         ({}).",
        Summary::of_micros(&app.click).detail(),
        Summary::of_micros(&vanilla.click).detail(),
        fmt_us(a.p50),
        fmt_us(v.p50),
        fmt_ratio(a.p50 / v.p50),
    )
}

/// Filter texts typed in turn (each changes the first row of the first page).
const NEEDLES: [&str; 4] = ["line07/", "historian", "rc.3", "opcua"];

/// Everything measure 4 samples.
struct RenderSamples {
    app1k: Samples,
    van1k: Samples,
    app10k: Samples,
    van10k: Samples,
    sort: Vec<f64>,
    sort_dom: Vec<f64>,
    filter: Vec<f64>,
    filter_dom: Vec<f64>,
    clear: Vec<f64>,
}

async fn render_samples(ctx: &Ctx, pages: &mut Pages) -> Result<RenderSamples> {
    let warm = ctx.n(3, 1);
    eprintln!("    refresh with 1,000 rows");
    let (app1k, van1k) = refresh_pairs(pages, ctx.n(30, 4), warm).await?;
    eprintln!("    refresh with 10,000 rows");
    pages.rig.sim.set_rows(10_000).await?;
    let (app10k, van10k) = refresh_pairs(pages, ctx.n(12, 2), warm).await?;

    eprintln!("    sort and filter with 10,000 rows");
    let mut sort = Vec::new();
    let mut sort_dom = Vec::new();
    for round in 0..warm + ctx.n(30, 5) {
        let i = interact(&pages.app, "sort", "").await?;
        if round >= warm {
            sort.push(i.click_to_paint);
            sort_dom.push(i.click_to_dom);
        }
    }
    let mut filter = Vec::new();
    let mut filter_dom = Vec::new();
    let mut clear = Vec::new();
    for round in 0..warm + ctx.n(30, 5) {
        let needle = NEEDLES[round % NEEDLES.len()];
        let f = interact(&pages.app, "filter", needle).await?;
        let c = interact(&pages.app, "clear", "").await?;
        if round >= warm {
            filter.push(f.click_to_paint);
            filter_dom.push(f.click_to_dom);
            clear.push(c.click_to_paint);
        }
    }

    Ok(RenderSamples {
        app1k,
        van1k,
        app10k,
        van10k,
        sort,
        sort_dom,
        filter,
        filter_dom,
        clear,
    })
}

/// Runs measure 4.
pub async fn run_render(ctx: &Ctx, section: &mut Section) -> Result<()> {
    let mut pages = Pages::open(ctx, 1000).await?;
    let result = render_samples(ctx, &mut pages).await;
    pages.close().await;
    let RenderSamples {
        app1k,
        van1k,
        app10k,
        van10k,
        sort,
        sort_dom,
        filter,
        filter_dom,
        clear,
    } = result?;
    let needles = NEEDLES;
    section.row(render_row(
        "Render 1,000 rows: click Refresh → table painted",
        &app1k,
        &van1k,
        1.3,
        "p50 ≤ 1.3× vanilla",
    ));
    section.row(render_row(
        "Render 10,000 rows: click Refresh → table painted",
        &app10k,
        &van10k,
        1.0,
        "p50 ≤ 1.0× vanilla (render only visible rows)",
    ));
    let s = Summary::of_micros(&sort);
    section.row(Row::new(
        "Sort 10,000 rows by date (click → paint)",
        format!(
            "p75 {}, p50 {}, max {}",
            fmt_us(s.p75),
            fmt_us(s.p50),
            fmt_us(s.max)
        ),
        "—",
        "—",
        "p75 ≤ 100 ms",
        Met::from(s.p75 <= 100_000.0),
    ));
    let f = Summary::of_micros(&filter);
    let c = Summary::of_micros(&clear);
    section.row(Row::new(
        "Filter 10,000 rows (input → paint)",
        format!(
            "p75 {}, p50 {}, max {}; clearing: p75 {}",
            fmt_us(f.p75),
            fmt_us(f.p50),
            fmt_us(f.max),
            fmt_us(c.p75)
        ),
        "—",
        "—",
        "p75 ≤ 100 ms",
        Met::from(f.p75 <= 100_000.0 && c.p75 <= 100_000.0),
    ));
    section.note(
        "Method: two headless Chromium instances (chromedriver, fresh profiles, \
         `--headless=new --no-sandbox --disable-gpu --disable-background-networking \
         --disable-component-update --disable-sync --no-first-run`, window 1280×1000), one \
         with the web app (`/images`, logged in as an admin), one with the vanilla page \
         (`bench/src/vanilla.html`: the same table and row markup and the app's own \
         stylesheet, every row rendered with one `innerHTML`). The vanilla page fetches the \
         same list through the same panel and device (the bench's little server forwards \
         `/api/…` to the panel with a session), so both sides include the same network and \
         server time. A sample is a script in the page: click Refresh (or sort, or type in \
         the filter), a MutationObserver notices the new rows, then `requestAnimationFrame` \
         + a `MessageChannel` task mark the end of the frame that paints them; \
         `performance.now()` differences. Pages alternate sample by sample; device latency \
         1 ms each way.",
    );
    section.note(render_note("1,000 rows", &app1k, &van1k));
    section.note(render_note("10,000 rows", &app10k, &van10k));
    section.note(format!(
        "Sort: click on the Created header (toggles ascending/descending), {}. Filter: typing \
         one of {:?} at once into the filter box (one `input` event), {}; clearing it again, {}.",
        s.detail(),
        needles,
        f.detail(),
        c.detail()
    ));
    let sd = Summary::of_micros(&sort_dom);
    let fd = Summary::of_micros(&filter_dom);
    let page = app10k.rows;
    let per_page = Summary::of_micros(&van1k.render).p50 * page as f64 / 1000.0;
    section.note(format!(
        "What limits sort and filter: at p50 the new rows are in the DOM after {} (sort) and \
         {} (filter) — WASM sorting or filtering 10,000 rows (by index, over precomputed \
         lower-case haystacks) plus Leptos building the page's {page} new rows — and the \
         remaining {} and {} are style, layout and paint of the new page. For scale, the \
         vanilla page needs about {} per {page} rows from response to paint on this machine \
         (its 1,000-row render × {page}/1000), so a page costs tens of milliseconds here \
         before any framework work. Tried and kept: {page} rows per page instead of 100 (a \
         page still fills a 1,000-px window about twice), which roughly halves the DOM work \
         per sort or filter.",
        fmt_us(sd.p50),
        fmt_us(fd.p50),
        fmt_us(s.p50 - sd.p50),
        fmt_us(f.p50 - fd.p50),
        fmt_us(per_page),
    ));
    Ok(())
}

async fn cold_navigation(browser: &Browser, url: &str, cold: bool) -> Result<f64> {
    browser.goto("about:blank").await?;
    if cold {
        browser.cdp("Network.clearBrowserCache", json!({})).await?;
    }
    browser.goto(url).await?;
    let value: Value = browser
        .wait_for(
            "return window.__lemFirstRowsPaint || null",
            Duration::from_secs(60),
        )
        .await?;
    value
        .as_f64()
        .map(|ms| ms * 1000.0)
        .ok_or_else(|| fail(format!("odd paint time {value}")))
}

/// Cold and warm navigations of both pages, alternating.
async fn startup_samples(ctx: &Ctx, pages: &Pages) -> Result<Vec<(bool, Summary, Summary)>> {
    let n = ctx.n(12, 2);
    let mut results = Vec::new();
    for cold in [true, false] {
        let mut app = Vec::new();
        let mut vanilla = Vec::new();
        for round in 0..n + 1 {
            let (a, v) = if round % 2 == 0 {
                let a = cold_navigation(&pages.app, &pages.app_url, cold).await?;
                (
                    a,
                    cold_navigation(&pages.vanilla, &pages.vanilla_url, cold).await?,
                )
            } else {
                let v = cold_navigation(&pages.vanilla, &pages.vanilla_url, cold).await?;
                (cold_navigation(&pages.app, &pages.app_url, cold).await?, v)
            };
            if round > 0 {
                app.push(a);
                vanilla.push(v);
            }
        }
        results.push((cold, Summary::of_micros(&app), Summary::of_micros(&vanilla)));
    }
    Ok(results)
}

/// Runs measure 5.
pub async fn run_startup(ctx: &Ctx, section: &mut Section) -> Result<()> {
    let pages = Pages::open(ctx, 1000).await?;
    let result = startup_samples(ctx, &pages).await;
    pages.close().await;
    let results = result?;
    for (cold, app, vanilla) in &results {
        section.row(Row::new(
            if *cold {
                "Navigation → first table paint, 1,000 rows, cold cache"
            } else {
                "Navigation → first table paint, 1,000 rows, warm cache"
            },
            short(app),
            format!("vanilla page: {}", short(vanilla)),
            fmt_ratio(app.p50 / vanilla.p50),
            "reported (no target)",
            Met::Info,
        ));
    }
    section.note(
        "Method: as in 4 (two Chromium instances, same run, pages alternating). A script \
         installed with `Page.addScriptToEvaluateOnNewDocument` waits for the first table \
         row and records the end of the frame that paints it (`performance.now()`, so from \
         navigation start). Cold: `Network.clearBrowserCache` before each navigation (the \
         session cookie stays; the connection to the panel may be reused), so the app \
         downloads and compiles `index.html`, JS, WASM and CSS, then reads the session, the \
         devices and the list. The vanilla page downloads one small HTML file and the same \
         stylesheet and reads the list. Warm: the same without clearing the cache.",
    );
    for (cold, app, vanilla) in &results {
        section.note(format!(
            "{}: app {}; vanilla {}.",
            if *cold { "Cold" } else { "Warm" },
            app.detail(),
            vanilla.detail()
        ));
    }
    Ok(())
}

/// `lem-panel-bench dump-markup`: prints the app's and the vanilla page's first table row, to
/// keep `vanilla.html` in step with the app's markup.
pub async fn dump_markup(ctx: &Ctx) -> Result<()> {
    let pages = Pages::open(ctx, 40).await?;
    let script = "const r = document.querySelector('[data-testid=image-row]'); \
                  const t = document.querySelector('[data-testid=images-table] thead'); \
                  return (t ? t.outerHTML : '') + '\\n' + (r ? r.outerHTML : '');";
    for (name, browser) in [("app", &pages.app), ("vanilla", &pages.vanilla)] {
        let html = browser.execute(script, json!([])).await?;
        println!("== {name}\n{}\n", html.as_str().unwrap_or_default());
    }
    pages.close().await;
    Ok(())
}
