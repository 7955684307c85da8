//! Dates as people read them: absolute in the viewer's zone (zone shown), the age beside it,
//! UTC on hover; "unknown" for a missing or invalid time, never 1970.

use leptos::prelude::*;

use crate::browser;
use crate::format;
use crate::state::AppState;

/// A timestamp: `2023-11-01 01:53 UTC+01:00 · 2 years ago`, UTC in the tooltip.
#[component]
pub fn DateTime(
    /// Unix milliseconds, if known.
    ms: Option<i64>,
    /// Show the relative age beside the date.
    #[prop(optional)]
    with_age: bool,
    /// Text when there is no time (default "unknown").
    #[prop(optional)]
    missing: Option<&'static str>,
) -> impl IntoView {
    let Some(ms) = ms else {
        let text = missing.unwrap_or(format::UNKNOWN);
        return view! { <span class="unknown">{text}</span> }.into_any();
    };
    let local = format::format_local(ms, browser::utc_offset_minutes(ms));
    let utc = format::format_utc(ms);
    let iso = format::format_iso(ms);
    let now = use_context::<AppState>().map(|s| s.now);
    let age = move || {
        let now = now.map_or_else(browser::now_ms, |n| n.get());
        format::relative_age(now, ms)
    };
    view! {
        <span class="datetime">
            <time title=utc datetime=iso>
                {local}
            </time>
            {with_age.then(|| view! { <span class="age">{age}</span> })}
        </span>
    }
    .into_any()
}
