//! The scheduler with 10,000 scheduled integrations (667 workspaces × the 15
//! providers that sync): the cost of a tick when nothing is due, beside the cost of
//! one trivial query in the same run; then the fire delay (run created −
//! slot time) when all of them fall due over 20 seconds, fired by the hub's
//! own scheduler loop. On SQLite, and on PostgreSQL when it answers.
//!
//!     cargo bench -p server --bench scheduler_tick [-- --integrations 10000]

mod support;

use std::time::{Duration, Instant};

use chrono::{DurationRound, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, Statement};
use server::db::entities::{integration, sync_run};
use support::*;

struct Result {
    database: &'static str,
    tick: Duration,
    baseline: Duration,
    fired: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

async fn measure(database: &'static str, count: usize, url: Option<String>) -> Result {
    let mut extra = vec![("HUB_WORKERS", "0")];
    if let Some(url) = url.as_deref() {
        extra.push(("DATABASE_URL", url));
    }
    let hub = spawn_hub_with(&extra).await;
    let catalog = hub.state.catalog.clone();
    let providers: Vec<String> = catalog
        .providers()
        .iter()
        .filter(|p| !p.resources.is_empty()) // the providers that sync
        .map(|p| p.key.clone())
        .collect();
    let now = Utc::now();
    let far = now + chrono::Duration::days(1);
    let tenants = count.div_ceil(providers.len());
    for t in 0..tenants {
        let tenant_id =
            insert_workspace(&hub.db, &format!("bench-{t}"), &format!("Bench {t}")).await;
        let rows =
            providers
                .iter()
                .take(count - t * providers.len())
                .map(|p| integration::ActiveModel {
                    schedule: Set(Some("* * * * *".into())),
                    next_run_at: Set(Some(far)),
                    ..integration_row(tenant_id, p, "active")
                });
        integration::Entity::insert_many(rows)
            .exec(&hub.db)
            .await
            .unwrap();
    }

    // A tick with nothing due, beside the simplest query.
    let scheduler = hub.state.scheduler();
    let rounds = 200;
    let started = Instant::now();
    for _ in 0..rounds {
        assert_eq!(scheduler.tick(Utc::now()).await.unwrap().fired, 0);
    }
    let tick = started.elapsed() / rounds;
    let backend = hub.db.get_database_backend();
    let started = Instant::now();
    for _ in 0..rounds {
        hub.db
            .query_one_raw(Statement::from_string(backend, "SELECT 1"))
            .await
            .unwrap();
    }
    let baseline = started.elapsed() / rounds;

    // All fall due over 20 s, in whole-second slots; the hub's loop fires them.
    let first_slot = (Utc::now() + chrono::Duration::seconds(2))
        .duration_trunc(chrono::Duration::seconds(1))
        .unwrap();
    let ids: Vec<i64> = integration::Entity::find()
        .all(&hub.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    for (i, chunk) in ids.chunks(ids.len().div_ceil(20)).enumerate() {
        let slot = first_slot + chrono::Duration::seconds(i as i64);
        integration::Entity::update_many()
            .col_expr(
                integration::Column::NextRunAt,
                sea_orm::sea_query::Expr::value(slot),
            )
            .filter(sea_orm::ColumnTrait::is_in(
                &integration::Column::Id,
                chunk.to_vec(),
            ))
            .exec(&hub.db)
            .await
            .unwrap();
    }
    let slot_of = |id: i64| {
        let i = ids.iter().position(|x| *x == id).unwrap() / ids.len().div_ceil(20);
        first_slot + chrono::Duration::seconds(i as i64)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    // Counting (not loading) the runs while waiting keeps the watcher's load small.
    loop {
        let runs = sync_run::Entity::find().count(&hub.db).await.unwrap() as usize;
        if runs >= ids.len() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let runs = sync_run::Entity::find().all(&hub.db).await.unwrap();
    let mut delays: Vec<Duration> = runs
        .iter()
        .map(|r| {
            (r.created_at - slot_of(r.integration_id))
                .to_std()
                .unwrap_or_default()
        })
        .collect();
    delays.sort();
    Result {
        database,
        tick,
        baseline,
        fired: runs.len(),
        p50: percentile(&delays, 0.5),
        p99: percentile(&delays, 0.99),
        max: *delays.last().unwrap(),
    }
}

#[tokio::main]
async fn main() {
    let count = number_arg("--integrations", 10_000) as usize;
    let mut results = vec![measure("SQLite", count, None).await];
    match fresh_postgres("hub_bench_scheduler").await {
        Some(url) => results.push(measure("PostgreSQL", count, Some(url)).await),
        None => println!("(PostgreSQL did not answer; measured on SQLite only)"),
    }
    println!(
        "scheduler with {count} scheduled integrations, {} cores",
        cores()
    );
    println!("| database | idle tick | `SELECT 1` | tick ÷ SELECT 1 | fired | fire delay p50 | p99 (target < 1 s) | max |");
    println!("|---|---|---|---|---|---|---|---|");
    for r in &results {
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.1}× | {} of {count} | {:.0} ms | {:.0} ms | {:.0} ms |",
            r.database,
            ms(r.tick),
            ms(r.baseline),
            r.tick.as_secs_f64() / r.baseline.as_secs_f64(),
            r.fired,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
        );
    }
}
