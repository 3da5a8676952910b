//! The Sync history tab of the settings modal: Sync now, the runs with
//! their counters, live progress of a running run (polled while it runs),
//! cancelling, and each run's log lines.

use leptos::prelude::*;

use crate::api::sync::{load_run, load_runs, CancelRun, SyncNow};
use crate::components::empty_state::EmptyState;
use crate::components::forms::FormMessage;
use crate::components::guard::current_user;
use crate::components::log_list::LogList;
use crate::domain::auth::Role;
use crate::domain::ids::SyncRunId;
use crate::domain::integrations::IntegrationDetail;
use crate::domain::sync::SyncRunView;
use crate::pages::integrations::{after, HubRefresh};

#[component]
pub fn SyncHistory(detail: IntegrationDetail) -> impl IntoView {
    let id = detail.id;
    let can_cancel = current_user().is_some_and(|u| u.can(Role::Admin));
    let syncs = detail.provider.syncs;
    let sync = ServerAction::<SyncNow>::new();
    let cancel = ServerAction::<CancelRun>::new();
    let tick = RwSignal::new(0usize);
    let runs = Resource::new(
        move || (id, tick.get(), sync.version().get(), cancel.version().get()),
        |(id, _, _, _)| load_runs(id),
    );
    let hub = use_context::<HubRefresh>();
    // Poll while a run is under way; refresh the hub's cards once it ends.
    let was_active = StoredValue::new(false);
    Effect::new(move |_| {
        let active = runs
            .get()
            .is_some_and(|r| r.is_ok_and(|runs| runs.iter().any(SyncRunView::is_active)));
        if active {
            after(std::time::Duration::from_millis(1000), move || {
                tick.update(|n| *n += 1)
            });
        } else if was_active.get_value() {
            if let Some(hub) = hub {
                hub.0.update(|n| *n += 1);
            }
        }
        was_active.set_value(active);
    });
    let error = Signal::derive(move || {
        sync.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| cancel.value().get().and_then(|r| r.err()))
            .map(|e| e.to_string())
    });
    let open = RwSignal::new(None::<SyncRunId>);

    view! {
        <div class="history-head">
            <p class="muted small">"Runs of this integration, newest first. A running sync updates here as it goes."</p>
            {syncs.then(|| view! {
                <button type="button" class="btn btn-primary btn-small" data-testid="sync-now"
                    disabled=move || sync.pending().get()
                    on:click=move |_| { sync.dispatch(SyncNow { id }); }>
                    {move || if sync.pending().get() { "Starting…" } else { "Sync now" }}
                </button>
            })}
        </div>
        <FormMessage message=error/>
        <Transition fallback=|| view! { <p class="muted">"Loading runs…"</p> }>
            {move || runs.get().map(|result| match result {
                Ok(list) if list.is_empty() => view! {
                    <EmptyState icon="🕑" title="No syncs yet"
                        text="Press Sync now, or set a schedule in the Sync tab. Each run is listed here with its counters and errors."/>
                }.into_any(),
                Ok(list) => view! {
                    <ol class="runs" data-testid="sync-runs">
                        {list.into_iter().map(|run| view! { <RunRow run can_cancel cancel open/> }).collect_view()}
                    </ol>
                }.into_any(),
                Err(err) => view! { <p class="notice notice-error" role="alert">{err.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

fn status_words(run: &SyncRunView) -> String {
    match run.status.as_str() {
        "pending" => "Waiting for a worker".to_string(),
        "running" if run.cancel_requested => "Cancelling…".to_string(),
        "running" => format!(
            "Running: page {}, {} records so far",
            run.pages + 1,
            run.processed
        ),
        "completed" => "Completed".to_string(),
        "partial" => "Completed with failures".to_string(),
        "failed" => "Failed".to_string(),
        "cancelled" => "Cancelled".to_string(),
        other => other.to_string(),
    }
}

#[component]
fn RunRow(
    run: SyncRunView,
    can_cancel: bool,
    cancel: ServerAction<CancelRun>,
    open: RwSignal<Option<SyncRunId>>,
) -> impl IntoView {
    let id = run.id;
    let active = run.is_active();
    let words = status_words(&run);
    view! {
        <li class=format!("run run-{}", run.status) data-testid="sync-run" data-status=run.status.clone()>
            <div class="run-head">
                <span class=format!("status-pill run-status-{}", run.status)>{words}</span>
                <span class="muted small">
                    {format!("{} · {} {} · {}", run.trigger, run.mode, run.direction, run.resource)}
                </span>
                {run.started.clone().map(|t| view! { <time class="muted small" title=t.exact>{t.relative}</time> })}
                {run.duration.clone().map(|d| view! { <span class="muted small">{d}</span> })}
            </div>
            <dl class="counters" data-testid="run-counters">
                <div><dt>"Processed"</dt><dd data-testid="processed">{run.processed}</dd></div>
                <div><dt>"Created"</dt><dd>{run.created}</dd></div>
                <div><dt>"Updated"</dt><dd>{run.updated}</dd></div>
                <div><dt>"Unchanged"</dt><dd>{run.unchanged}</dd></div>
                <div><dt>"Failed"</dt><dd>{run.failed}</dd></div>
                <div><dt>"Pages"</dt><dd>{run.pages}</dd></div>
            </dl>
            {run.error.clone().map(|e| view! { <p class="notice notice-error small">{e}</p> })}
            <div class="run-actions">
                <button type="button" class="btn btn-ghost btn-small"
                    aria-expanded=move || (open.get() == Some(id)).to_string()
                    on:click=move |_| open.update(|o| *o = if *o == Some(id) { None } else { Some(id) })>
                    {move || if open.get() == Some(id) { "Hide log" } else { "Show log" }}
                </button>
                {(active && can_cancel && !run.cancel_requested).then(|| view! {
                    <button type="button" class="btn btn-ghost btn-small btn-danger-text" data-testid="cancel-run"
                        on:click=move |_| { cancel.dispatch(CancelRun { id }); }>"Cancel"</button>
                })}
            </div>
            {move || (open.get() == Some(id)).then(|| view! { <RunLog id/> })}
        </li>
    }
}

#[component]
fn RunLog(id: SyncRunId) -> impl IntoView {
    let detail = Resource::new(move || id, load_run);
    view! {
        <Suspense fallback=|| view! { <p class="muted small">"Loading the log…"</p> }>
            {move || detail.get().map(|result| match result {
                Ok(detail) if detail.log.is_empty() => view! { <p class="muted small">"Nothing logged yet."</p> }.into_any(),
                Ok(detail) => view! { <LogList lines=detail.log/> }.into_any(),
                Err(err) => view! { <p class="notice notice-error small">{err.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}
