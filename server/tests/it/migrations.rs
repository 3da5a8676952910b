//! The schema: every migration goes up and down cleanly, and every tenant
//! table carries an indexed `tenant_id`.

use migration::{Migrator, MigratorTrait, TENANT_TABLES};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

use crate::helpers::{spawn_app, Db};
use crate::on_both_databases;

on_both_databases!(
    migrations_go_down_and_up_again,
    every_tenant_table_has_an_indexed_tenant_id
);

async fn table_names(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        _ => "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

async fn migrations_go_down_and_up_again(db: Db) {
    let app = spawn_app(db).await;
    let migrated = table_names(&app.db).await;
    for table in TENANT_TABLES.iter().chain(&["tenants", "sessions"]) {
        assert!(
            migrated.contains(&table.to_string()),
            "{table} exists: {migrated:?}"
        );
    }

    Migrator::down(&app.db, None).await.unwrap();
    let after_down = table_names(&app.db).await;
    assert_eq!(
        after_down,
        vec!["seaql_migrations".to_string()],
        "only the bookkeeping table remains"
    );

    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(table_names(&app.db).await, migrated);
    assert!(Migrator::get_pending_migrations(&app.db)
        .await
        .unwrap()
        .is_empty());
}

/// Index names whose first column is `tenant_id`, per table.
async fn tables_with_leading_tenant_index(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    match backend {
        DatabaseBackend::Sqlite => {
            let mut tables = Vec::new();
            for table in TENANT_TABLES {
                let indexes = db
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("PRAGMA index_list('{table}')"),
                    ))
                    .await
                    .unwrap();
                for index in indexes {
                    let name: String = index.try_get("", "name").unwrap();
                    let columns = db
                        .query_all_raw(Statement::from_string(
                            backend,
                            format!("PRAGMA index_info('{name}')"),
                        ))
                        .await
                        .unwrap();
                    let first = columns
                        .iter()
                        .find(|c| c.try_get::<i64>("", "seqno").unwrap() == 0)
                        .map(|c| c.try_get::<String>("", "name").unwrap());
                    if first.as_deref() == Some("tenant_id") {
                        tables.push(table.to_string());
                        break;
                    }
                }
            }
            tables
        }
        _ => {
            let rows = db
                .query_all_raw(Statement::from_string(
                    backend,
                    "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'",
                ))
                .await
                .unwrap();
            let mut tables: Vec<String> = rows
                .iter()
                .filter(|row| {
                    let def: String = row.try_get("", "indexdef").unwrap();
                    def.contains("(tenant_id")
                })
                .map(|row| row.try_get::<String>("", "tablename").unwrap())
                .collect();
            tables.sort();
            tables.dedup();
            tables
        }
    }
}

async fn every_tenant_table_has_an_indexed_tenant_id(db: Db) {
    let app = spawn_app(db).await;
    let indexed = tables_with_leading_tenant_index(&app.db).await;
    for table in TENANT_TABLES {
        assert!(
            indexed.contains(&table.to_string()),
            "{table} has an index starting with tenant_id; indexed: {indexed:?}"
        );
    }
}
