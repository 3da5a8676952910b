//! The durable job queue: syncs, webhook processing and deliveries are rows
//! that workers claim with a lease.

use crate::helpers::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(
            manager,
            Table::create()
                .table("jobs")
                .col(id())
                // Null for deployment-wide housekeeping jobs.
                .col(big_integer_null("tenant_id"))
                .col(string("kind"))
                .col(json("payload"))
                .col(string("status").default("queued"))
                .col(timestamp_with_time_zone("run_at"))
                .col(integer("attempts").default(0))
                .col(integer("max_attempts").default(5))
                .col(string_null("lease_owner"))
                .col(timestamp_with_time_zone_null("lease_expires_at"))
                .col(text_null("last_error"))
                .col(created_at())
                .col(updated_at())
                .col(timestamp_with_time_zone_null("finished_at"))
                .foreign_key(&mut tenant_fk("jobs"))
                .to_owned(),
            vec![
                index("jobs", &["tenant_id"]),
                index("jobs", &["status", "run_at"]),
                index("jobs", &["lease_expires_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["jobs"]).await
    }
}
