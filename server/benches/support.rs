//! What the benchmarks share: a hub on a fresh SQLite file, HTTP clients,
//! accounts and percentiles.

#![allow(dead_code)]

use std::time::Duration;

use app::domain::auth::Role;
use app::domain::validate::{DisplayName, Email, Slug};
use sea_orm::DatabaseConnection;
use server::accounts::{create_account, NewAccount};
use server::auth::Passwords;
use server::config::Config;
use server::startup::Application;

pub const PASSWORD: &str = "correct horse battery staple";

/// A running hub; the temporary directory lives as long as this value.
pub struct Hub {
    pub base: String,
    pub db: DatabaseConnection,
    pub state: server::startup::AppState,
    _dir: tempfile::TempDir,
}

pub async fn spawn_hub() -> Hub {
    spawn_hub_with(&[]).await
}

/// A hub on a fresh SQLite file (or the `DATABASE_URL` in `extra`), sandbox on.
pub async fn spawn_hub_with(extra: &[(&str, &str)]) -> Hub {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let mut vars: std::collections::HashMap<String, String> = [
        ("HUB_DATA_DIR", data_dir.as_str()),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ("HUB_LOG", "error"),
        ("HUB_SANDBOX", "1"),
        ("HUB_SANDBOX_CHANGE_EVERY", "off"),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if vars.contains_key("DATABASE_URL") && !vars.contains_key("HUB_MASTER_KEY") {
        use base64::Engine;
        let key: [u8; 32] = rand::random();
        vars.insert(
            "HUB_MASTER_KEY".into(),
            base64::engine::general_purpose::STANDARD.encode(key),
        );
    }
    let config = Config::from_lookup(|name| vars.get(name).cloned()).unwrap();
    let app = Application::build(config).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let db = app.state().db.clone();
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    Hub {
        base,
        db,
        state,
        _dir: dir,
    }
}

/// A fresh PostgreSQL database on the local server (`HUB_BENCH_PG`, default
/// `postgres://postgres@127.0.0.1:5432`), or `None` when none answers.
pub async fn fresh_postgres(name: &str) -> Option<String> {
    use sea_orm::ConnectionTrait;
    let admin = std::env::var("HUB_BENCH_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let conn = sea_orm::Database::connect(format!("{admin}/postgres"))
        .await
        .ok()?;
    let _ = conn
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
    conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .ok()?;
    Some(format!("{admin}/{name}"))
}

/// This process's resident memory now, from /proc (Linux), in bytes.
pub fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// `--name N` from the command line, or `default`.
pub fn number_arg(name: &str, default: u64) -> u64 {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

pub fn client(base: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, base.parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .pool_max_idle_per_host(64)
        .build()
        .unwrap()
}

pub async fn sign_in(client: &reqwest::Client, base: &str, email: &str) -> bool {
    let response = client
        .post(format!("{base}/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await;
    matches!(response, Ok(r) if r.status() == 303)
}

/// Creates users `user0@bench.test` … in tenant `bench`; returns their emails.
pub async fn create_users(db: &DatabaseConnection, count: usize, role: Role) -> Vec<String> {
    let hash = Passwords::new().unwrap().hash(PASSWORD).await.unwrap();
    let mut emails = Vec::new();
    for i in 0..count {
        let email = format!("user{i}@bench.test");
        let account = NewAccount {
            tenant_slug: Slug::parse("bench").unwrap(),
            tenant_name: DisplayName::parse("Bench", "name").unwrap(),
            email: Email::parse(&email).unwrap(),
            name: DisplayName::parse(&format!("User {i}"), "name").unwrap(),
            role,
            password_hash: hash.clone(),
            is_platform_owner: false,
        };
        create_account(db, account).await.unwrap();
        emails.push(email);
    }
    emails
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// `--seconds N` from the command line, or `default`.
pub fn seconds_arg(default: u64) -> u64 {
    std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A workspace row with no members; returns its id.
pub async fn insert_workspace(db: &DatabaseConnection, slug: &str, name: &str) -> i64 {
    use sea_orm::{EntityTrait, Set};
    use server::db::entities::tenant;
    let now = chrono::Utc::now();
    let row = tenant::ActiveModel {
        slug: Set(slug.to_string()),
        name: Set(name.to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    // Only the id, not the row read back: the first tenant inserted through
    // the pool of a new SQLite file comes back without its `revision` (sea-orm:
    // "Missing value for column"), though the row has it; later ones do not.
    tenant::Entity::insert(row)
        .exec(db)
        .await
        .unwrap()
        .last_insert_id
}

/// A connected integration row of `provider` (no credentials, no schedule,
/// incremental pull of contacts); benchmarks change what they need.
pub fn integration_row(
    tenant_id: i64,
    provider: &str,
    status: &str,
) -> server::db::entities::integration::ActiveModel {
    use sea_orm::Set;
    let now = chrono::Utc::now();
    server::db::entities::integration::ActiveModel {
        tenant_id: Set(tenant_id),
        provider: Set(provider.to_string()),
        status: Set(status.to_string()),
        credentials: Set(None),
        config: Set(serde_json::json!({})),
        schedule: Set(None),
        sync_mode: Set("incremental".into()),
        sync_direction: Set("pull".into()),
        resources: Set(serde_json::json!(["contacts"])),
        next_run_at: Set(None),
        error_count: Set(0),
        last_error: Set(None),
        last_error_at: Set(None),
        last_synced_at: Set(None),
        connected_at: Set(Some(now)),
        token_expires_at: Set(None),
        refresh_lease_owner: Set(None),
        refresh_lease_expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}
