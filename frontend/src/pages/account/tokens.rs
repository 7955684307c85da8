//! Personal API tokens on the account page: create (secret shown once), list, revoke. Hidden
//! when the panel has API tokens turned off.

use leptos::prelude::*;

use crate::api;
use crate::components::copy::CopyButton;
use crate::components::feedback::ErrorMessage;
use crate::components::time::DateTime;
use crate::error::is_not_found;

/// The tokens section; renders nothing when the feature is off.
#[component]
pub fn ApiTokens() -> impl IntoView {
    let tokens = LocalResource::new(api::list_tokens);
    let name = RwSignal::new(String::new());
    // Each action refreshes the list itself once the server has answered (an Effect reading
    // both action values through `||` would leave the second one untracked).
    let create = Action::new_local(move |token_name: &String| {
        let token_name = token_name.clone();
        async move {
            let created = api::create_token(token_name).await;
            if created.is_ok() {
                name.set(String::new());
                tokens.refetch();
            }
            created
        }
    });
    let revoke = Action::new_local(move |id: &i64| {
        let id = *id;
        async move {
            let revoked = api::revoke_token(id).await;
            if revoked.is_ok() {
                tokens.refetch();
            }
            revoked
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_owned();
        if !n.is_empty() && !create.pending().get_untracked() {
            create.dispatch_local(n);
        }
    };
    let secret = move || match create.value().get() {
        Some(Ok(created)) => Some(view! {
            <div class="warning-box" role="status" data-testid="api-token-secret-box">
                <p><strong>{format!("Token \"{}\" created.", created.token.name)}</strong>
                    " Copy it now: it is not shown again. Send it as "<code>"Authorization: Bearer …"</code>"."</p>
                <p><code class="break" data-testid="api-token-secret">{created.secret.clone()}</code>
                    " "<CopyButton text=created.secret.clone() label="Copy the token"/></p>
            </div>
        }),
        _ => None,
    };
    let list = move || {
        tokens.get().map(|result| match result {
            Err(e) if is_not_found(&e) => ().into_any(),
            Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
            Ok(list) => {
                view! {
                <section data-testid="api-tokens">
                    <h2>"API tokens"</h2>
                    <p>"Tokens let scripts use the panel's API with your role. Revoke one as soon as it is no longer needed."</p>
                    {secret}
                    {if list.tokens.is_empty() {
                        view! { <p class="empty-note">"You have no API tokens yet."</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-scroll">
                                <table class="data-table" data-testid="api-tokens-table">
                                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                                    <tbody>
                                        {list.tokens.into_iter().map(|t| {
                                            let id = t.id;
                                            let label = format!("Revoke token {}", t.name);
                                            view! {
                                                <tr data-testid="api-token-row">
                                                    <td>{t.name}</td>
                                                    <td><DateTime ms=Some(t.created_at_ms)/></td>
                                                    <td><DateTime ms=t.last_used_at_ms missing="never"/></td>
                                                    <td><button type="button" class="button small danger" aria-label=label
                                                        disabled=move || revoke.pending().get()
                                                        on:click=move |_| { revoke.dispatch_local(id); }>"Revoke"</button></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any()
                    }}
                    <form class="narrow-form" on:submit=submit>
                        <div class="field">
                            <label for="api-token-name">"New token's name"</label>
                            <input id="api-token-name" type="text" maxlength="64" placeholder="e.g. nightly sync script" data-testid="api-token-name"
                                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                        </div>
                        {move || match (create.value().get(), revoke.value().get()) {
                            (Some(Err(e)), _) | (_, Some(Err(e))) => Some(view! { <ErrorMessage error=e/> }),
                            _ => None,
                        }}
                        <button type="submit" class="button" data-testid="api-token-create"
                            disabled=move || create.pending().get() || name.get().trim().is_empty()>
                            {move || if create.pending().get() { "Creating…" } else { "Create token" }}
                        </button>
                    </form>
                </section>
            }
            .into_any()
            }
        })
    };
    view! { <Transition fallback=|| ()>{list}</Transition> }
}
