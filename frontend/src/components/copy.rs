//! A button that copies a text to the clipboard and says whether it worked.

use leptos::prelude::*;

use crate::browser;

/// Copies `text`; shows "Copied" or, outside a secure context, how to copy by hand.
#[component]
pub fn CopyButton(
    /// Text to copy.
    #[prop(into)]
    text: String,
    /// Accessible label, e.g. "Copy digest".
    #[prop(into)]
    label: String,
    /// Visible text (defaults to "Copy").
    #[prop(optional, into)]
    caption: Option<String>,
) -> impl IntoView {
    let text = StoredValue::new(text);
    let copy = Action::new_local(move |_: &()| browser::copy_text(text.get_value()));
    let status = move || match copy.value().get() {
        _ if copy.pending().get() => "",
        Some(true) => "Copied",
        Some(false) => "Copy failed: select the text and press Ctrl+C",
        None => "",
    };
    let caption = caption.unwrap_or_else(|| "Copy".to_owned());
    view! {
        <span class="copy">
            <button
                type="button"
                class="button small"
                aria-label=label
                disabled=move || copy.pending().get()
                on:click=move |_| {
                    copy.dispatch_local(());
                }
            >
                {caption}
            </button>
            <span class="copy-status" role="status">
                {status}
            </span>
        </span>
    }
}
