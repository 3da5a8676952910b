//! Fresh planner statistics while a sync grows its tables.
//!
//! PostgreSQL plans every query from its table statistics, which autovacuum
//! refreshes only some time after a table has grown. While a first sync
//! fills `integration_data` from nothing to 100,000 rows, the planner still
//! believes the integration has a handful of records and finds a page's
//! records by reading all of the integration's rows instead of probing the
//! unique index once per record — each page slower than the one before. A
//! run therefore refreshes the statistics of the tables it writes once it
//! has written more rows than the planner believes they hold, checking again
//! each time its own count doubles. SQLite needs none of this: its plans do
//! not depend on statistics the hub never gathers.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};

/// The tables a run writes, with the columns its lookups filter on.
const TABLES: &[(&str, &str)] = &[
    ("integration_data", "integration_id, resource, external_id"),
    ("contacts", "tenant_id, email"),
];

/// When a run next looks at the planner's row counts.
pub struct PlannerStatistics {
    next_check: i64,
}

impl PlannerStatistics {
    /// Rows a run writes before its first check.
    const FIRST_CHECK: i64 = 1_000;

    pub fn new() -> Self {
        Self {
            next_check: Self::FIRST_CHECK,
        }
    }

    /// After a page: `written` is how many records this run has stored so far.
    pub async fn after_page(&mut self, db: &DatabaseConnection, written: i64) {
        if db.get_database_backend() != DatabaseBackend::Postgres || written < self.next_check {
            return;
        }
        self.next_check = written.saturating_mul(2);
        if let Err(err) = refresh(db, written).await {
            // Only speed is at stake; autovacuum gets there eventually.
            tracing::warn!(error = %err, "could not refresh the planner's statistics");
        }
    }
}

impl Default for PlannerStatistics {
    fn default() -> Self {
        Self::new()
    }
}

/// Analyzes each table the planner believes smaller than `written` rows.
async fn refresh(db: &DatabaseConnection, written: i64) -> Result<(), DbErr> {
    for (table, columns) in TABLES {
        let believed = db
            .query_one_raw(Statement::from_string(
                DatabaseBackend::Postgres,
                format!(
                    "SELECT reltuples::bigint AS n FROM pg_class WHERE oid = '{table}'::regclass"
                ),
            ))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(-1);
        // -1: never analyzed.
        if believed < written {
            tracing::debug!(table, believed, written, "refreshing planner statistics");
            db.execute_unprepared(&format!("ANALYZE {table} ({columns})"))
                .await?;
        }
    }
    Ok(())
}
