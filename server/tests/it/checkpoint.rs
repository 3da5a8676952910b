//! SQLite checkpoints in the background: a write reaches the database file
//! itself (not only the write-ahead log) within moments, without any
//! commit having had to pay for it.

#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use app::domain::auth::Role;
use sea_orm::{ConnectionTrait, Database, Statement};

use crate::helpers::{insert_integration, spawn_app, tenant_of, Db};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_reach_the_database_file_in_the_background() {
    let app = spawn_app(Db::Sqlite).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let tenant = tenant_of(&admin).await;
    let id = insert_integration(&app, tenant, "hubspot", "active").await;

    // A copy of the database file alone, as a file-level backup would take
    // it: the row is there once a checkpoint has copied it out of the WAL.
    let source = app.data_dir.path().join("hub.db");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let copy = tempfile::tempdir().unwrap();
        let target = copy.path().join("copy.db");
        std::fs::copy(&source, &target).unwrap();
        let db = Database::connect(format!("sqlite://{}?mode=ro", target.display()))
            .await
            .unwrap();
        // Before any checkpoint even the schema is only in the WAL.
        let found = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM integrations WHERE id = {id}"),
            ))
            .await
            .ok()
            .flatten()
            .and_then(|row| row.try_get::<i64>("", "n").ok())
            .unwrap_or(0);
        db.close().await.unwrap();
        if found == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the write never left the WAL for the database file"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
