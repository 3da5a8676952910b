//! The scheduler loop: every tick it finds the integrations whose next run
//! is due and fires each once. A fire is claimed by moving `next_run_at`
//! forward with a compare-and-set in the same transaction that creates the
//! run and its job, so several `hub` processes on one database fire each
//! slot exactly once. The next slot is computed from now: fires missed while
//! every process was down run once, not once per missed slot. Paused and
//! errored integrations do not fire. A tick's fires share one transaction
//! (a few statements whatever their number), so a burst of due schedules
//! fires in milliseconds rather than one commit at a time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::watch;

use super::CronSchedule;
use crate::catalog::Catalog;
use crate::db::entities::integration;
use crate::jobs::Queue;
use crate::sync::runs;

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
        for chunk in due.chunks(FIRES_PER_TRANSACTION) {
            tick.fired += self.fire(chunk, now).await?;
        }
        tick.lost = tick.due - tick.fired;
        if tick.fired > 0 {
            self.queue.wake();
        }
        Ok(tick)
    }

    /// Claims this slot of each of `due` and starts their runs, all in one
    /// transaction: a few statements whatever the number of fires. Returns
    /// how many were claimed (the others had been taken by another process).
    async fn fire(&self, due: &[integration::Model], now: DateTime<Utc>) -> Result<usize, DbErr> {
        // Rows sharing a slot and a schedule move to the same next slot: one
        // compare-and-set each, rows locked in id order on PostgreSQL.
        let mut groups: BTreeMap<(Option<DateTime<Utc>>, &str), Vec<i64>> = BTreeMap::new();
        for row in due {
            let schedule = row.schedule.as_deref().unwrap_or_default();
            groups
                .entry((row.next_run_at, schedule))
                .or_default()
                .push(row.id);
        }
        let txn = crate::db::begin_write(&self.db).await?;
        let mut claimed = Vec::new();
        for ((slot, schedule), mut ids) in groups {
            ids.sort_unstable();
            let next = CronSchedule::parse(schedule)
                .ok()
                .and_then(|s| s.next_after(now));
            claimed.extend(
                integration::Entity::update_many()
                    .col_expr(integration::Column::NextRunAt, Expr::value(next))
                    .filter(integration::Column::Id.is_in(ids))
                    .filter(integration::Column::NextRunAt.eq(slot))
                    .exec_with_returning(&txn)
                    .await?,
            );
        }
        let starts: Vec<_> = claimed
            .iter()
            .filter_map(|row| Some((row, self.catalog.provider(&row.provider)?)))
            .collect();
        let answers = runs::create_runs_for(&txn, &starts, "schedule").await?;
        txn.commit().await?;
        for ((row, _), answer) in starts.iter().zip(answers) {
            if let Err(why) = answer {
                tracing::debug!(integration_id = row.id, "scheduled sync skipped: {why}");
            }
        }
        Ok(claimed.len())
    }
}

/// Fires claimed and started per transaction.
const FIRES_PER_TRANSACTION: usize = 250;
