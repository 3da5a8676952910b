//! Connecting to the database (SQLite by default, PostgreSQL when configured)
//! and applying migrations.

pub mod checkpoint;
pub mod entities;
pub mod scoped;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    SqlxPostgresConnector, SqlxSqliteConnector, TransactionOptions, TransactionTrait,
};

use crate::config::DatabaseTarget;

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("HUB_DATA_DIR: cannot use {path} for the database: {reason}")]
    DataDir { path: String, reason: String },
    #[error("DATABASE_URL: cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("cannot apply database migrations: {0}")]
    Migrate(String),
}

/// How long start-up waits for the database before giving up with a message.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a SQLite connection waits for another's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn connect(target: &DatabaseTarget) -> Result<DatabaseConnection, DbSetupError> {
    match target {
        // Four connections: SQLite runs each on a thread of its own, and on a
        // small machine eight of them cost more in thread switches (measured
        // on the hub page) than they gain in concurrent reads.
        DatabaseTarget::Sqlite { path } => connect_sqlite(path, 4, CONNECT_TIMEOUT).await,
        DatabaseTarget::Postgres { url } => {
            let options =
                PgConnectOptions::from_str(url.as_str()).map_err(|e| DbSetupError::Connect {
                    target: target.describe(),
                    reason: e.to_string(),
                })?;
            // Prepared statements are cached per connection; a generic plan made
            // while a table was empty (a seq scan) would outlive its growth. Plan
            // each execution with its values and the table's current size.
            let options = options.options([("plan_cache_mode", "force_custom_plan")]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(CONNECT_TIMEOUT)
                .connect_with(options)
                .await
                .map_err(|e| DbSetupError::Connect {
                    target: target.describe(),
                    reason: one_line(&e),
                })?;
            Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool))
        }
    }
}

/// The connection of the sync engine's page transactions. On SQLite it is
/// a connection of its own: a SQLite connection that finds the database
/// changed by another one discards its whole page cache, so pages stored
/// through a pool of eight would read the indexes back from the kernel
/// almost every time, while through one connection they stay cached.
/// PostgreSQL caches in the server, so there the main pool serves.
pub async fn sync_connection(
    target: &DatabaseTarget,
    main: &DatabaseConnection,
) -> Result<DatabaseConnection, DbSetupError> {
    match target {
        // Its workers take turns on it, each for a page transaction that may
        // wait up to the busy timeout for the write lock: they wait longer.
        DatabaseTarget::Sqlite { path } => connect_sqlite(path, 1, BUSY_TIMEOUT * 3).await,
        DatabaseTarget::Postgres { .. } => Ok(main.clone()),
    }
}

async fn connect_sqlite(
    path: &Path,
    connections: u32,
    acquire_timeout: Duration,
) -> Result<DatabaseConnection, DbSetupError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    ensure_writable_dir(dir).map_err(|reason| DbSetupError::DataDir {
        path: dir.display().to_string(),
        reason,
    })?;
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        // Statement journals (a multi-row insert that may fail halfway
        // needs one) in memory rather than in temporary files.
        .pragma("temp_store", "memory")
        // 16 MB of pages per connection instead of 2 MB: a sync's index
        // lookups stay out of the kernel's page cache.
        .pragma("cache_size", "-16384")
        .pragma("wal_autocheckpoint", "10000");
    let pool = SqlitePoolOptions::new()
        .max_connections(connections)
        // sqlx pings a connection every time it is taken from the pool: for
        // SQLite, an extra trip to the connection's thread before every query,
        // to check a local file that cannot have gone away.
        .test_before_acquire(false)
        .acquire_timeout(acquire_timeout)
        .connect_with(options)
        .await
        .map_err(|e| DbSetupError::Connect {
            target: format!("SQLite at {}", path.display()),
            reason: one_line(&e),
        })?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Creates the directory if needed and proves a file can be written in it,
/// so a read-only or mistyped data dir fails at start with its path in the message.
fn ensure_writable_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let probe = dir.join(format!(".hub-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"ok").map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Starts a transaction that will write; every transaction of the hub
/// starts here. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`, waiting up to the busy timeout): a deferred transaction that
/// reads and then writes fails at its first write, without waiting, when
/// another connection committed in between (`SQLITE_BUSY` on a stale
/// snapshot) — which a job heartbeat on another connection makes likely.
/// PostgreSQL has no such mode and ignores it.
#[allow(clippy::disallowed_methods)] // the one place that begins transactions
pub async fn begin_write<C>(db: &C) -> Result<DatabaseTransaction, DbErr>
where
    C: TransactionTrait<Transaction = DatabaseTransaction>,
{
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbSetupError> {
    Migrator::up(db, None)
        .await
        .map_err(|e| DbSetupError::Migrate(one_line(&e)))
}

/// (applied, known to this binary) migration counts; errors when the database
/// carries migrations this binary does not know (a newer hub migrated it).
pub async fn migration_progress(db: &DatabaseConnection) -> Result<(u32, u32), String> {
    let all = Migrator::get_migration_with_status_read_only(db)
        .await
        .map_err(|e| one_line(&e))?;
    let applied = all
        .iter()
        .filter(|m| m.status() == migration::MigrationStatus::Applied)
        .count();
    Ok((applied as u32, all.len() as u32))
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => "PostgreSQL",
        DatabaseBackend::Sqlite => "SQLite",
        _ => "unsupported",
    }
}

/// An error and its causes on one line.
pub fn one_line(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text.replace('\n', " ")
}
