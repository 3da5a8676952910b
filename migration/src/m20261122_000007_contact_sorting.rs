//! Indexes for the contacts page's sort orders: a page deep into 100,000
//! contacts sorted by name or company reads the index, not the table.

use crate::helpers::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: &[&[&str]] = &[
    &["tenant_id", "last_name", "first_name", "id"],
    &["tenant_id", "company", "id"],
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for columns in INDEXES {
            manager.create_index(index("contacts", columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for columns in INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(index_name("contacts", columns))
                        .table("contacts")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
