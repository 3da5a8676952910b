//! Health, readiness and metrics.

use migration::{Migrator, MigratorTrait};
use serde_json::Value;

use app::domain::auth::Role;

use crate::helpers::{spawn_app, Db};
use crate::on_both_databases;

on_both_databases!(
    health_answers_ok,
    ready_when_migrated,
    not_ready_with_a_reason_when_a_migration_is_pending,
    metrics_count_requests_by_route_and_status
);

async fn health_answers_ok(db: Db) {
    let app = spawn_app(db).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

async fn ready_when_migrated(db: Db) {
    let app = spawn_app(db).await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let expected = match db {
        Db::Sqlite => "SQLite",
        Db::Postgres => "PostgreSQL",
    };
    assert_eq!(body["database"], expected);
    let total = Migrator::migrations().len() as u64;
    assert_eq!(body["migrations"]["applied"], total);
    assert_eq!(body["migrations"]["total"], total);
}

async fn not_ready_with_a_reason_when_a_migration_is_pending(db: Db) {
    let app = spawn_app(db).await;
    Migrator::down(&app.db, Some(1)).await.unwrap();
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    let reason = body["reason"].as_str().unwrap();
    assert!(
        reason.contains("1 of") && reason.contains("pending") && reason.contains("hub migrate"),
        "{reason}"
    );
    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(app.get("/readyz").await.status(), 200);
}

async fn metrics_count_requests_by_route_and_status(db: Db) {
    let app = spawn_app(db).await;
    for _ in 0..3 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    let (browser, _) = app.signed_in("acme", "ana@acme.test", Role::Member).await;
    assert_eq!(browser.get("/integrations").await.status(), 200);
    assert_eq!(browser.get("/no/such/page").await.status(), 404);
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"} 3"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/integrations",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"} 3"#
        ),
        "{text}"
    );
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
}
