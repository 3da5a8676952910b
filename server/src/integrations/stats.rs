//! The hub's stats cards, computed from the database on every render.

use app::domain::ids::TenantId;
use app::domain::integrations::{HubStats, TimeText};
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::entities::{integration, sync_run};
use crate::db::scoped::Tenant;
use crate::format;

pub async fn hub_stats(db: &DatabaseConnection, tenant: TenantId) -> Result<HubStats, DbErr> {
    let scope = Tenant(tenant);
    let now = Utc::now();
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
    let failed_syncs_24h = scope
        .find::<sync_run::Entity>()
        .filter(sync_run::Column::Status.eq("failed"))
        .filter(sync_run::Column::FinishedAt.gte(now - Duration::hours(24)))
        .count(db)
        .await?;
    Ok(HubStats {
        active_integrations,
        records_synced_today: records_synced_today.unwrap_or(0).max(0) as u64,
        last_sync: last.and_then(|run| run.finished_at).map(|at| TimeText {
            relative: format::relative(at, now),
            exact: format::exact(at),
        }),
        failed_syncs_24h,
    })
}
