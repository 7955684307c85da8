//! The shared error component and the loading indicator every page uses.

use leptos::prelude::*;

use crate::error::ApiError;
use crate::state::Auth;

/// Shows an error as sentences a person can act on, with an optional retry button. Session errors
/// also trigger the one redirect to the login (or password) page.
#[component]
pub fn ErrorMessage(
    /// The error.
    error: ApiError,
    /// Offers a "Try again" button when given.
    #[prop(optional, into)]
    on_retry: Option<Callback<()>>,
) -> impl IntoView {
    if let Some(auth) = use_context::<Auth>() {
        let error = error.clone();
        // After render, so navigation never happens in the middle of building a view.
        Effect::new(move |_| auth.handle(&error));
    }
    let headline = error.headline();
    let hint = error.hint();
    view! {
        <div class="error-box" role="alert" data-testid="error-message">
            <p class="error-headline">{headline}</p>
            {hint.map(|h| view! { <p class="error-hint">{h}</p> })}
            {on_retry
                .map(|retry| {
                    view! {
                        <button type="button" class="button" on:click=move |_| retry.run(())>
                            "Try again"
                        </button>
                    }
                })}
        </div>
    }
}

/// A polite "loading" line with a spinner, announced to screen readers.
#[component]
pub fn Loading(
    /// What is loading, e.g. "Loading images…".
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <p class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            {label}
        </p>
    }
}

/// A success or information notice.
#[component]
pub fn Notice(
    /// The text.
    #[prop(into)]
    text: String,
) -> impl IntoView {
    view! {
        <p class="notice" role="status">
            {text}
        </p>
    }
}
