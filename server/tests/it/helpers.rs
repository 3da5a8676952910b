//! Spawning the hub for a test, on a fresh SQLite file or a fresh PostgreSQL database.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use std::sync::Arc;

use app::domain::auth::Role;
use app::domain::validate::{DisplayName, Email, Slug};
use chrono::{Duration, Utc};
use reqwest::cookie::{CookieStore, Jar};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, Set};
use serde_json::{json, Value};
use server::accounts::NewAccount;
use server::auth::Passwords;
use server::config::Config;
use server::db::entities::integration;
use server::startup::Application;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs `async fn $name(db: Db)` once per database, as `$name::sqlite` and `$name::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Db::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Db::Postgres).await
            }
        }
    )*};
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("HUB_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A uniquely named PostgreSQL database, dropped when this value is.
pub struct PgDatabase {
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "hub_test_{}_{}_{:08x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        let admin = Database::connect(postgres_admin_url())
            .await
            .expect("PostgreSQL for the tests is reachable (HUB_TEST_DATABASE_URL)");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let mut url = url::Url::parse(&postgres_admin_url()).expect("admin URL parses");
        url.set_path(&name);
        Self {
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) = Database::connect(postgres_admin_url()).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// A running hub and what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// A second connection to the hub's database, for arranging and inspecting rows.
    pub db: DatabaseConnection,
    /// The hub's key ring, to look inside encrypted columns.
    pub keyring: server::crypto::Keyring,
    /// The running hub's state (its OAuth service, sandbox, catalog).
    pub state: server::startup::AppState,
    /// `HUB_MASTER_KEY` on PostgreSQL; on SQLite the key is in the data dir.
    pub master_key: Option<String>,
    pub data_dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    // Declared last: dropped after the server has been told to stop.
    pg: Option<PgDatabase>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the hub")
    }
}

/// The password test users get unless a test says otherwise.
pub const PASSWORD: &str = "correct horse battery staple";

/// A browser: its own cookie jar, the hub's Origin on every request, no redirects followed.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    base: String,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ORIGIN,
            base.parse().expect("base URL is a header value"),
        );
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(jar.clone())
            .default_headers(headers)
            .build()
            .expect("HTTP client");
        Self {
            client,
            jar,
            base: base.to_string(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request reaches the hub")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("request reaches the hub")
    }

    /// Calls a server function the way the browser bundle does.
    pub async fn server_fn(&self, endpoint: &str, args: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("accept", "application/json")
            .form(args)
            .send()
            .await
            .expect("request reaches the hub")
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form(
            "/login",
            &[
                ("email", email),
                ("password", password),
                ("next", "/integrations"),
            ],
        )
        .await
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The value of the session cookie, if the browser holds one.
    pub fn session_cookie(&self) -> Option<String> {
        let url = self.base.parse().expect("base URL parses");
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|pair| pair.strip_prefix("hub_session="))
            .map(str::to_string)
    }

    /// Replaces the session cookie (to replay an old one).
    pub fn set_session_cookie(&self, value: &str) {
        let url = self.base.parse().expect("base URL parses");
        self.jar
            .add_cookie_str(&format!("hub_session={value}; Path=/"), &url);
    }
}

impl TestApp {
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// Creates a user directly (the tenant too, if new); returns its id.
    pub async fn create_user(&self, tenant: &str, email: &str, role: Role, password: &str) -> i64 {
        let passwords = Passwords::new().unwrap();
        let account = NewAccount {
            tenant_slug: Slug::parse(tenant).unwrap(),
            tenant_name: DisplayName::parse(&format!("{tenant} workspace"), "name").unwrap(),
            email: Email::parse(email).unwrap(),
            name: DisplayName::parse(email.split('@').next().unwrap(), "name").unwrap(),
            role,
            password_hash: passwords.hash(password).await.unwrap(),
            is_platform_owner: false,
        };
        server::accounts::create_account(&self.db, account)
            .await
            .unwrap()
            .0
    }

    /// A browser signed in as a new user of `tenant` with `role`.
    pub async fn signed_in(&self, tenant: &str, email: &str, role: Role) -> (Browser, i64) {
        let id = self.create_user(tenant, email, role, PASSWORD).await;
        let browser = self.browser();
        let response = browser.sign_in(email, PASSWORD).await;
        assert_eq!(response.status(), 303, "{email} signs in");
        (browser, id)
    }

    /// Environment for running the `hub` binary against this app's database.
    pub fn cli_env(&self) -> Vec<(String, String)> {
        let mut env = vec![(
            "HUB_DATA_DIR".to_string(),
            self.data_dir.path().display().to_string(),
        )];
        if let Some(pg) = &self.pg {
            env.push(("DATABASE_URL".to_string(), pg.url.clone()));
            env.push((
                "HUB_MASTER_KEY".to_string(),
                self.master_key.clone().unwrap_or_default(),
            ));
        }
        env.push(("HUB_LOG".to_string(), "warn".to_string()));
        env
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The repository's `target/site`, where `.ci/build-frontend` puts the bundle.
pub fn site_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site")
}

pub fn test_config(db: &DatabaseUrl, data_dir: &std::path::Path, extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("HUB_DATA_DIR".into(), data_dir.display().to_string());
    vars.insert("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into());
    vars.insert("LEPTOS_SITE_ROOT".into(), site_root().display().to_string());
    vars.insert("HUB_SANDBOX".into(), "1".into());
    // Sandbox records change only when a test changes them; retries are quick.
    vars.insert("HUB_SANDBOX_CHANGE_EVERY".into(), "off".into());
    vars.insert("HUB_SYNC_RETRY_BASE".into(), "20ms".into());
    if let DatabaseUrl::Postgres(url) = db {
        vars.insert("DATABASE_URL".into(), url.clone());
        // Several processes share PostgreSQL, so its key comes from the environment.
        use base64::Engine;
        let key: [u8; 32] = rand::random();
        vars.insert(
            "HUB_MASTER_KEY".into(),
            base64::engine::general_purpose::STANDARD.encode(key),
        );
    }
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let mut config =
        Config::from_lookup(|name| vars.get(name).cloned()).expect("test configuration is valid");
    config.provider_settings = vars
        .iter()
        .filter(|(k, _)| k.starts_with("HUB_PROVIDER_") || k.starts_with("HUB_OAUTH_"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    config
}

pub enum DatabaseUrl {
    Sqlite,
    Postgres(String),
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, &[]).await
}

pub async fn spawn_app_with(db: Db, extra: &[(&str, &str)]) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temporary data dir");
    let pg = match db {
        Db::Sqlite => None,
        Db::Postgres => Some(PgDatabase::create().await),
    };
    let url = match &pg {
        None => DatabaseUrl::Sqlite,
        Some(pg) => DatabaseUrl::Postgres(pg.url.clone()),
    };
    let config = test_config(&url, data_dir.path(), extra);
    let master_key = config.master_key.as_ref().map(|key| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(key.0)
    });
    let app = Application::build(config).await.expect("hub starts");
    let keyring = app.state().keyring.clone();
    let state = app.state().clone();
    let addr = app.local_addr();
    let db_conn = app.state().db.clone();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let base = format!("http://{addr}");
    let client = Browser::new(&base).client;
    TestApp {
        base,
        client,
        db: db_conn,
        keyring,
        state,
        master_key,
        data_dir,
        shutdown: Some(tx),
        pg,
    }
}

/// An integration row of `provider` in `status`, without credentials.
pub async fn insert_integration(
    app: &TestApp,
    tenant_id: i64,
    provider: &str,
    status: &str,
) -> i64 {
    let now = Utc::now();
    integration::ActiveModel {
        tenant_id: Set(tenant_id),
        provider: Set(provider.into()),
        status: Set(status.into()),
        credentials: Set(None),
        config: Set(json!({})),
        schedule: Set(None),
        sync_mode: Set("incremental".into()),
        sync_direction: Set("pull".into()),
        resources: Set(json!(["contacts"])),
        next_run_at: Set(None),
        error_count: Set(if status == "error" { 3 } else { 0 }),
        last_error: Set(
            (status == "error").then(|| "HubSpot answered 401: token revoked".to_string())
        ),
        last_error_at: Set(None),
        last_synced_at: Set(Some(now - Duration::minutes(5))),
        connected_at: Set(Some(now - Duration::days(1))),
        token_expires_at: Set(None),
        refresh_lease_owner: Set(None),
        refresh_lease_expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

/// The tenant id of the signed-in browser.
pub async fn tenant_of(browser: &Browser) -> i64 {
    let me: Value = browser.get("/api/v1/me").await.json().await.unwrap();
    me["tenant_id"].as_i64().unwrap()
}
