//! Sync runs, the activity log, raw provider records and the tenant's contacts.

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
                .table("sync_runs")
                .col(id())
                .col(tenant_id())
                .col(big_integer("integration_id"))
                .col(string("trigger"))
                .col(string("mode"))
                .col(string("direction"))
                .col(string("resource"))
                .col(string("status").default("pending"))
                .col(big_integer("records_processed").default(0))
                .col(big_integer("records_created").default(0))
                .col(big_integer("records_updated").default(0))
                .col(big_integer("records_unchanged").default(0))
                .col(big_integer("records_failed").default(0))
                .col(integer("pages_fetched").default(0))
                // Where the next page starts; saved with every committed page.
                .col(text_null("cursor"))
                .col(text_null("error"))
                .col(boolean("cancel_requested").default(false))
                .col(timestamp_with_time_zone_null("started_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut tenant_fk("sync_runs"))
                .foreign_key(&mut fk(
                    "sync_runs",
                    "integration_id",
                    "integrations",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
            vec![
                index("sync_runs", &["tenant_id", "created_at"]),
                index("sync_runs", &["integration_id", "created_at"]),
                index("sync_runs", &["status"]),
            ],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("integration_logs")
                .col(id())
                .col(tenant_id())
                // Kept when the integration or run goes: the tenant's history stays.
                .col(big_integer_null("integration_id"))
                .col(big_integer_null("sync_run_id"))
                .col(string("level"))
                .col(string("event"))
                .col(text("message"))
                .col(json_null("details"))
                .col(created_at())
                .foreign_key(&mut tenant_fk("integration_logs"))
                .foreign_key(&mut fk(
                    "integration_logs",
                    "integration_id",
                    "integrations",
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut fk(
                    "integration_logs",
                    "sync_run_id",
                    "sync_runs",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
            vec![
                index("integration_logs", &["tenant_id", "created_at"]),
                index("integration_logs", &["integration_id", "created_at"]),
                index("integration_logs", &["sync_run_id"]),
            ],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("contacts")
                .col(id())
                .col(tenant_id())
                // Normalised (trimmed, lower case): the key contacts are deduplicated by.
                .col(string_null("email"))
                .col(string_null("first_name"))
                .col(string_null("last_name"))
                .col(string_null("phone"))
                .col(string_null("company"))
                .col(string_null("job_title"))
                .col(json("attributes"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut tenant_fk("contacts"))
                .to_owned(),
            vec![
                unique("contacts", &["tenant_id", "email"]),
                index("contacts", &["tenant_id", "updated_at"]),
            ],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("integration_data")
                .col(id())
                .col(tenant_id())
                .col(big_integer("integration_id"))
                .col(string("resource"))
                .col(string("external_id"))
                // SHA-256 of the canonical record: unchanged records are not rewritten.
                .col(string("content_hash"))
                .col(json("data"))
                .col(big_integer_null("contact_id"))
                .col(timestamp_with_time_zone_null("remote_updated_at"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut tenant_fk("integration_data"))
                .foreign_key(&mut fk(
                    "integration_data",
                    "integration_id",
                    "integrations",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "integration_data",
                    "contact_id",
                    "contacts",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
            vec![
                index("integration_data", &["tenant_id"]),
                unique(
                    "integration_data",
                    &["integration_id", "resource", "external_id"],
                ),
                index("integration_data", &["contact_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(
            manager,
            &[
                "integration_data",
                "contacts",
                "integration_logs",
                "sync_runs",
            ],
        )
        .await
    }
}
