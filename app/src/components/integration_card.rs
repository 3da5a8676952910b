//! One provider on the hub: logo, name, description, badges, status and the
//! actions the user's role allows.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::integrations::{Disconnect, SetNotify, SetPaused, StartConnect};
use crate::api::sync::SyncNow;
use crate::domain::catalog::{AuthKind, ProviderBrief};
use crate::domain::integrations::{IntegrationStatus, ProviderCard};

/// Actions shared by every card of the page, so the page refreshes after any of them.
#[derive(Clone, Copy)]
pub struct CardActions {
    pub start: ServerAction<StartConnect>,
    pub pause: ServerAction<SetPaused>,
    pub disconnect: ServerAction<Disconnect>,
    pub notify: ServerAction<SetNotify>,
    pub sync: ServerAction<SyncNow>,
}

impl CardActions {
    pub fn new() -> Self {
        Self {
            start: ServerAction::new(),
            pause: ServerAction::new(),
            disconnect: ServerAction::new(),
            notify: ServerAction::new(),
            sync: ServerAction::new(),
        }
    }

    /// Changes whenever any action completed: the page reloads its data then.
    pub fn version(&self) -> usize {
        self.start.version().get()
            + self.pause.version().get()
            + self.disconnect.version().get()
            + self.notify.version().get()
            + self.sync.version().get()
    }

    pub fn error(&self) -> Option<String> {
        [
            self.start.value().get().and_then(|r| r.err()),
            self.pause.value().get().and_then(|r| r.err()),
            self.disconnect.value().get().and_then(|r| r.err()),
            self.notify.value().get().and_then(|r| r.err()),
            self.sync.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.to_string())
    }
}

impl Default for CardActions {
    fn default() -> Self {
        Self::new()
    }
}

fn logo(provider: &ProviderBrief) -> impl IntoView {
    let style = format!(
        "background: linear-gradient(135deg, {}, {})",
        provider.gradient.0, provider.gradient.1
    );
    view! { <div class="card-logo" style=style aria-hidden="true">{provider.emoji.clone()}</div> }
}

#[component]
pub fn StatusBadge(
    status: IntegrationStatus,
    #[prop(default = None)] last_error: Option<String>,
) -> impl IntoView {
    let title = match (&last_error, status) {
        (Some(error), IntegrationStatus::Error) => error.clone(),
        _ => status.label().to_string(),
    };
    view! {
        <span
            class=format!("status-pill status-{}", status.as_str())
            title=title
            data-testid="status"
            data-status=status.as_str()
        >
            <span aria-hidden="true">{status.icon()}</span>
            {status.label()}
        </span>
    }
}

#[component]
pub fn IntegrationCard(
    card: ProviderCard,
    can_manage: bool,
    actions: CardActions,
) -> impl IntoView {
    let provider = card.provider.clone();
    let status = card
        .integration
        .as_ref()
        .map(|i| i.status)
        .unwrap_or(IntegrationStatus::Inactive);
    let connected = status.is_connected();
    let last_error = card.integration.as_ref().and_then(|i| i.last_error.clone());
    let id = card.integration.as_ref().map(|i| i.id);
    let confirming = RwSignal::new(false);
    let key = provider.key.clone();

    let last_synced = card
        .integration
        .as_ref()
        .and_then(|i| i.last_synced.clone());
    let name = provider.name.clone();
    let disconnect_name = provider.name.clone();

    view! {
        <article class="integration-card" data-testid=format!("card-{key}") data-status=status.as_str()>
            <header class="card-head">
                {logo(&provider)}
                <div class="card-title">
                    <h3>{provider.name.clone()}</h3>
                    <StatusBadge status last_error/>
                </div>
            </header>
            <p class="card-description">{provider.description.clone()}</p>
            <ul class="badges" aria-label="Features">
                {provider.features.iter().map(|f| view! { <li class="badge">{f.clone()}</li> }).collect_view()}
            </ul>
            {last_synced.map(|t| view! {
                <p class="card-meta">"Last sync " <time title=t.exact>{t.relative}</time></p>
            })}
            <div class="card-actions">
                {match (connected, id) {
                    (true, Some(id)) => view! {
                        <A href=format!("/integrations/{id}") attr:class="btn btn-ghost btn-small"
                            attr:aria-label=format!("Settings of {name}")>"Settings"</A>
                        {(provider.syncs && matches!(status, IntegrationStatus::Active | IntegrationStatus::Error | IntegrationStatus::Syncing)).then(|| {
                            let syncing = status == IntegrationStatus::Syncing;
                            view! {
                                <button type="button" class="btn btn-primary btn-small"
                                    data-testid=format!("sync-{}", provider.key)
                                    disabled=move || syncing || actions.sync.pending().get()
                                    on:click=move |_| { actions.sync.dispatch(SyncNow { id }); }>
                                    {if syncing { "Syncing…" } else { "Sync now" }}
                                </button>
                            }
                        })}
                        {(can_manage && status == IntegrationStatus::Error && provider.auth_kind == AuthKind::Oauth2).then(|| {
                            let key = key.clone();
                            view! {
                                <button type="button" class="btn btn-primary btn-small"
                                    data-testid=format!("reconnect-{key}")
                                    on:click=move |_| { actions.start.dispatch(StartConnect { provider: key.clone() }); }>
                                    "Reconnect"
                                </button>
                            }
                        })}
                        {can_manage.then(|| {
                            let paused = status == IntegrationStatus::Paused;
                            view! {
                                <button type="button" class="btn btn-ghost btn-small"
                                    on:click=move |_| { actions.pause.dispatch(SetPaused { id, paused: !paused }); }>
                                    {if paused { "Resume" } else { "Pause" }}
                                </button>
                                <button type="button" class="btn btn-ghost btn-small btn-danger-text"
                                    on:click=move |_| confirming.set(true)>"Disconnect"</button>
                            }
                        })}
                    }.into_any(),
                    _ if can_manage => {
                        let key = key.clone();
                        view! {
                            <button type="button" class="btn btn-primary btn-small"
                                data-testid=format!("connect-{key}")
                                disabled=move || actions.start.pending().get()
                                on:click=move |_| { actions.start.dispatch(StartConnect { provider: key.clone() }); }>
                                "Connect"
                            </button>
                        }.into_any()
                    }
                    _ => view! { <span class="muted small">"An admin can connect this."</span> }.into_any(),
                }}
            </div>
            {move || (confirming.get() && id.is_some()).then(|| {
                let id = id.expect("checked above");
                view! {
                    <div class="confirm" role="alertdialog" aria-labelledby=format!("confirm-{id}")>
                        <p id=format!("confirm-{id}")>
                            <strong>{format!("Disconnect {disconnect_name}?")}</strong>
                            " Its stored credentials and tokens are deleted and its scheduled syncs stop. Contacts already synced, the sync history and the activity log stay."
                        </p>
                        <div class="confirm-actions">
                            <button type="button" class="btn btn-ghost btn-small" on:click=move |_| confirming.set(false)>"Cancel"</button>
                            <button type="button" class="btn btn-danger btn-small" data-testid="confirm-disconnect"
                                on:click=move |_| {
                                    actions.disconnect.dispatch(Disconnect { id });
                                    confirming.set(false);
                                }>"Disconnect"</button>
                        </div>
                    </div>
                }
            })}
        </article>
    }
}

/// A coming-soon provider with its "Notify me" toggle.
#[component]
pub fn ComingSoonCard(card: ProviderCard, actions: CardActions) -> impl IntoView {
    let provider = card.provider.clone();
    let key = provider.key.clone();
    let testid = format!("card-{key}");
    let notify_testid = format!("notify-{key}");
    let on = card.notify_me;
    view! {
        <article class="integration-card coming-soon" data-testid=testid>
            <header class="card-head">
                {logo(&provider)}
                <div class="card-title">
                    <h3>{provider.name.clone()}</h3>
                    <span class="status-pill status-soon">"Coming soon"</span>
                </div>
            </header>
            <p class="card-description">{provider.description.clone()}</p>
            <div class="card-actions">
                <button type="button" class="btn btn-ghost btn-small" aria-pressed=on.to_string()
                    data-testid=notify_testid
                    on:click=move |_| { actions.notify.dispatch(SetNotify { provider: key.clone(), on: !on }); }>
                    {if on { "✓ We'll let you know" } else { "Notify me" }}
                </button>
            </div>
        </article>
    }
}
