//! The hub's stats cards, computed from the database on every render.

use app::domain::ids::TenantId;
use app::domain::integrations::{HubStats, TimeText};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::entities::{integration, sync_run};
use crate::db::scoped::Tenant;
use crate::format;

/// The stats cards and when, with no write in between, they next change by
/// themselves (a time text moves, a day starts, a failed run leaves the 24 hours).
pub async fn hub_stats(
    db: &DatabaseConnection,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Result<(HubStats, Option<DateTime<Utc>>), DbErr> {
    let scope = Tenant(tenant);
    let active_integrations = scope
        .find::<integration::Entity>()
        .filter(integration::Column::Status.is_in(["active", "syncing"]))
        .count(db)
        .await?;
    let start_of_day = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or(now);
    let records_synced_today: Option<i64> = scope
        .find::<sync_run::Entity>()
        .select_only()
        // SUM of BIGINT is NUMERIC on PostgreSQL; cast so both databases answer an integer.
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(records_processed), 0) AS BIGINT)"),
            "total",
        )
        .filter(sync_run::Column::FinishedAt.gte(start_of_day))
        .into_tuple()
        .one(db)
        .await?;
    let last = scope
        .find::<sync_run::Entity>()
        .filter(sync_run::Column::Status.is_in(["completed", "partial"]))
        .filter(sync_run::Column::FinishedAt.is_not_null())
        .order_by_desc(sync_run::Column::FinishedAt)
        .one(db)
        .await?;
    let failed: Option<(i64, Option<DateTime<Utc>>)> = scope
        .find::<sync_run::Entity>()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "failed")
        .column_as(sync_run::Column::FinishedAt.min(), "oldest")
        .filter(sync_run::Column::Status.eq("failed"))
        .filter(sync_run::Column::FinishedAt.gte(now - Duration::hours(24)))
        .into_tuple()
        .one(db)
        .await?;
    let (failed_syncs_24h, oldest_failure) = failed.unwrap_or((0, None));
    let last_sync = last.and_then(|run| run.finished_at);
    let changes_at = [
        Some(start_of_day + Duration::days(1)),
        oldest_failure.map(|oldest| oldest + Duration::hours(24)),
        last_sync.and_then(|at| format::relative_changes_at(at, now)),
    ]
    .into_iter()
    .flatten()
    .min();
    let stats = HubStats {
        active_integrations,
        records_synced_today: records_synced_today.unwrap_or(0).max(0) as u64,
        last_sync: last_sync.map(|at| TimeText {
            relative: format::relative(at, now),
            exact: format::exact(at),
        }),
        failed_syncs_24h: failed_syncs_24h.max(0) as u64,
    };
    Ok((stats, changes_at))
}
