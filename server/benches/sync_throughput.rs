//! Sync throughput: a full sync of N contacts from the sandbox (ActiveCampaign,
//! 100 per page) through the real job queue and engine, beside a loop that
//! only fetches and discards the same pages, in the same run; the growth of
//! resident memory during the sync; then an incremental sync after 1% of the
//! records changed, as a fraction of the full sync's time; then the same
//! pages stored alone, and the database alone writing as many rows by itself
//! (committing every 100 records, and in one transaction): the ceilings the
//! sync runs under. On SQLite, and on PostgreSQL when the local server answers.
//!
//!     cargo bench -p server --bench sync_throughput [-- --records 100000] [--only sqlite|postgres]

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::auth::Role;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Set,
    Statement,
};
use server::connections::Credentials;
use server::db::entities::{integration, sync_run, tenant};
use server::sync::fetch::{ApiSession, RetryPolicy};
use server::sync::mapping::Mapping;
use server::sync::{pager, path, runs, store};
use support::*;

const PROVIDER: &str = "activecampaign";

struct Result {
    database: &'static str,
    /// p50 of the contacts page (search; deep page sorted by company) and of `/api/v1/me`.
    contacts_search: Duration,
    contacts_deep: Duration,
    me: Duration,
    fetch: Duration,
    full: Duration,
    store_only: Duration,
    floor_bulk: Duration,
    floor_pages: Duration,
    incremental: Duration,
    changed: u64,
    growth: u64,
}

/// Walks every page of the resource in the sandbox as the engine's pager
/// does, handing each page's records to `each`.
async fn each_page(hub: &Hub, mut each: impl AsyncFnMut(Vec<serde_json::Value>)) {
    let provider = hub.state.catalog.provider(PROVIDER).unwrap();
    let resource = &provider.resources[0];
    let pagination = &provider.api.as_ref().unwrap().pagination;
    let http = server::connections::http_client();
    let values = server::sandbox::credentials::for_provider(PROVIDER);
    let mut session = ApiSession::new(
        &http,
        provider,
        values,
        BTreeMap::new(),
        None,
        RetryPolicy::default(),
    );
    let mut request = pager::PageRequest::First;
    loop {
        let mut query = resource.params.clone();
        query.extend(pager::query_for(pagination, &request));
        let url = session
            .client()
            .unwrap()
            .url(&resource.path, &query)
            .unwrap();
        let mut page = session.get(url, &BTreeMap::new()).await.unwrap();
        let records = match path::take(&mut page.body, &resource.records_path) {
            Some(serde_json::Value::Array(records)) => records,
            _ => Vec::new(),
        };
        let count = records.len();
        each(records).await;
        match pager::next(pagination, &request, &page.body, &page.headers, count) {
            Some(next) => request = next,
            None => break,
        }
    }
}

/// Fetching alone: every page fetched and its records discarded.
async fn fetch_only(hub: &Hub) -> (Duration, u64) {
    let started = Instant::now();
    let mut total = 0u64;
    each_page(hub, async |records| total += records.len() as u64).await;
    (started.elapsed(), total)
}

/// The database's share alone: the same pages, each fetched first (not
/// timed) and then stored by the engine's `store_page` in a page
/// transaction of its own on the sync's connection, into a second
/// workspace, so every record is new as in the full sync. What the engine
/// adds to this (the fetch, the run's progress, the lease) it overlaps or
/// pays on top; when this alone is under the target ratio, the sync is too.
async fn store_only(hub: &Hub) -> Duration {
    let provider = hub.state.catalog.provider(PROVIDER).unwrap();
    let resource = &provider.resources[0];
    let (tenant_id, integration_id) = scratch_workspace(hub, "store-only").await;
    let mapping = Mapping::with_overrides(resource, &[]);
    let target = store::Target {
        tenant_id,
        integration_id,
        resource: &resource.key,
        id_field: &resource.id_field,
        updated_field: resource.updated_field.as_deref(),
        mapping: &mapping,
    };
    let mut storing = Duration::ZERO;
    each_page(hub, async |records| {
        let started = Instant::now();
        let txn = store::begin_page(&hub.state.sync_db).await.unwrap();
        store::store_page(&txn, &target, records).await.unwrap();
        txn.commit().await.unwrap();
        storing += started.elapsed();
    })
    .await;
    storing
}

/// A workspace of its own with an integration of the benchmark's provider:
/// (tenant id, integration id).
async fn scratch_workspace(hub: &Hub, slug: &str) -> (i64, i64) {
    let workspace = insert_workspace(&hub.db, slug, slug).await;
    let row = integration_row(workspace, PROVIDER, "active")
        .insert(&hub.db)
        .await
        .unwrap();
    (workspace, row.id)
}

/// The database alone: as many contacts and raw records as the sync
/// stored, with as many bytes of JSON each, made by the database itself
/// (`INSERT … SELECT` over a generated series) into a workspace of its
/// own, committing every `per_commit` records — no client, no driver round
/// trips per record, no lookups. No sync into this schema that commits as
/// often can store faster; its ratio to the fetch loop is the ceiling of
/// the sync's.
async fn database_floor(hub: &Hub, records: u64, synced: i64, per_commit: u64) -> Duration {
    let db = &hub.state.sync_db;
    let backend = db.get_database_backend();
    let postgres = backend == DatabaseBackend::Postgres;
    let (tenant_id, integration_id) = scratch_workspace(hub, &format!("floor-{per_commit}")).await;
    let now = chrono::Utc::now();
    // Where the dialects differ: parameters, the generated series, casts, a hash.
    let (p, series, empty, text, cast, hash) = if postgres {
        (
            "$",
            "generate_series($3, $4 - 1) AS g(i)",
            "'{}'::json",
            "::text",
            "::json",
            "md5(c.email) || md5(c.phone)",
        )
    } else {
        (
            "?",
            "(WITH RECURSIVE g(i) AS (SELECT ?3 UNION ALL SELECT i + 1 FROM g WHERE i < ?4 - 1) SELECT i FROM g)",
            "'{}'",
            "",
            "",
            "hex(randomblob(32))",
        )
    };
    // The same shapes as the sandbox's people: keys spread like theirs
    // (`first.last.n@…`, 20 × 24 names, 10 companies and titles).
    let contacts = format!(
        "INSERT INTO contacts (tenant_id, email, first_name, last_name, phone, company, job_title, attributes, created_at, updated_at) \
         SELECT {p}1, 'first' || (i % 20) || '.last' || ((i / 20) % 24) || '.' || i || '@example.com', \
         'First' || (i % 20), 'Last' || ((i / 20) % 24), '+1555' || i, 'Company ' || (i * 7 % 10), \
         'Title ' || (i % 10), {empty}, {p}2, {p}2 FROM {series}"
    );
    // Each raw record as long as the synced ones are on average.
    let json = "'{\"id\":\"' || c.id || '\",\"email\":\"' || c.email || '\",\"firstName\":\"' || c.first_name \
        || '\",\"lastName\":\"' || c.last_name || '\",\"phone\":\"' || c.phone || '\",\"orgname\":\"' \
        || c.company || '\",\"pad\":\"' || {pad} || '\"}'";
    let data = format!(
        "INSERT INTO integration_data (tenant_id, integration_id, resource, external_id, content_hash, data, contact_id, remote_updated_at, created_at, updated_at) \
         SELECT c.tenant_id, {p}1, 'contacts', CAST(c.id AS TEXT), {hash}, ({}){cast}, c.id, {p}3, {p}3, {p}3 \
         FROM contacts c WHERE c.id > {p}4",
        json.replace("{pad}", &format!("{p}2"))
    );
    let real = number(db, format!(
        "SELECT CAST(AVG(LENGTH(data{text})) AS DOUBLE PRECISION) FROM integration_data WHERE integration_id = {synced}"
    ))
    .await as usize;
    let last_contact = "SELECT CAST(COALESCE(MAX(id), 0) AS DOUBLE PRECISION) FROM contacts";
    // A page's raw records are made from the contacts it just made: those
    // after the last one before it (nothing else writes meanwhile), found by
    // the primary key, so that no plan reads the workspace's older rows.
    let mut pad = None;
    let mut took = Duration::ZERO;
    for start in (0..records).step_by(per_commit as usize) {
        let after = number(db, last_contact).await as i64;
        let end = (start + per_commit).min(records);
        let txn = server::db::begin_write(db).await.unwrap();
        let started = Instant::now();
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            contacts.clone(),
            [
                tenant_id.into(),
                now.into(),
                (start as i64).into(),
                (end as i64).into(),
            ],
        ))
        .await
        .unwrap();
        took += started.elapsed();
        let pad = match &pad {
            Some(pad) => pad,
            None => {
                let bare = number(&txn, format!(
                    "SELECT CAST(AVG(LENGTH({})) AS DOUBLE PRECISION) FROM contacts c WHERE c.tenant_id = {tenant_id}",
                    json.replace("{pad}", "''")
                ))
                .await as usize;
                pad.insert("x".repeat(real.saturating_sub(bare)))
            }
        };
        let started = Instant::now();
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            data.clone(),
            [
                integration_id.into(),
                pad.clone().into(),
                now.into(),
                after.into(),
            ],
        ))
        .await
        .unwrap();
        txn.commit().await.unwrap();
        took += started.elapsed();
    }
    let stored = number(db, format!(
        "SELECT CAST(COUNT(*) AS DOUBLE PRECISION) FROM integration_data WHERE integration_id = {integration_id}"
    ))
    .await;
    assert_eq!(stored as u64, records, "the floor stored every record once");
    took
}

/// The first column of a one-row query's result.
async fn number(db: &impl ConnectionTrait, sql: impl Into<String>) -> f64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<f64>(0).unwrap()
}

async fn sync(hub: &Hub, id: i64, mode: &str) -> (Duration, sync_run::Model) {
    let row = integration::Entity::find()
        .filter(integration::Column::Id.eq(id))
        .one(&hub.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: integration::ActiveModel = row.into();
    active.sync_mode = Set(mode.into());
    let row = active.update(&hub.db).await.unwrap();
    let provider = hub.state.catalog.provider(PROVIDER).unwrap();
    let started = Instant::now();
    let run = runs::start(&hub.db, &hub.state.queue, &row, provider, "manual")
        .await
        .unwrap()
        .remove(0);
    loop {
        let now = sync_run::Entity::find()
            .filter(sync_run::Column::Id.eq(run.id))
            .one(&hub.db)
            .await
            .unwrap()
            .unwrap();
        if runs::is_finished(&now.status) {
            assert_eq!(now.status, "completed", "{now:?}");
            return (started.elapsed(), now);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn measure(database: &'static str, records: u64, database_url: Option<String>) -> Result {
    let records_text = records.to_string();
    let mut extra = vec![
        ("HUB_SANDBOX_RECORDS", records_text.as_str()),
        ("HUB_WORKERS", "1"),
    ];
    if let Some(url) = database_url.as_deref() {
        extra.push(("DATABASE_URL", url));
    }
    let hub = spawn_hub_with(&extra).await;
    create_users(&hub.db, 1, Role::Admin).await;
    let tenant = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq("bench"))
        .one(&hub.db)
        .await
        .unwrap()
        .unwrap();
    let row = integration::ActiveModel {
        sync_mode: Set("full".into()),
        ..integration_row(tenant.id, PROVIDER, "active")
    }
    .insert(&hub.db)
    .await
    .unwrap();
    let mut credentials = Credentials::default();
    for (k, v) in server::sandbox::credentials::for_provider(PROVIDER) {
        credentials.set(k, v);
    }
    let sealed = credentials
        .seal(
            &hub.state.keyring,
            server::integrations::credentials_subject(&row),
        )
        .unwrap();
    let id = row.id;
    let mut active: integration::ActiveModel = row.into();
    active.credentials = Set(Some(sealed));
    active.update(&hub.db).await.unwrap();

    let (fetch, fetched) = fetch_only(&hub).await;
    assert_eq!(fetched, records);

    // Resident memory, sampled while the full sync runs.
    let before = resident_bytes();
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(resident_bytes(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let (full, run) = sync(&hub, id, "full").await;
    done.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    assert_eq!(run.records_created as u64, records);

    // The contacts page over everything the sync brought in.
    let browser = client(&hub.base);
    assert!(sign_in(&browser, &hub.base, "user0@bench.test").await);
    let p50 = |url: String| {
        let browser = browser.clone();
        async move {
            let mut times = Vec::new();
            for _ in 0..21 {
                let at = Instant::now();
                let response = browser.get(&url).send().await.unwrap();
                assert_eq!(response.status(), 200, "{url}");
                let _ = response.bytes().await.unwrap();
                times.push(at.elapsed());
            }
            times.sort();
            percentile(&times, 0.5)
        }
    };
    let deep_page = (records / 50 / 2).max(1);
    let contacts_search = p50(format!("{}/contacts?q=lovelace.1", hub.base)).await;
    let contacts_deep = p50(format!(
        "{}/contacts?sort=company&page={deep_page}",
        hub.base
    ))
    .await;
    let me = p50(format!("{}/api/v1/me", hub.base)).await;

    let changed = (records / 100).max(1);
    hub.state
        .sandbox
        .as_ref()
        .unwrap()
        .change_records(PROVIDER, changed);
    let (incremental, run) = sync(&hub, id, "incremental").await;
    assert_eq!(run.records_processed as u64, changed, "{run:?}");
    let store_only = store_only(&hub).await;
    let floor_pages = database_floor(&hub, records, id, 100).await;
    let floor_bulk = database_floor(&hub, records, id, records).await;
    Result {
        database,
        contacts_search,
        contacts_deep,
        me,
        fetch,
        full,
        store_only,
        floor_bulk,
        floor_pages,
        incremental,
        changed,
        growth: peak.load(Ordering::Relaxed).saturating_sub(before),
    }
}

fn contacts_table(results: &[Result], records: u64) {
    println!("contacts page with {records} contacts (p50 of 21 requests, signed-in member, server-rendered)");
    println!("| database | search `q=lovelace.1` | middle page sorted by company | `/api/v1/me` | search ÷ me |");
    println!("|---|---|---|---|---|");
    for r in results {
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1}× |",
            r.database,
            ms(r.contacts_search),
            ms(r.contacts_deep),
            ms(r.me),
            r.contacts_search.as_secs_f64() / r.me.as_secs_f64()
        );
    }
}

#[tokio::main]
async fn main() {
    let records = number_arg("--records", 100_000);
    println!(
        "sync of {records} {PROVIDER} contacts from the sandbox, 100 per page, {} cores",
        cores()
    );
    println!("| database | fetch only | full sync | sync ÷ fetch throughput | storing alone (÷ fetch) | the database alone, committing every 100 (÷ fetch) | the database alone, in one transaction (÷ fetch) | memory growth | incremental (1% changed) | incremental ÷ full |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    // `--only sqlite` or `--only postgres` measures one database.
    let only = std::env::args()
        .skip_while(|a| a != "--only")
        .nth(1)
        .unwrap_or_default();
    let mut results = Vec::new();
    if only != "postgres" {
        results.push(measure("SQLite", records, None).await);
        row(results.last().unwrap(), records);
    }
    if only != "sqlite" {
        match fresh_postgres("hub_bench_sync").await {
            Some(url) => {
                results.push(measure("PostgreSQL", records, Some(url)).await);
                row(results.last().unwrap(), records);
            }
            None => println!("(PostgreSQL did not answer; measured on SQLite only)"),
        }
    }
    contacts_table(&results, records);
}

fn row(r: &Result, records: u64) {
    let rate = |d: Duration| records as f64 / d.as_secs_f64();
    println!(
        "| {} | {:.0} records/s | {:.0} records/s ({:.1} s) | {:.2}× (target ≥ 0.3×) | {:.0} records/s ({:.2}×) | {:.0} records/s ({:.2}×) | {:.0} records/s ({:.2}×) | {:.1} MB (target < 64 MB) | {:.2} s ({} records) | {:.3}× (target ≤ 0.05×) |",
        r.database,
        rate(r.fetch),
        rate(r.full),
        r.full.as_secs_f64(),
        r.fetch.as_secs_f64() / r.full.as_secs_f64(),
        rate(r.store_only),
        r.fetch.as_secs_f64() / r.store_only.as_secs_f64(),
        rate(r.floor_pages),
        r.fetch.as_secs_f64() / r.floor_pages.as_secs_f64(),
        rate(r.floor_bulk),
        r.fetch.as_secs_f64() / r.floor_bulk.as_secs_f64(),
        r.growth as f64 / 1_048_576.0,
        r.incremental.as_secs_f64(),
        r.changed,
        r.incremental.as_secs_f64() / r.full.as_secs_f64(),
    );
}
