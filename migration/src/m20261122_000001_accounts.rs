//! Tenants, their users, browser sessions and API tokens.

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
                .table("tenants")
                .col(id())
                .col(string_uniq("slug"))
                .col(string("name"))
                .col(created_at())
                .col(updated_at())
                .to_owned(),
            vec![],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("users")
                .col(id())
                .col(tenant_id())
                // Stored normalised (trimmed, lower case); one account per address.
                .col(string_uniq("email"))
                .col(string("name"))
                .col(string("password_hash"))
                .col(string("role"))
                .col(boolean("is_platform_owner").default(false))
                .col(boolean("is_active").default(true))
                .col(timestamp_with_time_zone_null("last_login_at"))
                .col(created_at())
                .col(updated_at())
                .foreign_key(&mut tenant_fk("users"))
                .to_owned(),
            vec![index("users", &["tenant_id"])],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("sessions")
                // SHA-256 of the session id: a copy of this table opens no session.
                .col(string("id").primary_key())
                .col(big_integer_null("user_id"))
                .col(blob("data"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(created_at())
                .foreign_key(&mut fk(
                    "sessions",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
            vec![
                index("sessions", &["user_id"]),
                index("sessions", &["expires_at"]),
            ],
        )
        .await?;

        create(
            manager,
            Table::create()
                .table("api_tokens")
                .col(id())
                .col(tenant_id())
                .col(big_integer("user_id"))
                .col(string("name"))
                // The visible start of the token, e.g. `hub_3fa9c1d2`, to recognise it in lists.
                .col(string_uniq("prefix"))
                .col(string_uniq("token_hash"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .col(created_at())
                .foreign_key(&mut tenant_fk("api_tokens"))
                .foreign_key(&mut fk(
                    "api_tokens",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
            vec![
                index("api_tokens", &["tenant_id"]),
                index("api_tokens", &["user_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["api_tokens", "sessions", "users", "tenants"]).await
    }
}
