//! Sync runs as rows: starting one (a run row and its job, in one
//! transaction), cancelling, the transitions the engine makes, and how a run
//! ends — counters, integration status and activity-log lines together.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::store::Counts;
use super::SYNC_JOB;
use crate::activity::{Entry, Level};
use crate::catalog::Provider;
use crate::db::entities::{integration, sync_run};
use crate::jobs::{NewJob, Queue};

pub const PENDING: &str = "pending";
pub const RUNNING: &str = "running";
pub const COMPLETED: &str = "completed";
pub const PARTIAL: &str = "partial";
pub const FAILED: &str = "failed";
pub const CANCELLED: &str = "cancelled";

pub fn is_finished(status: &str) -> bool {
    matches!(status, COMPLETED | PARTIAL | FAILED | CANCELLED)
}

pub fn mode_words(mode: &str) -> &'static str {
    if mode == "full" {
        "Full"
    } else {
        "Incremental"
    }
}

/// Why a run could not start, in words for the person who asked.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// How a run ended.
pub enum End {
    Done(Counts),
    Cancelled,
    Failed(String),
}

/// Creates a run per synced resource of the integration, each with its job,
/// on `db` (the caller's transaction). A run already under way is returned
/// instead of starting another.
pub async fn create_runs<C: ConnectionTrait>(
    db: &C,
    row: &integration::Model,
    provider: &Provider,
    trigger: &str,
) -> Result<Vec<sync_run::Model>, StartError> {
    let mut started = create_runs_for(db, &[(row, provider)], trigger).await?;
    started
        .pop()
        .unwrap_or(Ok(Vec::new()))
        .map_err(StartError::Refused)
}

/// [`create_runs`] for several integrations in a handful of statements
/// whatever their number (the scheduler starts a tick's fires this way).
/// One answer per integration, in order: its runs, or why it cannot sync.
pub async fn create_runs_for<C: ConnectionTrait>(
    db: &C,
    starts: &[(&integration::Model, &Provider)],
    trigger: &str,
) -> Result<Vec<Result<Vec<sync_run::Model>, String>>, DbErr> {
    let plans: Vec<Result<Vec<String>, String>> = starts
        .iter()
        .map(|(row, provider)| startable(row, provider))
        .collect();
    let eligible: Vec<i64> = starts
        .iter()
        .zip(&plans)
        .filter(|(_, plan)| plan.is_ok())
        .map(|((row, _), _)| row.id)
        .collect();
    let under_way = if eligible.is_empty() {
        Vec::new()
    } else {
        sync_run::Entity::find()
            .filter(sync_run::Column::IntegrationId.is_in(eligible))
            .filter(sync_run::Column::Status.is_in([PENDING, RUNNING]))
            .order_by_asc(sync_run::Column::Id)
            .all(db)
            .await?
    };
    let now = Utc::now();
    let mut new_runs = Vec::new();
    let mut starting = Vec::new();
    for ((row, _), plan) in starts.iter().zip(&plans) {
        let Ok(resources) = plan else { continue };
        if under_way.iter().any(|run| run.integration_id == row.id) {
            continue;
        }
        starting.push(row.id);
        for resource in resources {
            new_runs.push(sync_run::ActiveModel {
                tenant_id: Set(row.tenant_id),
                integration_id: Set(row.id),
                trigger: Set(trigger.to_string()),
                mode: Set(row.sync_mode.clone()),
                direction: Set(row.sync_direction.clone()),
                resource: Set(resource.clone()),
                status: Set(PENDING.to_string()),
                records_processed: Set(0),
                records_created: Set(0),
                records_updated: Set(0),
                records_unchanged: Set(0),
                records_failed: Set(0),
                pages_fetched: Set(0),
                cursor: Set(None),
                error: Set(None),
                cancel_requested: Set(false),
                started_at: Set(None),
                finished_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
    }
    let mut created = Vec::new();
    if !starting.is_empty() {
        created = sync_run::Entity::insert_many(new_runs)
            .exec_with_returning(db)
            .await?;
        Queue::enqueue_many(
            db,
            created
                .iter()
                .map(|run| NewJob::now(Some(run.tenant_id), SYNC_JOB, json!({ "run_id": run.id })))
                .collect(),
        )
        .await?;
        // The card shows the sync at once; the run's end sets the status back.
        integration::Entity::update_many()
            .col_expr(integration::Column::Status, Expr::value("syncing"))
            .filter(integration::Column::Id.is_in(starting))
            .filter(integration::Column::Status.is_in(["active", "error"]))
            .exec(db)
            .await?;
    }
    // Each integration's runs: the ones under way, or the ones just created.
    Ok(starts
        .iter()
        .zip(plans)
        .map(|((row, _), plan)| {
            plan.map(|_| {
                under_way
                    .iter()
                    .chain(&created)
                    .filter(|run| run.integration_id == row.id)
                    .cloned()
                    .collect()
            })
        })
        .collect())
}

/// The resources `row` would sync (one run each), or why it cannot sync.
fn startable(row: &integration::Model, provider: &Provider) -> Result<Vec<String>, String> {
    match row.status.as_str() {
        "inactive" | "pending" => {
            return Err(format!(
                "{} is not connected yet; connect it before syncing.",
                provider.name
            ))
        }
        "paused" => return Err(format!("{} is paused; resume it to sync.", provider.name)),
        _ => {}
    }
    let chosen: Vec<String> = row
        .resources
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut resources: Vec<&str> = provider
        .resources
        .iter()
        .filter(|r| chosen.contains(&r.key))
        .map(|r| r.key.as_str())
        .collect();
    if resources.is_empty() {
        resources = provider.resources.iter().map(|r| r.key.as_str()).collect();
    }
    if resources.is_empty() {
        return Err(format!(
            "{} has nothing to sync: it sends events or messages instead.",
            provider.name
        ));
    }
    Ok(resources.into_iter().map(str::to_string).collect())
}

/// Starts the integration's sync now (`trigger`: manual, schedule, webhook).
pub async fn start(
    db: &DatabaseConnection,
    queue: &Queue,
    row: &integration::Model,
    provider: &Provider,
    trigger: &str,
) -> Result<Vec<sync_run::Model>, StartError> {
    let txn = crate::db::begin_write(db).await?;
    let runs = create_runs(&txn, row, provider, trigger).await?;
    txn.commit().await?;
    queue.wake();
    Ok(runs)
}

/// Asks a run to stop: a pending one is cancelled at once, a running one at
/// its next page boundary.
pub async fn cancel(db: &DatabaseConnection, run: &sync_run::Model) -> Result<(), DbErr> {
    let now = Utc::now();
    if run.status == PENDING {
        let result = sync_run::Entity::update_many()
            .col_expr(sync_run::Column::Status, Expr::value(CANCELLED))
            .col_expr(sync_run::Column::CancelRequested, Expr::value(true))
            .col_expr(sync_run::Column::FinishedAt, Expr::value(now))
            .col_expr(sync_run::Column::UpdatedAt, Expr::value(now))
            .filter(sync_run::Column::Id.eq(run.id))
            .filter(sync_run::Column::Status.eq(PENDING))
            .exec(db)
            .await?;
        if result.rows_affected == 1 {
            return Ok(());
        }
    }
    sync_run::Entity::update_many()
        .col_expr(sync_run::Column::CancelRequested, Expr::value(true))
        .col_expr(sync_run::Column::UpdatedAt, Expr::value(now))
        .filter(sync_run::Column::Id.eq(run.id))
        .filter(sync_run::Column::Status.is_in([PENDING, RUNNING]))
        .exec(db)
        .await?;
    Ok(())
}

/// Saves a run's counters and position (inside the caller's page
/// transaction); `true` when someone asked to cancel the run meanwhile.
pub async fn save_progress<C: sea_orm::ConnectionTrait>(
    db: &C,
    run_id: i64,
    counts: &super::store::Counts,
    pages: i32,
    cursor: Option<super::pager::PageRequest>,
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    let saved = sync_run::Entity::update_many()
        .col_expr(
            sync_run::Column::RecordsProcessed,
            Expr::value(counts.processed),
        )
        .col_expr(
            sync_run::Column::RecordsCreated,
            Expr::value(counts.created),
        )
        .col_expr(
            sync_run::Column::RecordsUpdated,
            Expr::value(counts.updated),
        )
        .col_expr(
            sync_run::Column::RecordsUnchanged,
            Expr::value(counts.unchanged),
        )
        .col_expr(sync_run::Column::RecordsFailed, Expr::value(counts.failed))
        .col_expr(sync_run::Column::PagesFetched, Expr::value(pages))
        .col_expr(
            sync_run::Column::Cursor,
            Expr::value(cursor.as_ref().map(super::pager::PageRequest::to_text)),
        )
        .col_expr(sync_run::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(sync_run::Column::Id.eq(run_id))
        .exec_with_returning(db)
        .await?;
    // A run that is gone counts as cancelled.
    Ok(saved.first().is_none_or(|run| run.cancel_requested))
}

pub async fn cancel_requested(db: &DatabaseConnection, run_id: i64) -> Result<bool, DbErr> {
    #[allow(clippy::disallowed_methods)] // the engine's own run
    let run = sync_run::Entity::find_by_id(run_id).one(db).await?;
    Ok(run.is_none_or(|r| r.cancel_requested))
}

/// Marks the run and its integration as syncing; `true` on the run's first start.
pub async fn mark_running(
    db: &DatabaseConnection,
    run: &sync_run::Model,
    row: &integration::Model,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let mut update = sync_run::Entity::update_many()
        .col_expr(sync_run::Column::Status, Expr::value(RUNNING))
        .col_expr(sync_run::Column::UpdatedAt, Expr::value(now));
    if run.started_at.is_none() {
        update = update.col_expr(sync_run::Column::StartedAt, Expr::value(now));
    }
    update
        .filter(sync_run::Column::Id.eq(run.id))
        .exec(&txn)
        .await?;
    integration::Entity::update_many()
        .col_expr(integration::Column::Status, Expr::value("syncing"))
        .col_expr(integration::Column::UpdatedAt, Expr::value(now))
        .filter(integration::Column::Id.eq(row.id))
        .filter(integration::Column::Status.is_in(["active", "error", "syncing"]))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(run.started_at.is_none())
}

/// When the last successful run of this resource started: "changed since" for incremental runs.
pub async fn last_success_start(
    db: &DatabaseConnection,
    integration_id: i64,
    resource: &str,
    not: i64,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let last = sync_run::Entity::find()
        .filter(sync_run::Column::IntegrationId.eq(integration_id))
        .filter(sync_run::Column::Resource.eq(resource))
        .filter(sync_run::Column::Status.is_in([COMPLETED, PARTIAL]))
        .filter(sync_run::Column::Id.ne(not))
        .order_by_desc(sync_run::Column::StartedAt)
        .one(db)
        .await?;
    Ok(last.and_then(|r| r.started_at))
}

/// Ends the run: its status and counters, the integration's status, and the log, together.
pub async fn finish(db: &DatabaseConnection, run_id: i64, end: End) -> Result<(), DbErr> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    #[allow(clippy::disallowed_methods)] // the engine's own run
    let Some(run) = sync_run::Entity::find_by_id(run_id).one(&txn).await?
    else {
        return Ok(());
    };
    if is_finished(&run.status) {
        return Ok(());
    }
    let took = run
        .started_at
        .map(|at| crate::format::duration_words(now - at))
        .unwrap_or_default();
    let mut active: sync_run::ActiveModel = run.clone().into();
    active.finished_at = Set(Some(now));
    active.updated_at = Set(now);
    active.cursor = Set(None);
    let started = run.started_at.is_some();
    let integration_update = integration::Entity::update_many()
        .col_expr(integration::Column::UpdatedAt, Expr::value(now))
        .filter(integration::Column::Id.eq(run.integration_id));
    let entry = match end {
        End::Done(counts) => {
            let status = if counts.failed > 0 {
                PARTIAL
            } else {
                COMPLETED
            };
            active.status = Set(status.to_string());
            active.error = Set(None);
            integration_update
                .col_expr(integration::Column::LastSyncedAt, Expr::value(now))
                .col_expr(integration::Column::ErrorCount, Expr::value(0))
                .col_expr(
                    integration::Column::LastError,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    integration::Column::Status,
                    Expr::case(
                        integration::Column::Status.is_in(["syncing", "error"]),
                        "active",
                    )
                    .finally(Expr::col(integration::Column::Status))
                    .into(),
                )
                .exec(&txn)
                .await?;
            Entry::integration(
                run.tenant_id,
                run.integration_id,
                "sync.completed",
                format!(
                    "Synced {} records in {took}: {} created, {} updated, {} unchanged, {} failed.",
                    counts.processed,
                    counts.created,
                    counts.updated,
                    counts.unchanged,
                    counts.failed
                ),
            )
            .details(json!({
                "processed": counts.processed,
                "created": counts.created,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "failed": counts.failed,
            }))
            .level(if counts.failed > 0 {
                Level::Warning
            } else {
                Level::Info
            })
        }
        End::Cancelled => {
            active.status = Set(CANCELLED.to_string());
            integration_update
                .col_expr(
                    integration::Column::Status,
                    Expr::case(integration::Column::Status.eq("syncing"), "active")
                        .finally(Expr::col(integration::Column::Status))
                        .into(),
                )
                .exec(&txn)
                .await?;
            Entry::integration(
                run.tenant_id,
                run.integration_id,
                "sync.cancelled",
                if started {
                    format!(
                        "The sync was cancelled after {} records.",
                        run.records_processed
                    )
                } else {
                    "The sync was cancelled before it started.".to_string()
                },
            )
        }
        End::Failed(message) => {
            active.status = Set(FAILED.to_string());
            active.error = Set(Some(message.clone()));
            integration_update
                .col_expr(integration::Column::Status, Expr::value("error"))
                .col_expr(integration::Column::LastError, Expr::value(message.clone()))
                .col_expr(integration::Column::LastErrorAt, Expr::value(now))
                .col_expr(
                    integration::Column::ErrorCount,
                    Expr::col(integration::Column::ErrorCount).add(1),
                )
                .exec(&txn)
                .await?;
            Entry::integration(
                run.tenant_id,
                run.integration_id,
                "sync.failed",
                format!("The sync failed: {message}"),
            )
            .level(Level::Error)
        }
    };
    active.update(&txn).await?;
    entry.run(run.id).write(&txn).await?;
    txn.commit().await
}
