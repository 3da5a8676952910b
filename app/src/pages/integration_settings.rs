//! The settings modal of one integration (`/integrations/{id}`), over the hub.
//! A native `<dialog>`: modal with a focus trap once hydrated, Escape closes.

use std::collections::BTreeMap;

use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::integrations::{
    load_integration, preview_schedule, RemoveOauthApp, SaveConfiguration, SaveOauthApp,
    SaveSyncSettings, TestConnection,
};
use crate::components::empty_state::EmptyState;
use crate::components::forms::{Field, FormMessage};
use crate::components::guard::current_user;
use crate::components::integration_card::StatusBadge;
use crate::components::log_list::LogList;
use crate::domain::auth::Role;
use crate::domain::catalog::{FieldKind, FieldSpec};
use crate::domain::ids::IntegrationId;
use crate::domain::integrations::{
    FieldValue, IntegrationDetail, IntegrationStatus, LogLine, OAuthAppSource, OAuthInfo,
};
use crate::domain::AppError;
use crate::pages::field_mapping::FieldMapping;
use crate::pages::integrations::HubRefresh;
use crate::pages::not_found::NotFound;
use crate::pages::sync_history::SyncHistory;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Configuration,
    Sync,
    Mapping,
    History,
    Activity,
    Webhooks,
}

impl Tab {
    const ALL: [Tab; 6] = [
        Tab::Configuration,
        Tab::Sync,
        Tab::Mapping,
        Tab::History,
        Tab::Activity,
        Tab::Webhooks,
    ];

    fn label(self) -> &'static str {
        match self {
            Tab::Configuration => "Configuration",
            Tab::Sync => "Sync",
            Tab::Mapping => "Field mapping",
            Tab::History => "Sync history",
            Tab::Activity => "Activity",
            Tab::Webhooks => "Webhooks",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Tab::Configuration => "configuration",
            Tab::Sync => "sync",
            Tab::Mapping => "mapping",
            Tab::History => "history",
            Tab::Activity => "activity",
            Tab::Webhooks => "webhooks",
        }
    }
}

#[component]
pub fn IntegrationSettings() -> impl IntoView {
    // The modal shows rows the tenant revision does not follow (logs, mappings, runs).
    #[cfg(feature = "ssr")]
    crate::api::page_cache::never();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let reload = RwSignal::new(0usize);
    // Outlive a reload of the data (which re-creates the dialog's content).
    let tab = RwSignal::new(Tab::Configuration);
    let flash = RwSignal::new(None::<String>);
    let detail = Resource::new(
        move || (id(), reload.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_integration(IntegrationId(id)).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=|| ()>
            {move || detail.get().map(|result| match result {
                Ok(detail) => view! { <SettingsDialog detail reload tab flash/> }.into_any(),
                Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                Err(err) => view! { <p class="notice notice-error" role="alert">{err.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn SettingsDialog(
    detail: IntegrationDetail,
    reload: RwSignal<usize>,
    tab: RwSignal<Tab>,
    flash: RwSignal<Option<String>>,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let navigate = use_navigate();
    let close = move || navigate("/integrations", Default::default());
    // Server-rendered open; once hydrated, re-open as a real modal (focus trap, Escape).
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get() {
            dialog.close();
            let _ = dialog.show_modal();
        }
    });
    let title_id = "settings-title";
    let provider = detail.provider.clone();
    let name = provider.name.clone();
    let detail = StoredValue::new(detail);
    let close_button = close.clone();

    view! {
        <Title text=format!("{name} settings")/>
        <dialog
            node_ref=dialog
            class="modal"
            open
            aria-labelledby=title_id
            data-testid="settings-modal"
            on:cancel=move |ev: leptos::ev::Event| {
                ev.prevent_default();
                close();
            }
        >
            <header class="modal-head">
                <div class="card-logo" aria-hidden="true"
                    style=format!("background: linear-gradient(135deg, {}, {})", provider.gradient.0, provider.gradient.1)>
                    {provider.emoji.clone()}
                </div>
                <div class="modal-title">
                    <h2 id=title_id>{format!("{} settings", provider.name)}</h2>
                    {detail.with_value(|d| view! { <StatusBadge status=d.status last_error=d.last_error.clone()/> })}
                </div>
                <button type="button" class="btn btn-ghost btn-small modal-close" aria-label="Close settings"
                    on:click=move |_| close_button()>"✕"</button>
            </header>
            {detail.with_value(|d| d.last_error.clone()).map(|error| view! {
                <p class="notice notice-error" role="alert">{error}</p>
            })}
            <div class="tabs" role="tablist" aria-label="Settings sections">
                {Tab::ALL.into_iter().map(|t| view! {
                    <button type="button" role="tab" id=format!("tab-{}", t.id())
                        aria-controls=format!("panel-{}", t.id())
                        aria-selected=move || (tab.get() == t).to_string()
                        tabindex=move || if tab.get() == t { "0" } else { "-1" }
                        class="tab" class:tab-active=move || tab.get() == t
                        on:click=move |_| {
                            flash.set(None);
                            tab.set(t);
                        }>
                        {t.label()}
                    </button>
                }).collect_view()}
            </div>
            <div class="tab-panel" role="tabpanel" id=move || format!("panel-{}", tab.get().id())
                aria-labelledby=move || format!("tab-{}", tab.get().id())>
                {move || match tab.get() {
                    Tab::Configuration => view! { <ConfigurationTab detail=detail.get_value() reload flash/> }.into_any(),
                    Tab::Sync => view! { <SyncTab detail=detail.get_value()/> }.into_any(),
                    Tab::Mapping => view! { <FieldMapping id=detail.with_value(|d| d.id)/> }.into_any(),
                    Tab::History => view! { <SyncHistory detail=detail.get_value()/> }.into_any(),
                    Tab::Activity => view! { <ActivityTab lines=detail.with_value(|d| d.activity.clone())/> }.into_any(),
                    Tab::Webhooks => view! {
                        <EmptyState icon="🪝" title="No inbound webhook endpoint"
                            text="The address this provider sends its events to, with its signing secret, appears here once inbound webhooks are set up for the integration."/>
                    }.into_any(),
                }}
            </div>
        </dialog>
    }
}

/// Current values of the form: plain values as saved, secrets empty (kept unless retyped).
fn initial_values(detail: &IntegrationDetail) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    for field in detail.form_fields() {
        let value = match detail.credentials.get(&field.key) {
            Some(FieldValue::Plain(v)) => v.clone(),
            Some(FieldValue::Masked(_)) => String::new(),
            None => detail.config.get(&field.key).cloned().unwrap_or_default(),
        };
        values.insert(field.key.clone(), value);
    }
    values
}

#[component]
fn ConfigurationTab(
    detail: IntegrationDetail,
    reload: RwSignal<usize>,
    flash: RwSignal<Option<String>>,
) -> impl IntoView {
    let can_manage = current_user().is_some_and(|u| u.can(Role::Admin));
    let id = detail.id;
    let values = RwSignal::new(initial_values(&detail));
    let save = ServerAction::<SaveConfiguration>::new();
    let test = ServerAction::<TestConnection>::new();
    let refresh = use_context::<HubRefresh>();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            flash.set(Some("Saved.".to_string()));
            reload.update(|n| *n += 1);
            if let Some(HubRefresh(signal)) = refresh {
                signal.update(|n| *n += 1);
            }
        }
    });
    let fields = detail.form_fields();
    let oauth_section = detail
        .oauth
        .clone()
        .map(|oauth| view! { <OAuthSection oauth detail=detail.clone() reload can_manage/> });
    if fields.is_empty() {
        return view! {
            {oauth_section}
            {detail.oauth.is_none().then(|| view! {
                <p class="muted">{format!("{} needs no credentials: connecting it is all there is to do.", detail.provider.name)}</p>
            })}
        }
        .into_any();
    }
    let field_error = move |key: String| {
        Signal::derive(move || match save.value().get() {
            Some(Err(err)) => err.field_message(&key).map(str::to_string),
            _ => None,
        })
    };
    let save_message = Signal::derive(move || match save.value().get() {
        Some(Err(AppError::Validation(fields)))
            if fields.iter().any(|f| f.field == "connection") =>
        {
            fields
                .iter()
                .find(|f| f.field == "connection")
                .map(|f| f.message.clone())
        }
        Some(Err(AppError::Validation(_))) => {
            Some("Some fields need fixing; nothing was saved.".to_string())
        }
        Some(Err(err)) => Some(err.to_string()),
        _ => None,
    });
    let saved = Signal::derive(move || flash.get());
    let test_result = move || test.value().get();
    let masked: BTreeMap<String, String> = detail
        .credentials
        .iter()
        .filter_map(|(k, v)| match v {
            FieldValue::Masked(m) => Some((k.clone(), m.clone())),
            FieldValue::Plain(_) => None,
        })
        .collect();

    view! {
        {oauth_section}
        <form class="form" data-testid="configuration-form" novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                flash.set(None);
                save.dispatch(SaveConfiguration { id, values: values.get_untracked(), untested: false });
            }>
            <FormMessage message=save_message/>
            <FormMessage message=saved success=true/>
            {fields.into_iter().map(|field| {
                let stored = masked.get(&field.key).cloned();
                let error = field_error(field_key(&field));
                view! { <SchemaField field values stored error disabled=!can_manage/> }
            }).collect_view()}
            {can_manage.then(|| view! {
                <div class="form-actions-row">
                    <button type="button" class="btn btn-ghost" data-testid="test-connection"
                        disabled=move || test.pending().get()
                        on:click=move |_| { test.dispatch(TestConnection { id, values: values.get_untracked() }); }>
                        {move || if test.pending().get() { view! { <span class="spinner" aria-hidden="true"></span>"Testing…" }.into_any() } else { "Test connection".into_any() }}
                    </button>
                    <button type="submit" class="btn btn-primary" data-testid="save-configuration"
                        disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save" }}
                    </button>
                    {move || matches!(save.value().get(), Some(Err(AppError::Validation(ref f))) if f.iter().any(|e| e.field == "connection")).then(|| view! {
                        <button type="button" class="btn btn-ghost btn-small" data-testid="save-untested"
                            on:click=move |_| { save.dispatch(SaveConfiguration { id, values: values.get_untracked(), untested: true }); }>
                            "Save without testing"
                        </button>
                    })}
                </div>
            })}
            <div role="status" aria-live="polite" data-testid="test-result">
                {move || test_result().map(|result| match result {
                    Ok(outcome) => view! {
                        <p class=if outcome.ok { "notice notice-success" } else { "notice notice-error" }>{outcome.message}</p>
                    }.into_any(),
                    Err(err) => view! { <p class="notice notice-error">{err.to_string()}</p> }.into_any(),
                })}
            </div>
        </form>
    }
    .into_any()
}

/// For OAuth providers: connect or reconnect through the provider's consent,
/// and the workspace's own OAuth app.
#[component]
fn OAuthSection(
    oauth: OAuthInfo,
    detail: IntegrationDetail,
    reload: RwSignal<usize>,
    can_manage: bool,
) -> impl IntoView {
    let id = detail.id;
    let name = detail.provider.name.clone();
    let connected = detail.status.is_connected() && detail.status != IntegrationStatus::Pending;
    let save = ServerAction::<SaveOauthApp>::new();
    let remove = ServerAction::<RemoveOauthApp>::new();
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) || matches!(remove.value().get(), Some(Ok(_)))
        {
            reload.update(|n| *n += 1);
        }
    });
    let field_error = move |field: &'static str| {
        Signal::derive(move || match save.value().get() {
            Some(Err(err)) => err.field_message(field).map(str::to_string),
            _ => None,
        })
    };
    let source = match oauth.app_source {
        OAuthAppSource::Workspace => format!(
            "Connects with your workspace's own OAuth app (client ID {}).",
            oauth.workspace_client_id.clone().unwrap_or_default()
        ),
        OAuthAppSource::Deployment => "Connects with the OAuth app this hub's operator set up.".to_string(),
        OAuthAppSource::Sandbox => "Connects with the provider sandbox's built-in app.".to_string(),
        OAuthAppSource::Missing => format!(
            "{name} needs an OAuth app before it can be connected: the operator sets {}, or you enter your workspace's own below.",
            oauth.deployment_variables
        ),
    };
    let missing = oauth.app_source == OAuthAppSource::Missing;
    view! {
        <section class="oauth-section" data-testid="oauth-section">
            <p class=if missing { "notice notice-error" } else { "muted small" }>{source}</p>
            {(can_manage && !missing).then(|| view! {
                <a class="btn btn-primary" rel="external" href=oauth.connect_url.clone() data-testid="oauth-connect">
                    {if connected { format!("Reconnect {name}") } else { format!("Connect with {name}") }}
                </a>
            })}
            {can_manage.then(|| view! {
                <details class="oauth-app" open=missing>
                    <summary>"Use your workspace's own OAuth app"</summary>
                    <FormMessage message=Signal::derive(move || match save.value().get() {
                        Some(Err(AppError::Validation(_))) | None => None,
                        Some(Err(err)) => Some(err.to_string()),
                        Some(Ok(_)) => None,
                    })/>
                    <ActionForm action=save attr:class="form form-grid">
                        <input type="hidden" name="id" value=id.0/>
                        <Field name="client_id" label="Client ID" required=true error=field_error("client_id") autocomplete="off"/>
                        <Field name="client_secret" label="Client secret" kind="password" required=true
                            error=field_error("client_secret") autocomplete="new-password"/>
                        <div class="form-actions">
                            <button type="submit" class="btn btn-ghost">"Save OAuth app"</button>
                            {(oauth.app_source == OAuthAppSource::Workspace).then(|| view! {
                                <button type="button" class="btn btn-ghost btn-danger-text"
                                    on:click=move |_| { remove.dispatch(RemoveOauthApp { id }); }>"Remove"</button>
                            })}
                        </div>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}

fn field_key(field: &FieldSpec) -> String {
    field.key.clone()
}

/// One input generated from the provider's field schema.
#[component]
fn SchemaField(
    field: FieldSpec,
    values: RwSignal<BTreeMap<String, String>>,
    stored: Option<String>,
    error: Signal<Option<String>>,
    disabled: bool,
) -> impl IntoView {
    let key = field.key.clone();
    let id = format!("cfg-{}", field.key);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let value = {
        let key = key.clone();
        move || values.with(|v| v.get(&key).cloned().unwrap_or_default())
    };
    let set = {
        let key = key.clone();
        move |value: String| {
            values.update(|v| {
                v.insert(key.clone(), value);
            })
        }
    };
    let hint = match (&stored, &field.help) {
        (Some(mask), Some(help)) => Some(format!("Stored: {mask}. Leave empty to keep it. {help}")),
        (Some(mask), None) => Some(format!("Stored: {mask}. Leave empty to keep it.")),
        (None, help) => help.clone(),
    };
    let required = field.required && stored.is_none();
    let input = if field.kind == FieldKind::Select {
        let set = set.clone();
        view! {
            <select id=id.clone() name=key.clone() disabled=disabled
                aria-describedby=format!("{hint_id} {error_id}")
                aria-invalid=move || error.get().is_some().to_string()
                on:change=move |ev| set(event_target_value(&ev))>
                <option value="">"Choose…"</option>
                {field.options.iter().map(|option| {
                    let label = option.clone();
                    let current = value.clone();
                    let selected_option = option.clone();
                    view! { <option value=option.clone() selected=move || current() == selected_option>{label}</option> }
                }).collect_view()}
            </select>
        }
        .into_any()
    } else {
        let set = set.clone();
        view! {
            <input id=id.clone() name=key.clone() type=field.kind.input_type()
                prop:value=value
                placeholder=field.placeholder.clone()
                pattern=field.pattern.clone()
                required=required
                disabled=disabled
                autocomplete=if field.secret { "new-password" } else { "off" }
                aria-describedby=format!("{hint_id} {error_id}")
                aria-invalid=move || error.get().is_some().to_string()
                on:input=move |ev| set(event_target_value(&ev))/>
        }
        .into_any()
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some() data-testid=format!("field-{key}")>
            <label for=id>
                {field.label.clone()}
                {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
                {required.then(|| view! { <span class="visually-hidden">" (required)"</span> })}
            </label>
            {input}
            {hint.map(|hint| view! { <p class="field-hint" id=hint_id.clone()>{hint}</p> })}
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}

const PRESETS: &[(&str, &str)] = &[
    ("", "Manual only"),
    ("*/15 * * * *", "Every 15 minutes"),
    ("0 * * * *", "Hourly"),
    ("0 6 * * *", "Daily at 06:00 UTC"),
    ("0 6 * * 1", "Weekly, Mondays at 06:00 UTC"),
];

#[component]
fn SyncTab(detail: IntegrationDetail) -> impl IntoView {
    let can_manage = current_user().is_some_and(|u| u.can(Role::Admin));
    let id = detail.id;
    let schedule = RwSignal::new(detail.sync.schedule.clone());
    let mode = RwSignal::new(detail.sync.mode.clone());
    let direction = RwSignal::new(detail.sync.direction.clone());
    let resources = RwSignal::new(detail.sync.resources.clone());
    let save = ServerAction::<SaveSyncSettings>::new();
    let preview = Resource::new(
        move || schedule.get(),
        |schedule| async move {
            if schedule.trim().is_empty() {
                Ok(Vec::new())
            } else {
                preview_schedule(schedule).await
            }
        },
    );
    let preset = move || {
        let current = schedule.get();
        PRESETS
            .iter()
            .find(|(expr, _)| *expr == current)
            .map(|(expr, _)| expr.to_string())
            .unwrap_or_else(|| "custom".into())
    };
    let message = Signal::derive(move || match save.value().get() {
        Some(Err(err)) => Some(err.to_string()),
        _ => None,
    });
    let saved = Signal::derive(move || match save.value().get() {
        Some(Ok(_)) => Some("Sync settings saved.".to_string()),
        _ => None,
    });
    let provider_resources = detail.provider.resources.clone();
    let can_push = provider_resources.iter().any(|r| r.push);
    let provider_name = detail.provider.name.clone();

    view! {
        <form class="form" data-testid="sync-form"
            on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(SaveSyncSettings {
                    id,
                    schedule: schedule.get_untracked(),
                    mode: mode.get_untracked(),
                    direction: direction.get_untracked(),
                    resources: resources.get_untracked(),
                });
            }>
            <FormMessage message/>
            <FormMessage message=saved success=true/>
            <div class="form-grid">
                <div class="field">
                    <label for="sync-preset">"Schedule"</label>
                    <select id="sync-preset" disabled=!can_manage on:change=move |ev| {
                        let value = event_target_value(&ev);
                        if value != "custom" { schedule.set(value); }
                    }>
                        {PRESETS.iter().map(|(expr, label)| {
                            let expr = expr.to_string();
                            let selected = expr.clone();
                            view! { <option value=expr selected=move || preset() == selected>{*label}</option> }
                        }).collect_view()}
                        <option value="custom" selected=move || preset() == "custom">"Custom (cron)"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="sync-cron">"Cron expression"</label>
                    <input id="sync-cron" class="mono" placeholder="*/30 * * * *" disabled=!can_manage
                        prop:value=move || schedule.get()
                        aria-describedby="sync-cron-hint"
                        on:change=move |ev| schedule.set(event_target_value(&ev))/>
                    <p class="field-hint" id="sync-cron-hint">"minute hour day-of-month month day-of-week, in UTC."</p>
                </div>
            </div>
            <div class="next-runs" aria-live="polite" data-testid="next-runs">
                <Transition fallback=|| ()>
                    {move || preview.get().map(|result| match result {
                        Ok(runs) if runs.is_empty() => view! { <p class="muted small">"Runs only when someone presses Sync now or a webhook arrives."</p> }.into_any(),
                        Ok(runs) => view! {
                            <p class="small">"Next runs: "</p>
                            <ul class="small">{runs.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                        }.into_any(),
                        Err(err) => view! { <p class="field-error" role="alert">{err.to_string()}</p> }.into_any(),
                    })}
                </Transition>
            </div>
            <div class="form-grid">
                <div class="field">
                    <label for="sync-mode">"Mode"</label>
                    <select id="sync-mode" disabled=!can_manage on:change=move |ev| mode.set(event_target_value(&ev))>
                        <option value="incremental" selected=move || mode.get() == "incremental">"Incremental (changes since last sync)"</option>
                        <option value="full" selected=move || mode.get() == "full">"Full (every record)"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="sync-direction">"Direction"</label>
                    <select id="sync-direction" disabled=!can_manage aria-describedby="sync-direction-hint"
                        on:change=move |ev| direction.set(event_target_value(&ev))>
                        <option value="pull" selected=move || direction.get() == "pull">"Pull into the hub"</option>
                        <option value="push" disabled=!can_push selected=move || direction.get() == "push">"Push to the provider"</option>
                        <option value="bidirectional" disabled=!can_push selected=move || direction.get() == "bidirectional">"Both ways"</option>
                    </select>
                    <p class="field-hint" id="sync-direction-hint">{move || match (can_push, direction.get().as_str()) {
                        (false, _) => format!("{provider_name} only sends contacts; the hub cannot write to it."),
                        (true, "push") => "Sends contacts changed in the hub since their last sync (full mode: every contact). A person the provider already has, by email, is updated, not duplicated.".to_string(),
                        (true, "bidirectional") => "Pulls first (the provider's non-empty values win), then pushes what changed in the hub since.".to_string(),
                        _ => "Brings the provider's records into the hub's contacts.".to_string(),
                    }}</p>
                </div>
            </div>
            <fieldset class="field">
                <legend>"Resources"</legend>
                {if provider_resources.is_empty() {
                    view! { <p class="muted small">"This provider has nothing to sync; it sends or receives events."</p> }.into_any()
                } else {
                    provider_resources.into_iter().map(|r| {
                        let key = r.key.clone();
                        let checked_key = key.clone();
                        view! {
                            <label class="check">
                                <input type="checkbox" value=key.clone() disabled=!can_manage
                                    prop:checked=move || resources.with(|list| list.contains(&checked_key))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let key = key.clone();
                                        resources.update(|list| {
                                            list.retain(|k| *k != key);
                                            if on { list.push(key); }
                                        });
                                    }/>
                                {r.name}
                            </label>
                        }
                    }).collect_view().into_any()
                }}
            </fieldset>
            {can_manage.then(|| view! {
                <div class="form-actions-row">
                    <button type="submit" class="btn btn-primary" data-testid="save-sync" disabled=move || save.pending().get()>"Save sync settings"</button>
                </div>
            })}
        </form>
    }
}

#[component]
fn ActivityTab(lines: Vec<LogLine>) -> impl IntoView {
    if lines.is_empty() {
        return view! {
            <EmptyState icon="📜" title="No activity yet" text="Connections, configuration changes, syncs and webhooks of this integration are logged here."/>
        }
        .into_any();
    }
    view! { <LogList lines testid="activity-log"/> }.into_any()
}
