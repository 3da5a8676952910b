//! SQLite write-ahead-log checkpoints off the request path.
//!
//! SQLite copies the WAL back into the database file (a checkpoint, with an
//! fsync) inside whichever commit makes the WAL pass its threshold, so some
//! unlucky request or sync page would pay for copying everything written
//! since the last one. Each process instead checkpoints in the background,
//! a few times a second, without waiting for readers or writers (`PASSIVE`:
//! what cannot be copied now is copied next time). The connections keep a
//! high automatic threshold as a safety net, should this task fall behind.
//! Several processes on one file may all run it; SQLite lets one at a time
//! checkpoint and the others return at once.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};

const EVERY: Duration = Duration::from_millis(200);

/// Runs until the process ends; returns at once on PostgreSQL.
pub async fn run(db: DatabaseConnection) {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return;
    }
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(err) = db
            .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
            .await
        {
            tracing::warn!(error = %err, "WAL checkpoint failed; SQLite's own threshold still applies");
        }
    }
}
