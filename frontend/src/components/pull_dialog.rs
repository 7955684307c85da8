//! "Copy pull command": docker, podman, nerdctl and skopeo, by tag and by digest.

use leptos::prelude::*;
use shared::api::ImageRow;

use crate::components::copy::CopyButton;
use crate::components::dialog::Dialog;
use crate::pull_commands::{PullCommand, pull_commands};
use crate::state::AppState;

/// A dialog listing ready-to-copy pull commands for one row.
#[component]
pub fn PullDialog(
    /// The row.
    row: ImageRow,
    /// Closes the dialog.
    #[prop(into)]
    on_close: Callback<()>,
) -> impl IntoView {
    let title = format!("Pull {}", row.reference());
    view! {
        <Dialog title=title testid="pull-dialog" on_close=on_close>
            <PullCommandsPanel row=row/>
            <div class="dialog-actions">
                <button type="button" class="button" on:click=move |_| on_close.run(())>
                    "Close"
                </button>
            </div>
        </Dialog>
    }
}

/// The commands for one row, by tag and by digest, using the device's registry host.
#[component]
pub fn PullCommandsPanel(
    /// The row.
    row: ImageRow,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let host = untrack(|| state.device()).and_then(|d| d.registry_host);
    match host {
        None => view! {
            <p>
                "The registry address of this device is not configured, so pull commands cannot be built. Ask an admin to set the device's registry host."
            </p>
        }
        .into_any(),
        Some(host) => {
            let commands = pull_commands(&host, &row.name, &row.tag, row.digest.as_deref());
            let (by_tag, by_digest): (Vec<_>, Vec<_>) =
                commands.into_iter().partition(|c| !c.by_digest);
            let no_digest = by_digest.is_empty();
            view! {
                <h3>"By tag"</h3>
                <p class="note">
                    "Follows the tag: a later import onto the same tag changes what you get."
                </p>
                <CommandList commands=by_tag/>
                <h3>"By digest"</h3>
                {if no_digest {
                    view! { <p class="note">"The device listed no digest for this tag."</p> }
                        .into_any()
                } else {
                    view! {
                        <p class="note">"Always the same content, whatever happens to the tag."</p>
                        <CommandList commands=by_digest/>
                    }
                        .into_any()
                }}
            }
            .into_any()
        }
    }
}

#[component]
fn CommandList(commands: Vec<PullCommand>) -> impl IntoView {
    view! {
        <ul class="command-list">
            {commands
                .into_iter()
                .map(|c| {
                    let label = format!("Copy {} command", c.tool.label());
                    view! {
                        <li data-testid="pull-command" data-tool=c.tool.label()>
                            <span class="tool">{c.tool.label()}</span>
                            <code class="command">{c.command.clone()}</code>
                            <CopyButton text=c.command label=label/>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
