//! The provider sandbox (`HUB_SANDBOX=1`): an emulator of the providers'
//! OAuth servers and APIs under `/sandbox/{provider}/…`, speaking their real
//! protocols and shapes, so that the code talking to it is the code that
//! talks to the real services. It keeps its grants in memory.

mod api;
pub mod credentials;
pub mod data;
mod lists;
mod oauth;
mod pages;
mod writes;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};

use crate::startup::AppState;

/// Lifetimes of what the sandbox issues (short ones make tests fast).
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub access_token_ttl: Duration,
    pub code_ttl: Duration,
    /// Records in each provider's data set.
    pub records: u64,
    /// Every how many list requests one answers 429 (0: never).
    pub rate_limit_every: u64,
    /// Added to each list page.
    pub latency: Duration,
    /// 1% of the records change this often (`None`: only when a test says).
    pub change_every: Option<Duration>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::from_secs(3600),
            code_ttl: Duration::from_secs(60),
            records: 250,
            rate_limit_every: 0,
            latency: Duration::ZERO,
            change_every: None,
        }
    }
}

#[derive(Debug, Clone)]
struct CodeGrant {
    provider: String,
    client_id: String,
    redirect_uri: String,
    code_challenge: Option<String>,
    scopes: String,
    expires_at: DateTime<Utc>,
    used: bool,
}

#[derive(Debug, Clone)]
struct TokenGrant {
    provider: String,
    expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
struct RefreshGrant {
    provider: String,
    client_id: String,
    scopes: String,
}

#[derive(Default)]
struct Grants {
    codes: HashMap<String, CodeGrant>,
    access: HashMap<String, TokenGrant>,
    refresh: HashMap<String, RefreshGrant>,
    /// Token endpoint calls per provider and grant type, for tests that count refreshes.
    calls: HashMap<(String, String), u64>,
}

pub struct Sandbox {
    pub config: SandboxConfig,
    grants: Mutex<Grants>,
    data: Mutex<data::DataSet>,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Self {
        let data = data::DataSet::new(config.records, config.change_every);
        Self {
            config,
            grants: Mutex::new(Grants::default()),
            data: Mutex::new(data),
        }
    }

    fn data(&self) -> std::sync::MutexGuard<'_, data::DataSet> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes `count` of `provider`'s records now (their revision and change time).
    pub fn change_records(&self, provider: &str, count: u64) -> Vec<u64> {
        self.data().change(provider, count)
    }

    /// The values `provider` holds for the person with `email`, if it has one.
    pub fn person_by_email(&self, provider: &str, email: &str) -> Option<data::Values> {
        let set = self.data();
        let index = set.find_email(provider, email)?;
        let (revision, _) = set.version(provider, index);
        Some(set.values(provider, index, revision))
    }

    /// Makes upcoming list requests of `provider` fail (see [`data::Fault`]).
    pub fn inject_fault(&self, provider: &str, fault: data::Fault) {
        self.data().provider(provider).faults.push_back(fault);
    }

    /// Drops the faults still waiting for `provider`.
    pub fn clear_faults(&self, provider: &str) {
        self.data().provider(provider).faults.clear();
    }

    /// How many list requests `provider` has answered (faults included).
    pub fn list_requests(&self, provider: &str) -> u64 {
        self.data().provider(provider).list_requests
    }

    fn grants(&self) -> std::sync::MutexGuard<'_, Grants> {
        self.grants.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How often the token endpoint of `provider` was called with `grant_type`.
    pub fn token_calls(&self, provider: &str, grant_type: &str) -> u64 {
        self.grants()
            .calls
            .get(&(provider.to_string(), grant_type.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Whether `token` is a live access token of `provider`.
    fn access_is_live(&self, provider: &str, token: &str) -> bool {
        self.grants().access.get(token).is_some_and(|g| {
            g.provider == provider && g.expires_at.is_none_or(|at| at > Utc::now())
        })
    }

    /// Whether the refresh token is still valid (not revoked).
    pub fn refresh_is_live(&self, token: &str) -> bool {
        self.grants().refresh.contains_key(token)
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sandbox", get(pages::index))
        .route(
            "/sandbox/{provider}/oauth/authorize",
            get(oauth::authorize_page).post(oauth::decide),
        )
        .route("/sandbox/{provider}/oauth/token", post(oauth::token))
        .route("/sandbox/{provider}/oauth/revoke", post(oauth::revoke))
        .route("/sandbox/{provider}/oauth/metadata", get(oauth::metadata))
        .route("/sandbox/{provider}/", axum::routing::any(api::handle_root))
        .route(
            "/sandbox/{provider}/{*rest}",
            axum::routing::any(api::handle),
        )
}

/// A random token with a readable prefix.
fn random_token(prefix: &str) -> String {
    use rand::distr::{Alphanumeric, SampleString};
    format!(
        "{prefix}{}",
        Alphanumeric.sample_string(&mut rand::rng(), 32)
    )
}

/// Minimal HTML escaping for the sandbox's own pages.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
