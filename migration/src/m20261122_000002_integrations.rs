//! Integrations (one per provider per tenant), per-tenant OAuth apps,
//! pending OAuth authorisations and field mappings.

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
                .table("integrations")
                .col(id())
                .col(tenant_id())
                .col(string("provider"))
                .col(string("status").default("inactive"))
                // key-version ‖ nonce ‖ AES-256-GCM ciphertext of the credential JSON.
                .col(blob_null("credentials"))
                // Non-secret settings from the provider's field schema.
                .col(json("config"))
                .col(string_null("schedule"))
                .col(string("sync_mode").default("incremental"))
                .col(string("sync_direction").default("pull"))
                .col(json("resources"))
                .col(timestamp_with_time_zone_null("next_run_at"))
                .col(integer("error_count").default(0))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone_null("last_error_at"))
                .col(timestamp_with_time_zone_null("last_synced_at"))
                .col(timestamp_with_time_zone_null("connected_at"))
                .col(timestamp_with_time_zone_null("token_expires_at"))
                // Cross-process single-flight token refresh.
                .col(string_null("refresh_lease_owner"))
                .col(timestamp_with_time_zone_null("refresh_lease_expires_at"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut tenant_fk("integrations"))
                .to_owned(),
            vec![
                unique("integrations", &["tenant_id", "provider"]),
                index("integrations", &["next_run_at"]),
            ],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("oauth_apps")
                .col(id())
                .col(tenant_id())
                .col(string("provider"))
                .col(string("client_id"))
                .col(blob("client_secret"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut tenant_fk("oauth_apps"))
                .to_owned(),
            vec![unique("oauth_apps", &["tenant_id", "provider"])],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("oauth_states")
                .col(id())
                .col(tenant_id())
                .col(big_integer("integration_id"))
                .col(big_integer("user_id"))
                // Binds the authorisation to the browser session that started it.
                .col(string("session_hash"))
                .col(string_uniq("state_hash"))
                .col(blob("pkce_verifier"))
                .col(text("redirect_uri"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("used_at"))
                .col(created_at())
                .foreign_key(&mut tenant_fk("oauth_states"))
                .foreign_key(&mut fk(
                    "oauth_states",
                    "integration_id",
                    "integrations",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "oauth_states",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
            vec![
                index("oauth_states", &["tenant_id"]),
                index("oauth_states", &["expires_at"]),
            ],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("field_mappings")
                .col(id())
                .col(tenant_id())
                .col(big_integer("integration_id"))
                .col(string("resource"))
                .col(string("source_field"))
                .col(string("target_field"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut tenant_fk("field_mappings"))
                .foreign_key(&mut fk(
                    "field_mappings",
                    "integration_id",
                    "integrations",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
            vec![
                index("field_mappings", &["tenant_id"]),
                unique(
                    "field_mappings",
                    &["integration_id", "resource", "target_field"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(
            manager,
            &[
                "field_mappings",
                "oauth_states",
                "oauth_apps",
                "integrations",
            ],
        )
        .await
    }
}
