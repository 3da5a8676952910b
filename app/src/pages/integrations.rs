//! The hub (`/integrations`): stats, search and category filter, one grid of
//! cards per category and the coming-soon providers. Rendered completely on
//! the server (filters work without JavaScript through `?q=` and
//! `?category=`); after hydration the filters act instantly.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::integrations::load_hub;
use crate::components::forms::FormMessage;
use crate::components::guard::current_user;
use crate::components::integration_card::{CardActions, ComingSoonCard, IntegrationCard};
use crate::components::layout::PageHeader;
use crate::domain::auth::Role;
use crate::domain::catalog::Availability;
use crate::domain::integrations::{HubStats, HubView, ProviderCard};

/// Reloads the hub's data; the settings modal uses it after saving.
#[derive(Clone, Copy)]
pub struct HubRefresh(pub RwSignal<usize>);

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let actions = CardActions::new();
    let refresh = HubRefresh(RwSignal::new(0));
    provide_context(refresh);
    let hub = Resource::new(
        move || (actions.version(), refresh.0.get()),
        |_| async move {
            let result = load_hub().await;
            // Everything the hub shows raises the tenant's revision when it
            // changes, so the server may keep this render until a time text moves.
            #[cfg(feature = "ssr")]
            if let Ok(view) = &result {
                crate::api::page_cache::keep(view.changes_at);
            }
            result
        },
    );
    // While a sync runs, refresh the cards and stats every couple of seconds.
    Effect::new(move |_| {
        let syncing = hub.get().is_some_and(|r| {
            r.is_ok_and(|view| {
                view.cards.iter().any(|c| {
                    c.integration.as_ref().is_some_and(|i| {
                        i.status == crate::domain::integrations::IntegrationStatus::Syncing
                    })
                })
            })
        });
        if syncing {
            after(std::time::Duration::from_millis(1500), move || {
                refresh.0.update(|n| *n += 1)
            });
        }
    });

    // After Connect: OAuth providers go to their consent page, the others to the form.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(start)) = actions.start.value().get() {
            if start.next.starts_with("/api/") {
                full_page_load(&start.next);
            } else {
                navigate(&start.next, Default::default());
            }
        }
    });

    view! {
        <Title text="Integrations"/>
        <PageHeader
            title="Integrations"
            description="Connect your CRM workspace to the services you already use and keep contacts and events flowing."
        />
        <FormMessage message=Signal::derive(move || actions.error())/>
        <Suspense fallback=|| view! { <p class="muted">"Loading integrations…"</p> }>
            {move || hub.get().map(|result| match result {
                Ok(view) => view! { <Hub view actions/> }.into_any(),
                Err(err) => view! { <p class="notice notice-error" role="alert">{err.to_string()}</p> }.into_any(),
            })}
        </Suspense>
        <Outlet/>
    }
    .into_any()
}

/// Runs `f` after `delay` in the browser (nothing on the server).
pub fn after(_delay: std::time::Duration, _f: impl FnOnce() + 'static) {
    #[cfg(feature = "hydrate")]
    set_timeout(_f, _delay);
}

fn full_page_load(_url: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(_url);
    }
}

#[component]
fn Hub(view: HubView, actions: CardActions) -> impl IntoView {
    let can_manage = current_user().is_some_and(|u| u.can(Role::Admin));
    let query = use_query_map();
    let search = RwSignal::new(query.with_untracked(|q| q.get("q")).unwrap_or_default());
    let category = RwSignal::new(
        query
            .with_untracked(|q| q.get("category"))
            .unwrap_or_default(),
    );
    let HubView {
        stats,
        categories,
        cards,
        ..
    } = view;
    let (available, coming_soon): (Vec<ProviderCard>, Vec<ProviderCard>) = cards
        .into_iter()
        .partition(|c| c.provider.availability == Availability::Available);
    let available = StoredValue::new(available);
    let matches = move |card: &ProviderCard| {
        let needle = search.get().trim().to_lowercase();
        let wanted = category.get();
        let in_category = wanted.is_empty() || card.provider.category == wanted;
        let text = needle.is_empty()
            || card.provider.name.to_lowercase().contains(&needle)
            || card.provider.description.to_lowercase().contains(&needle)
            || card
                .provider
                .features
                .iter()
                .any(|f| f.to_lowercase().contains(&needle));
        in_category && text
    };
    let visible_count =
        move || available.with_value(|cards| cards.iter().filter(|c| matches(c)).count());
    let category_options = categories.clone();

    let notice = available.with_value(|cards| oauth_notice(&query.get_untracked(), cards));
    view! {
        {notice.map(|(ok, text)| view! {
            <div class=if ok { "notice notice-success" } else { "notice notice-error" }
                role=if ok { "status" } else { "alert" } data-testid="oauth-notice">{text}</div>
        })}
        <StatsCards stats/>
        <form class="filters" method="get" action="/integrations" role="search" data-testid="filters"
            on:submit=move |ev| ev.prevent_default()>
            <div class="field">
                <label for="hub-search">"Search"</label>
                <input id="hub-search" name="q" type="search" placeholder="Search providers…"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="hub-category">"Category"</label>
                <select id="hub-category" name="category" on:change=move |ev| category.set(event_target_value(&ev))>
                    <option value="" selected=move || category.get().is_empty()>"All categories"</option>
                    {category_options.into_iter().map(|c| {
                        let key = c.key.clone();
                        view! { <option value=c.key.clone() selected=move || category.get() == key>{c.name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <noscript><button type="submit" class="btn btn-ghost">"Filter"</button></noscript>
            <p class="filter-count muted" aria-live="polite" data-testid="visible-count">
                {move || match visible_count() {
                    1 => "1 provider".to_string(),
                    n => format!("{n} providers"),
                }}
            </p>
        </form>
        {move || (visible_count() == 0).then(|| view! {
            <p class="empty-state small" data-testid="no-matches">"No provider matches your search. Try another word or category."</p>
        })}
        {categories.into_iter().map(|c| {
            let key = c.key.clone();
            let key_for_cards = key.clone();
            let in_view = move || available.with_value(|cards| cards.iter().any(|card| card.provider.category == key && matches(card)));
            view! {
                <section class="category" data-testid=format!("category-{}", c.key) style:display=move || if in_view() { "" } else { "none" }>
                    <h2>{c.name}</h2>
                    <p class="muted small">{c.description}</p>
                    <div class="card-grid">
                        {available.with_value(|cards| cards.iter().filter(|card| card.provider.category == key_for_cards).cloned().collect::<Vec<_>>())
                            .into_iter()
                            .map(|card| {
                                let shown = card.clone();
                                view! {
                                    <div class="card-slot" style:display=move || if matches(&shown) { "" } else { "none" }>
                                        <IntegrationCard card can_manage actions/>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </div>
                </section>
            }
        }).collect_view()}
        <section class="category coming-soon-section" data-testid="coming-soon">
            <h2>"Coming soon"</h2>
            <p class="muted small">"Tell us which of these you want first: we count every request."</p>
            <div class="card-grid">
                {coming_soon.into_iter().map(|card| view! { <ComingSoonCard card actions/> }).collect_view()}
            </div>
        </section>
    }
}

/// The outcome of an OAuth connection, from the query the callback sent the person back with.
fn oauth_notice(
    query: &leptos_router::params::ParamsMap,
    cards: &[ProviderCard],
) -> Option<(bool, String)> {
    let code = query.get("oauth")?;
    let key = query.get("provider").unwrap_or_default();
    let name = cards
        .iter()
        .find(|c| c.provider.key == key)
        .map(|c| c.provider.name.clone())
        .unwrap_or_else(|| "The provider".to_string());
    let detail = query.get("detail").unwrap_or_default();
    let text = match code.as_str() {
        "connected" => return Some((true, format!("{name} is connected."))),
        "denied" => format!("You declined access at {name}. Nothing was connected."),
        "state_unknown" => "That sign-in link is not one the hub started. Nothing was connected; press Connect to start again.".into(),
        "state_used" => "That sign-in link was already used. If the connection did not finish, press Connect again.".into(),
        "state_expired" => "The sign-in took longer than 10 minutes and expired. Nothing was connected; press Connect again.".into(),
        "state_session" => "The sign-in was started in another browser session. Press Connect again from this window.".into(),
        "provider_error" => format!("{name} reported a problem: {detail}. Nothing was connected; try again."),
        "token_unreachable" => format!("Could not reach {name} to finish connecting: {detail}. Nothing was saved; try again in a moment."),
        "no_client" => format!(
            "{name} needs an OAuth app before it can be connected. The server operator sets {detail}, or an admin enters the workspace's own client ID and secret in {name}'s settings."
        ),
        "forbidden" => "Only admins can connect integrations.".into(),
        _ => "Something went wrong while connecting. Nothing was saved; try again.".into(),
    };
    Some((false, text))
}

#[component]
fn StatsCards(stats: HubStats) -> impl IntoView {
    let failed = stats.failed_syncs_24h;
    let warning = failed > 0;
    view! {
        <section class="stats" aria-label="Overview">
            <div class="stat" data-testid="stat-active">
                <span class="stat-label">"Active integrations"</span>
                <span class="stat-value">{stats.active_integrations}</span>
            </div>
            <div class="stat" data-testid="stat-records">
                <span class="stat-label">"Records synced today"</span>
                <span class="stat-value">{stats.records_synced_today}</span>
            </div>
            <div class="stat" data-testid="stat-last-sync">
                <span class="stat-label">"Last sync"</span>
                <span class="stat-value">
                    {match stats.last_sync {
                        Some(t) => view! { <time title=t.exact>{t.relative}</time> }.into_any(),
                        None => view! { <span class="muted">"Never"</span> }.into_any(),
                    }}
                </span>
            </div>
            <div class="stat" class:stat-warning=warning data-testid="stat-failed">
                <span class="stat-label">"Failed syncs (24 h)"</span>
                <span class="stat-value">{failed}</span>
            </div>
        </section>
    }
}
