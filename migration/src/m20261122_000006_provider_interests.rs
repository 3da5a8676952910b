//! "Notify me" on coming-soon providers, per tenant.

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
                .table("provider_interests")
                .col(id())
                .col(tenant_id())
                .col(string("provider"))
                // Who asked; the interest stays if they leave.
                .col(big_integer_null("user_id"))
                .col(created_at())
                .foreign_key(&mut tenant_fk("provider_interests"))
                .foreign_key(&mut fk(
                    "provider_interests",
                    "user_id",
                    "users",
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
            vec![unique("provider_interests", &["tenant_id", "provider"])],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["provider_interests"]).await
    }
}
