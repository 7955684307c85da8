//! Any path the app does not know.

use leptos::prelude::*;

use crate::{browser, routes};

/// "Page not found" with a way back.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    browser::set_title("Not found");
    let home = routes::href(&browser::base_path(), "/images", None);
    view! {
        <main id="main" class="boot">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address in lem-panel."</p>
            <p>
                <a href=home>"Go to the image list"</a>
            </p>
        </main>
    }
}
