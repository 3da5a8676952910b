//! Small builders shared by the migrations, so every table gets its ids,
//! timestamps, tenant key, foreign keys and indexes the same way.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// `id BIGINT` primary key, auto-incremented.
pub fn id() -> ColumnDef {
    big_pk_auto("id")
}

pub fn created_at() -> ColumnDef {
    timestamp_with_time_zone("created_at")
}

pub fn updated_at() -> ColumnDef {
    timestamp_with_time_zone("updated_at")
}

/// The owning tenant.
pub fn tenant_id() -> ColumnDef {
    big_integer("tenant_id")
}

/// `table.tenant_id → tenants.id`; rows go when their tenant goes.
pub fn tenant_fk(table: &'static str) -> ForeignKeyCreateStatement {
    fk(table, "tenant_id", "tenants", ForeignKeyAction::Cascade)
}

/// A foreign key from `table.column` to `target.id`.
pub fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

/// `CREATE INDEX idx_<table>_<columns> ON table (columns…)`.
pub fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(index_name(table, columns)).table(table);
    for column in columns {
        stmt.col(*column);
    }
    stmt.to_owned()
}

/// The name [`index`] gives.
pub fn index_name(table: &str, columns: &[&str]) -> String {
    format!("idx_{table}_{}", columns.join("_"))
}

/// Like [`index`], unique.
pub fn unique(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = index(table, columns);
    stmt.name(format!("uq_{table}_{}", columns.join("_")))
        .unique();
    stmt
}

/// Creates a table, then its indexes.
pub async fn create(
    manager: &SchemaManager<'_>,
    table: TableCreateStatement,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    manager.create_table(table).await?;
    for index in indexes {
        manager.create_index(index).await?;
    }
    Ok(())
}

/// Drops tables in the order given (children first).
pub async fn drop(manager: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
    for table in tables {
        manager
            .drop_table(Table::drop().table(*table).to_owned())
            .await?;
    }
    Ok(())
}
