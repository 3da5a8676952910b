//! `/admin/api-tokens` (admins): create (shown once), list, revoke.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::{list_tokens, CreateToken, RevokeToken};
use crate::components::admin_tabs::AdminTabs;
use crate::components::forms::{Field, FormMessage};
use crate::components::guard::RequireRole;
use crate::components::layout::PageHeader;
use crate::domain::accounts::{TokenStatus, TokenSummary};
use crate::domain::auth::Role;
use crate::domain::AppError;

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    view! {
        <Title text="API tokens"/>
        <RequireRole role=Role::Admin>
            <AdminTabs/>
            <PageHeader
                title="API tokens"
                description="Tokens let scripts and other systems call the REST API as you: send one as Authorization: Bearer <token>."
            />
            <TokensManager/>
        </RequireRole>
    }
    .into_any()
}

#[component]
fn TokensManager() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let name_error = Signal::derive(move || match create.value().get() {
        Some(Err(err)) => err.field_message("name").map(str::to_string),
        _ => None,
    });
    let create_message = Signal::derive(move || match create.value().get() {
        Some(Err(AppError::Validation(_))) => None,
        Some(Err(err)) => Some(err.to_string()),
        _ => None,
    });
    let revoke_error = Signal::derive(move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    });

    view! {
        <section class="panel">
            <h2>"Create a token"</h2>
            <FormMessage message=create_message/>
            <ActionForm action=create attr:class="form form-grid" attr:data-testid="create-token-form">
                <Field name="name" label="Name" required=true error=name_error
                    hint="What uses it, e.g. “Nightly export”." autocomplete="off"/>
                <div class="field">
                    <label for="field-expires">"Expires"</label>
                    <select id="field-expires" name="expires_in_days">
                        <option value="30">"In 30 days"</option>
                        <option value="90" selected>"In 90 days"</option>
                        <option value="365">"In a year"</option>
                        <option value="never">"Never"</option>
                    </select>
                </div>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                        "Create token"
                    </button>
                </div>
            </ActionForm>
            {move || match create.value().get() {
                Some(Ok(created)) => view! { <NewTokenBox token=created.token name=created.summary.name/> }.into_any(),
                _ => ().into_any(),
            }}
        </section>
        <section class="panel">
            <h2>"Tokens"</h2>
            <FormMessage message=revoke_error/>
            <Transition fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
                {move || tokens.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted" data-testid="no-tokens">"No tokens yet."</p>
                    }.into_any(),
                    Ok(list) => view! { <TokensTable tokens=list revoke/> }.into_any(),
                    Err(err) => view! { <p class="notice notice-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn NewTokenBox(token: String, name: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let value = token.clone();
    view! {
        <div class="notice notice-success token-box" role="status" data-testid="new-token">
            <p><strong>{format!("Token “{name}” created.")}</strong>" Copy it now: it is shown only once."</p>
            <div class="token-row">
                <label class="visually-hidden" for="new-token-value">"New token"</label>
                <input id="new-token-value" class="mono" readonly value=token data-testid="new-token-value"/>
                <button type="button" class="btn btn-ghost btn-small" on:click=move |_| {
                    copy_to_clipboard(&value);
                    copied.set(true);
                }>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}

fn copy_to_clipboard(_text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(_text);
    }
}

#[component]
fn TokensTable(tokens: Vec<TokenSummary>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="tokens-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Token"</th>
                        <th scope="col">"Created by"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {tokens.into_iter().map(|token| {
                        let id = token.id;
                        let confirming = RwSignal::new(false);
                        let (status_class, status_label) = match token.status {
                            TokenStatus::Active => ("status status-active", "Active"),
                            TokenStatus::Expired => ("status status-inactive", "Expired"),
                            TokenStatus::Revoked => ("status status-error", "Revoked"),
                        };
                        let active = token.status == TokenStatus::Active;
                        view! {
                            <tr data-testid=format!("token-row-{}", token.name)>
                                <td>{token.name.clone()}</td>
                                <td><code>{format!("{}…", token.prefix)}</code></td>
                                <td>{token.owner_name.clone()}</td>
                                <td>{token.last_used.clone()}</td>
                                <td>{token.expires.clone()}</td>
                                <td><span class=status_class>{status_label}</span></td>
                                <td class="row-actions">
                                    {active.then(|| view! {
                                        <Show
                                            when=move || confirming.get()
                                            fallback=move || view! {
                                                <button type="button" class="btn btn-ghost btn-small"
                                                    on:click=move |_| confirming.set(true)>"Revoke"</button>
                                            }
                                        >
                                            <span class="confirm-text">"Calls using it will fail."</span>
                                            <button type="button" class="btn btn-danger btn-small"
                                                on:click=move |_| { revoke.dispatch(RevokeToken { id }); }>
                                                "Confirm revoke"
                                            </button>
                                            <button type="button" class="btn btn-ghost btn-small"
                                                on:click=move |_| confirming.set(false)>"Cancel"</button>
                                        </Show>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
