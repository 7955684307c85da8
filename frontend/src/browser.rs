//! The few browser facts and effects the app needs: base path, clock, time zone, clipboard,
//! theme preference, saving a file, focus. Everything else stays in pure, testable modules.

use leptos::prelude::{document, window};
use wasm_bindgen::{JsCast, JsValue};

/// The base path from `<meta name="lem-panel-base">`, always with leading and trailing `/`.
pub fn base_path() -> String {
    let content = document()
        .query_selector("meta[name=lem-panel-base]")
        .ok()
        .flatten()
        .and_then(|m| m.get_attribute("content"))
        .unwrap_or_default();
    crate::routes::normalize_base(&content)
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// The viewer's offset east of UTC at a given moment, in minutes (DST-aware).
pub fn utc_offset_minutes(at_ms: i64) -> i32 {
    let date = js_sys::Date::new(&JsValue::from_f64(at_ms as f64));
    -(date.get_timezone_offset() as i32)
}

/// The viewer's IANA time zone name (`Europe/Berlin`), when the browser tells.
pub fn time_zone_name() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    let options = format.resolved_options();
    js_sys::Reflect::get(&options, &JsValue::from_str("timeZone"))
        .ok()
        .and_then(|v| v.as_string())
}

/// Copies text to the clipboard: the Clipboard API where the page is a secure context, else the
/// older copy command (panels on a plain-HTTP LAN address have no Clipboard API).
pub async fn copy_text(text: String) -> bool {
    let navigator = window().navigator();
    let has_api = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .is_ok_and(|v| !v.is_undefined());
    if has_api
        && wasm_bindgen_futures::JsFuture::from(navigator.clipboard().write_text(&text))
            .await
            .is_ok()
    {
        return true;
    }
    copy_with_command(&text)
}

/// Copies through a temporary, selected text area next to the focused element (inside an open
/// modal dialog, anything outside it is inert and cannot be selected).
fn copy_with_command(text: &str) -> bool {
    let document = document();
    let Ok(html) = document.clone().dyn_into::<web_sys::HtmlDocument>() else {
        return false;
    };
    let parent = document
        .active_element()
        .and_then(|e| e.parent_element())
        .or_else(|| document.body().map(Into::into));
    let (Some(parent), Ok(area)) = (parent, document.create_element("textarea")) else {
        return false;
    };
    let Ok(area) = area.dyn_into::<web_sys::HtmlTextAreaElement>() else {
        return false;
    };
    area.set_value(text);
    let _ = area.set_attribute("readonly", "");
    let _ = area.set_attribute("class", "copy-buffer");
    let _ = area.set_attribute("aria-hidden", "true");
    let focused = document
        .active_element()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if parent.append_child(&area).is_err() {
        return false;
    }
    area.select();
    let copied = html.exec_command("copy").unwrap_or(false);
    area.remove();
    if let Some(el) = focused {
        let _ = el.focus();
    }
    copied
}

const THEME_KEY: &str = "lem-panel-theme";

/// The saved theme preference (`light`, `dark` or `auto`). Not secret, so local storage is fine.
pub fn load_theme() -> String {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(THEME_KEY).ok().flatten())
        .filter(|t| matches!(t.as_str(), "light" | "dark" | "auto"))
        .unwrap_or_else(|| "auto".to_owned())
}

/// Applies and saves a theme: `data-theme` on `<html>` drives the stylesheet.
pub fn apply_theme(theme: &str) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", theme);
    }
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(THEME_KEY, theme);
    }
}

/// Offers text as a file download (a Blob URL clicked through a temporary link).
pub fn save_file(filename: &str, mime: &str, contents: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(contents));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(link) = document().create_element("a")
        && let Ok(link) = link.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        link.set_href(&url);
        link.set_download(filename);
        // rel=external keeps the router from treating the click as navigation.
        link.set_rel("external");
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

const RETURN_FOCUS: &str = "data-return-focus";

/// Marks the element that has focus now, so [`restore_focus`] can give focus back to it when a
/// dialog closes. The mark lives in the DOM, so the cleanup needs to hold no browser object.
pub fn mark_return_focus(key: &str) {
    if let Some(el) = document().active_element() {
        let _ = el.set_attribute(RETURN_FOCUS, key);
    }
}

/// Keeps Tab inside the open dialog: from the last control to the first and, with Shift, from
/// the first to the last (a native modal dialog would otherwise let focus leave to the browser).
pub fn wrap_tab(ev: &web_sys::KeyboardEvent) {
    let Some(dialog) = ev
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    let Ok(nodes) = dialog.query_selector_all(
        "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])",
    ) else {
        return;
    };
    let focusable: Vec<web_sys::HtmlElement> = (0..nodes.length())
        .filter_map(|i| nodes.get(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|e| !e.class_list().contains("copy-buffer"))
        .collect();
    let (Some(first), Some(last)) = (focusable.first(), focusable.last()) else {
        return;
    };
    let active = document().active_element();
    let at = |el: &web_sys::HtmlElement| {
        active
            .as_ref()
            .is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>())
    };
    if ev.shift_key() && at(first) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && at(last) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

/// Focuses the element marked with `key` (then unmarks it); the main region when it is gone
/// (e.g. its row was deleted).
pub fn restore_focus(key: &str) {
    let selector = format!("[{RETURN_FOCUS}=\"{key}\"]");
    let marked = document()
        .query_selector(&selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match marked {
        Some(el) => {
            let _ = el.remove_attribute(RETURN_FOCUS);
            let _ = el.focus();
        }
        None => focus_selector("main"),
    }
}

/// Moves focus to the first element matching `selector`, if any.
pub fn focus_selector(selector: &str) {
    if let Some(el) = document()
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// Scrolls the first element matching `selector` into view (e.g. a table after a page change).
pub fn scroll_into_view(selector: &str) {
    if let Some(el) = document().query_selector(selector).ok().flatten() {
        el.scroll_into_view();
    }
}

/// The browser's current path and query (`/registry/images?device=a`).
pub fn current_path_and_query() -> String {
    let location = window().location();
    format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    )
}

/// Sets the document title (`Images · lem-panel`), which screen readers announce on navigation.
pub fn set_title(page: &str) {
    document().set_title(&format!("{page} · lem-panel"));
}
