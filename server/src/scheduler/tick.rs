//! The scheduler loop: every tick it finds the integrations whose next run
//! is due and fires each once. A fire is claimed by moving `next_run_at`
//! forward with a compare-and-set in the same transaction that creates the
//! run and its job, so several `hub` processes on one database fire each
//! slot exactly once. The next slot is computed from now: fires missed while
//! every process was down run once, not once per missed slot. Paused and
//! errored integrations do not fire.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use tokio::sync::watch;

use super::CronSchedule;
use crate::catalog::Catalog;
use crate::db::entities::integration;
use crate::jobs::Queue;
use crate::sync::runs::{self, StartError};

/// Due schedules looked at per tick (the rest wait for the next tick).
const BATCH: u64 = 1000;

pub struct Scheduler {
    pub db: DatabaseConnection,
    pub catalog: Arc<Catalog>,
    pub queue: Queue,
    pub every: Duration,
}

/// What one tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub due: usize,
    pub fired: usize,
    /// Taken by another process first.
    pub lost: usize,
}

impl Scheduler {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            if let Err(err) = self.tick(Utc::now()).await {
                tracing::warn!(error = %err, "scheduler tick failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Fires every schedule due at `now`.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<Tick, DbErr> {
        let due = integration::Entity::find()
            .filter(integration::Column::Schedule.is_not_null())
            .filter(integration::Column::NextRunAt.lte(now))
            .filter(integration::Column::Status.is_in(["active", "syncing"]))
            .order_by_asc(integration::Column::NextRunAt)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        let mut tick = Tick {
            due: due.len(),
            ..Tick::default()
        };
        // Fires are independent (each claims its own slot), so several go at
        // once: on PostgreSQL that hides the round trips of each transaction.
        let mut fires = tokio::task::JoinSet::new();
        for row in due {
            if fires.len() >= CONCURRENT_FIRES {
                if let Some(result) = fires.join_next().await {
                    count(&mut tick, result);
                }
            }
            let (db, catalog) = (self.db.clone(), self.catalog.clone());
            fires.spawn(async move { (row.id, fire(&db, &catalog, &row, now).await) });
        }
        while let Some(result) = fires.join_next().await {
            count(&mut tick, result);
        }
        if tick.fired > 0 {
            self.queue.wake();
        }
        Ok(tick)
    }
}

/// Fires in flight at once within a tick.
const CONCURRENT_FIRES: usize = 8;

fn count(tick: &mut Tick, result: Result<(i64, Result<bool, DbErr>), tokio::task::JoinError>) {
    match result {
        Ok((_, Ok(true))) => tick.fired += 1,
        Ok((_, Ok(false))) => tick.lost += 1,
        Ok((integration_id, Err(err))) => {
            tracing::warn!(integration_id, error = %err, "could not fire a schedule")
        }
        Err(err) => tracing::warn!(error = %err, "a schedule fire stopped"),
    }
}

/// Claims this slot of `row`'s schedule and starts its run; `false` when another process had it.
async fn fire(
    db: &DatabaseConnection,
    catalog: &Catalog,
    row: &integration::Model,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let next = row
        .schedule
        .as_deref()
        .and_then(|s| CronSchedule::parse(s).ok())
        .and_then(|s| s.next_after(now));
    let txn = db.begin().await?;
    let claimed = integration::Entity::update_many()
        .col_expr(integration::Column::NextRunAt, Expr::value(next))
        .filter(integration::Column::Id.eq(row.id))
        .filter(integration::Column::NextRunAt.eq(row.next_run_at))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(false);
    }
    if let Some(provider) = catalog.provider(&row.provider) {
        match runs::create_runs(&txn, row, provider, "schedule").await {
            Ok(_) => {}
            Err(StartError::Refused(why)) => {
                tracing::debug!(integration_id = row.id, "scheduled sync skipped: {why}")
            }
            Err(StartError::Db(err)) => return Err(err),
        }
    }
    txn.commit().await?;
    Ok(true)
}
