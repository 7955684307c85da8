//! A modal dialog on the native `<dialog>` element: `showModal()` makes the rest of the page inert
//! (focus stays inside), Escape closes it, and focus returns to where it was.

use leptos::html;
use leptos::prelude::*;

use crate::browser;

/// A modal dialog. Mount it to open it; `on_close` should unmount it.
#[component]
pub fn Dialog(
    /// Heading, also the dialog's accessible name.
    #[prop(into)]
    title: String,
    /// `data-testid` of the dialog element.
    #[prop(into)]
    testid: String,
    /// Called for Escape and the close button.
    #[prop(into)]
    on_close: Callback<()>,
    /// Content.
    children: Children,
) -> impl IntoView {
    let dialog_ref = NodeRef::<html::Dialog>::new();
    browser::mark_return_focus(&testid);
    dialog_ref.on_load(|dialog| {
        let _ = dialog.show_modal();
    });
    let key = testid.clone();
    // After the dialog has left the DOM: while a modal dialog is open the page behind it is
    // inert and cannot take focus.
    on_cleanup(move || request_animation_frame(move || browser::restore_focus(&key)));
    let title_id = format!("{testid}-title");
    let labelled_by = title_id.clone();
    view! {
        <dialog
            node_ref=dialog_ref
            class="dialog"
            data-testid=testid
            aria-labelledby=labelled_by
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Tab" {
                    browser::wrap_tab(&ev);
                }
            }
            on:cancel=move |ev: leptos::ev::Event| {
                // Escape: close through our state so the view and the DOM agree.
                ev.prevent_default();
                on_close.run(());
            }
        >
            <div class="dialog-head">
                <h2 id=title_id>{title}</h2>
                <button
                    type="button"
                    class="button icon-button"
                    aria-label="Close"
                    on:click=move |_| on_close.run(())
                >
                    "✕"
                </button>
            </div>
            <div class="dialog-body">{children()}</div>
        </dialog>
    }
}
