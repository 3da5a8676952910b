//! A revision number per tenant, raised by the database itself whenever a
//! row that the hub page shows changes (integrations, sync runs, provider
//! interests). The server's page cache reuses a rendered page only while its
//! tenant's revision is still the one read before the page was rendered.
//!
//! Triggers rather than application code, so that every writer moves it:
//! any `hub` process on the database, any code path, a test or an operator
//! writing rows directly. On PostgreSQL they fire at commit (deferred), so
//! the tenant row is the last lock a transaction takes. A table whose rows a
//! cached page shows must be in `WATCHED` (a later migration adds it with the
//! same triggers).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables whose every insert, update and delete raises the owning tenant's revision.
pub const WATCHED: &[&str] = &["integrations", "sync_runs", "provider_interests"];

const PG_FUNCTION: &str = r#"
CREATE FUNCTION hub_raise_tenant_revision() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE tenants SET revision = revision + 1 WHERE id = OLD.tenant_id;
        RETURN OLD;
    END IF;
    UPDATE tenants SET revision = revision + 1 WHERE id = NEW.tenant_id;
    IF TG_OP = 'UPDATE' AND OLD.tenant_id IS DISTINCT FROM NEW.tenant_id THEN
        UPDATE tenants SET revision = revision + 1 WHERE id = OLD.tenant_id;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql"#;

/// The statements creating the triggers of `table` on `backend`.
pub(crate) fn create_triggers(backend: DatabaseBackend, table: &str) -> Vec<String> {
    match backend {
        // Deferred to the commit: the tenant row is then locked after every
        // other lock the transaction takes, never between two of them, so two
        // transactions writing rows of one tenant in different orders cannot
        // deadlock on it; and it is held only while the commit runs.
        DatabaseBackend::Postgres => vec![format!(
            "CREATE CONSTRAINT TRIGGER {table}_tenant_revision \
             AFTER INSERT OR UPDATE OR DELETE ON {table} \
             DEFERRABLE INITIALLY DEFERRED \
             FOR EACH ROW EXECUTE FUNCTION hub_raise_tenant_revision()"
        )],
        // SQLite has one writer at a time (every transaction begins IMMEDIATE).
        _ => [
            ("insert", "NEW.tenant_id"),
            ("update", "NEW.tenant_id, OLD.tenant_id"),
            ("delete", "OLD.tenant_id"),
        ]
        .into_iter()
        .map(|(op, ids)| {
            format!(
                "CREATE TRIGGER {table}_tenant_revision_{op} AFTER {} ON {table} \
                 BEGIN UPDATE tenants SET revision = revision + 1 WHERE id IN ({ids}); END",
                op.to_uppercase()
            )
        })
        .collect(),
    }
}

fn drop_triggers(backend: DatabaseBackend, table: &str) -> Vec<String> {
    match backend {
        DatabaseBackend::Postgres => {
            vec![format!(
                "DROP TRIGGER IF EXISTS {table}_tenant_revision ON {table}"
            )]
        }
        _ => ["insert", "update", "delete"]
            .into_iter()
            .map(|op| format!("DROP TRIGGER IF EXISTS {table}_tenant_revision_{op}"))
            .collect(),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("tenants")
                    .add_column(big_integer("revision").default(0))
                    .to_owned(),
            )
            .await?;
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        if backend == DatabaseBackend::Postgres {
            db.execute_unprepared(PG_FUNCTION).await?;
        }
        for table in WATCHED {
            for statement in create_triggers(backend, table) {
                db.execute_unprepared(&statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for table in WATCHED {
            for statement in drop_triggers(backend, table) {
                db.execute_unprepared(&statement).await?;
            }
        }
        if backend == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS hub_raise_tenant_revision()")
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("tenants")
                    .drop_column("revision")
                    .to_owned(),
            )
            .await
    }
}
