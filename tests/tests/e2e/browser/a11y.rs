//! Accessibility that a person can check with a keyboard and a contrast meter: the delete flow
//! from the keyboard alone (focus visible, kept inside the dialog, Escape closes and returns
//! focus), and WCAG AA contrast of every text on the main pages in both themes.

use fantoccini::key::Key;
use lem_panel_tests::browser::{Browser, Failure, Outcome, Window, fail, tid};
use lem_panel_tests::{D1, D2, TestApp, row};
use lem_sim::Op;
use serde_json::{Value, json};

use super::{app, row_refs, row_sel, run, test_name};

/// Most Tab presses a flow may need to reach a control (the page has fewer stops).
const MAX_TABS: usize = 120;

fn key(k: Key) -> String {
    char::from(k).to_string()
}

/// Whether the focused element matches `css`.
async fn focused_is(b: &Browser, css: &str) -> Result<bool, Failure> {
    let hit = b
        .js(
            "const a = document.activeElement; return !!a && a.matches(arguments[0])",
            vec![json!(css)],
        )
        .await?;
    Ok(hit == json!(true))
}

/// Presses Tab until the element matching `css` has the focus, failing after [`MAX_TABS`].
async fn tab_to(b: &Browser, css: &str) -> Outcome {
    for _ in 0..MAX_TABS {
        if focused_is(b, css).await? {
            return Ok(());
        }
        b.press(&key(Key::Tab)).await?;
    }
    Err(fail(format!("Tab never reached {css}")))
}

/// Whether the focused element shows a focus ring (an outline at least 2 px wide).
async fn focus_is_visible(b: &Browser) -> Result<bool, Failure> {
    let width = b
        .js(
            "const s = getComputedStyle(document.activeElement); \
             return s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth)",
            vec![],
        )
        .await?;
    Ok(width.as_f64().unwrap_or_default() >= 2.0)
}

/// Whether the focus is inside the delete dialog.
async fn focus_in_dialog(b: &Browser) -> Result<bool, Failure> {
    focused_is(b, "[data-testid=\"delete-dialog\"] *").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delete_flow_works_from_the_keyboard_alone_with_focus_visible_trapped_and_returned() {
    let Some(app) = app(TestApp::builder().rows(vec![
        row("line1/hmi", "1.4.0", D1),
        row("line1/hmi", "1.3.9", D2),
    ]))
    .await
    else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), 2).await?;
        let delete = format!("{} {}", row_sel("line1/hmi:1.4.0"), tid("row-delete"));

        // From the top of the page to the row's Delete button with Tab alone.
        b.js("document.activeElement && document.activeElement.blur()", vec![])
            .await?;
        tab_to(b, &delete).await?;
        assert!(focus_is_visible(b).await?, "the focused Delete button shows a ring");

        // Enter opens the dialog with the focus inside; Tab and Shift+Tab never leave it.
        b.press(&key(Key::Enter)).await?;
        b.wait_for(&tid("delete-preview")).await?;
        b.wait_until(
            "the focus to move into the dialog",
            "const a = document.activeElement; return !!a && !!a.closest('[data-testid=\"delete-dialog\"]')",
            vec![],
        )
        .await?;
        for step in 0..12 {
            let keys = if step % 4 == 3 {
                format!("{}{}{}", key(Key::Shift), key(Key::Tab), key(Key::Null))
            } else {
                key(Key::Tab)
            };
            b.press(&keys).await?;
            assert!(focus_in_dialog(b).await?, "Tab {step} left the dialog");
            assert!(focus_is_visible(b).await?, "Tab {step}: no visible focus");
        }

        // Escape closes it without deleting and gives the focus back to the Delete button.
        b.press(&key(Key::Escape)).await?;
        b.wait_gone(&tid("delete-dialog")).await?;
        b.wait_until(
            "the focus to return to the Delete button",
            "const a = document.activeElement; return !!a && a.matches(arguments[0])",
            vec![json!(delete)],
        )
        .await?;
        assert_eq!(app.device().calls(Op::Delete), 0, "Escape deleted nothing");

        // The whole delete by keyboard: open, type the confirmation, confirm, close.
        b.press(&key(Key::Enter)).await?;
        b.wait_for(&tid("delete-preview")).await?;
        tab_to(b, &tid("delete-confirm-input")).await?;
        b.press("line1/hmi:1.4.0").await?;
        tab_to(b, &format!("{}:not([disabled])", tid("delete-confirm"))).await?;
        b.press(&key(Key::Enter)).await?;
        b.wait_for_text(&tid("delete-result"), "Removed").await?;
        b.press(&key(Key::Escape)).await?;
        b.wait_gone(&tid("delete-dialog")).await?;
        b.wait_count(&tid("image-row"), 1).await?;
        assert_eq!(row_refs(b).await?, ["line1/hmi:1.3.9"]);
        assert_eq!(app.device().calls(Op::Delete), 1);
        Ok(())
    })
    .await;
}

/// Every visible text node's contrast against its effective background, listing those below
/// WCAG AA: 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold). Disabled controls are
/// exempt, as in WCAG.
const CONTRAST_CHECK: &str = r#"
const parse = c => {
  const m = /rgba?\(([^)]+)\)/.exec(c);
  if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const lin = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
const lum = c => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
const over = (top, base) => ({
  r: top.r * top.a + base.r * (1 - top.a),
  g: top.g * top.a + base.g * (1 - top.a),
  b: top.b * top.a + base.b * (1 - top.a), a: 1 });
const background = el => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  let base = layers.length && layers[layers.length - 1].a >= 1 ? layers.pop() : { r: 255, g: 255, b: 255, a: 1 };
  for (let i = layers.length - 1; i >= 0; i--) base = over(layers[i], base);
  return base;
};
const problems = [];
let checked = 0;
for (const el of document.body.querySelectorAll('*')) {
  const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own || el.closest('option, script, style, [disabled], :disabled, [aria-hidden="true"]')) continue;
  const box = el.getBoundingClientRect();
  if (box.width <= 1 || box.height <= 1) continue;
  const s = getComputedStyle(el);
  if (s.visibility === 'hidden' || s.display === 'none') continue;
  const bg = background(el);
  const fg0 = parse(s.color);
  if (!fg0) continue;
  const fg = over(fg0, bg);
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  const ratio = (hi + 0.05) / (lo + 0.05);
  const size = parseFloat(s.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
  checked++;
  if (ratio < (large ? 3 : 4.5)) {
    problems.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 40)}" ${ratio.toFixed(2)}:1 (${s.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
  }
}
return { checked, problems };
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_text_on_the_main_pages_meets_wcag_aa_contrast_in_the_light_and_the_dark_theme() {
    let Some(app) = app(TestApp::builder()).await else {
        return;
    };
    run(test_name!(), &app, Window::DESKTOP, async |b| {
        b.login("admin").await?;
        b.wait_count(&tid("image-row"), lem_panel_tests::FIXTURE_ROWS)
            .await?;
        let mut problems = Vec::new();
        for theme in ["light", "dark"] {
            b.select(".theme-switcher select", theme).await?;
            b.wait_until(
                "the theme to apply",
                "return document.documentElement.getAttribute('data-theme') === arguments[0]",
                vec![json!(theme)],
            )
            .await?;
            for page in [
                "images", "import", "jobs", "status", "users", "audit", "account",
            ] {
                b.goto(page).await?;
                b.wait_for(&tid("logout")).await?;
                b.wait_gone(".loading").await?;
                let result: Value = b.js(CONTRAST_CHECK, vec![]).await?;
                let checked = result["checked"].as_u64().unwrap_or_default();
                assert!(checked >= 5, "{theme} {page}: only {checked} texts found");
                for problem in result["problems"].as_array().into_iter().flatten() {
                    problems.push(format!(
                        "{theme} {page}: {}",
                        problem.as_str().unwrap_or("?")
                    ));
                }
            }
        }
        assert!(
            problems.is_empty(),
            "below WCAG AA:\n{}",
            problems.join("\n")
        );
        Ok(())
    })
    .await;
}
