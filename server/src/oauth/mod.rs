//! Connecting with OAuth 2.0 (SPEC §4): authorization code with PKCE (S256)
//! and a single-use `state` bound to the browser session that started it;
//! tokens stored encrypted; refreshed before they expire, single-flight per
//! integration within a process (a lock) and across processes (a lease row);
//! revoked at the provider on disconnect.

pub mod client;
pub mod handlers;
mod tokens;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use app::domain::AppError;
use chrono::{Duration, Utc};
use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

pub use client::{AppSource, OAuthApp};
pub use tokens::TokenError;

use crate::activity::{Entry, Level};
use crate::catalog::{Auth, Catalog, OAuth2, Provider};
use crate::connections::credentials::{ACCESS_TOKEN, REFRESH_TOKEN};
use crate::connections::Credentials;
use crate::crypto::{Keyring, SecretString, Subject};
use crate::db::entities::{integration, oauth_app, oauth_state};
use crate::db::scoped::Tenant;
use crate::error::internal;

/// How long a started authorization may take.
const STATE_LIFETIME: Duration = Duration::minutes(10);
/// Key of the token expiry kept with the credentials.
pub const EXPIRES_AT: &str = "expires_at";

/// Why a connection attempt ended on the hub instead of connected: a code
/// the hub page turns into words, and details from the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFailure {
    pub code: &'static str,
    pub provider: Option<String>,
    pub detail: Option<String>,
}

impl ConnectFailure {
    fn new(code: &'static str, provider: Option<&Provider>) -> Self {
        Self {
            code,
            provider: provider.map(|p| p.key.clone()),
            detail: None,
        }
    }

    fn detail(mut self, detail: impl Into<String>) -> Self {
        let detail: String = detail.into();
        self.detail = Some(detail.chars().take(300).collect());
        self
    }
}

pub struct OAuthService {
    pub db: DatabaseConnection,
    pub catalog: Arc<Catalog>,
    pub keyring: Keyring,
    pub http: reqwest::Client,
    pub redirect_uri: String,
    pub sandbox: bool,
    /// The deployment's OAuth apps: `HUB_OAUTH_<KEY>_CLIENT_ID` / `_SECRET`.
    deployment_apps: BTreeMap<String, String>,
    /// Who this process is, for refresh leases.
    pub process_id: String,
    locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
}

pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn oauth_of(provider: &Provider) -> Option<&OAuth2> {
    match &provider.auth {
        Auth::Oauth2(oauth) => Some(oauth),
        _ => None,
    }
}

fn env_key(provider: &str) -> String {
    provider.to_ascii_uppercase()
}

impl OAuthService {
    pub fn new(
        db: DatabaseConnection,
        catalog: Arc<Catalog>,
        keyring: Keyring,
        config: &crate::config::Config,
    ) -> Self {
        Self {
            db,
            catalog,
            keyring,
            http: client::http_client(),
            redirect_uri: format!(
                "{}/api/integrations/oauth/callback",
                config.public_url.as_str().trim_end_matches('/')
            ),
            sandbox: config.sandbox,
            deployment_apps: config
                .provider_settings
                .iter()
                .filter(|(name, _)| name.starts_with("HUB_OAUTH_"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            process_id: format!("hub-{}-{:08x}", std::process::id(), rand::random::<u32>()),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The tenant's own OAuth app, else the deployment's, else (sandbox) the built-in one.
    pub async fn app_for(
        &self,
        tenant_id: i64,
        provider: &str,
    ) -> Result<Option<OAuthApp>, AppError> {
        let own = Tenant(app::domain::ids::TenantId(tenant_id))
            .find::<oauth_app::Entity>()
            .filter(oauth_app::Column::Provider.eq(provider))
            .one(&self.db)
            .await
            .map_err(|e| internal("loading an OAuth app", &e))?;
        if let Some(own) = own {
            let subject = Subject {
                tenant_id,
                kind: "oauth_app",
                id: own.id,
            };
            let secret = self
                .keyring
                .decrypt(subject, &own.client_secret)
                .map_err(|e| internal("decrypting an OAuth client secret", &e))?;
            return Ok(Some(OAuthApp {
                client_id: own.client_id,
                client_secret: SecretString::new(String::from_utf8_lossy(&secret).into_owned()),
                source: AppSource::Tenant,
            }));
        }
        let key = env_key(provider);
        let id = self
            .deployment_apps
            .get(&format!("HUB_OAUTH_{key}_CLIENT_ID"))
            .cloned();
        let secret = self
            .deployment_apps
            .get(&format!("HUB_OAUTH_{key}_CLIENT_SECRET"))
            .cloned();
        if let (Some(client_id), Some(secret)) = (id, secret) {
            return Ok(Some(OAuthApp {
                client_id,
                client_secret: SecretString::new(secret),
                source: AppSource::Deployment,
            }));
        }
        Ok(self.sandbox.then(|| OAuthApp {
            client_id: format!("hub-sandbox-{provider}"),
            client_secret: SecretString::new(format!("sandbox-secret-{provider}")),
            source: AppSource::Sandbox,
        }))
    }

    /// Starts an authorization: stores the state and PKCE verifier, returns where to send the browser.
    pub async fn begin(
        &self,
        tenant_id: i64,
        user_id: i64,
        session_hash: &str,
        integration_id: i64,
    ) -> Result<url::Url, ConnectFailure> {
        let row = Tenant(app::domain::ids::TenantId(tenant_id))
            .find_by_id::<integration::Entity>(integration_id)
            .one(&self.db)
            .await
            .map_err(|_| ConnectFailure::new("internal", None))?
            .ok_or_else(|| ConnectFailure::new("not_found", None))?;
        let provider = self
            .catalog
            .provider(&row.provider)
            .ok_or_else(|| ConnectFailure::new("not_found", None))?;
        let oauth =
            oauth_of(provider).ok_or_else(|| ConnectFailure::new("not_oauth", Some(provider)))?;
        let app = self
            .app_for(tenant_id, &provider.key)
            .await
            .map_err(|_| ConnectFailure::new("internal", Some(provider)))?
            .ok_or_else(|| {
                ConnectFailure::new("no_client", Some(provider)).detail(format!(
                    "HUB_OAUTH_{}_CLIENT_ID and HUB_OAUTH_{}_CLIENT_SECRET",
                    env_key(&provider.key),
                    env_key(&provider.key)
                ))
            })?;
        let client = client::build(oauth, &app, &self.redirect_uri)
            .map_err(|e| ConnectFailure::new("internal", Some(provider)).detail(e))?;

        let mut request = client.authorize_url(CsrfToken::new_random);
        let verifier = if oauth.pkce {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            request = request.set_pkce_challenge(challenge);
            Some(verifier)
        } else {
            None
        };
        if oauth.scope_separator == " " {
            request = request.add_scopes(oauth.scopes.iter().map(|s| Scope::new(s.clone())));
        } else if !oauth.scopes.is_empty() {
            request = request.add_extra_param("scope", oauth.scopes.join(&oauth.scope_separator));
        }
        for (name, value) in &oauth.authorize_params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let (url, state) = request.url();

        let subject = Subject {
            tenant_id,
            kind: "oauth_state",
            id: integration_id,
        };
        let verifier_secret = verifier.as_ref().map(|v| v.secret().as_str()).unwrap_or("");
        let sealed = self
            .keyring
            .encrypt(subject, verifier_secret.as_bytes())
            .map_err(|_| ConnectFailure::new("internal", Some(provider)))?;
        let now = Utc::now();
        oauth_state::ActiveModel {
            tenant_id: Set(tenant_id),
            integration_id: Set(integration_id),
            user_id: Set(user_id),
            session_hash: Set(session_hash.to_string()),
            state_hash: Set(hash(state.secret())),
            pkce_verifier: Set(sealed),
            redirect_uri: Set(self.redirect_uri.clone()),
            expires_at: Set(now + STATE_LIFETIME),
            used_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|_| ConnectFailure::new("internal", Some(provider)))?;
        tracing::info!(tenant_id, integration_id, provider = %provider.key, "OAuth authorization started");
        Ok(url)
    }

    /// Finishes an authorization from the callback's query; returns the provider key.
    pub async fn complete(
        &self,
        session_hash: Option<&str>,
        query: &BTreeMap<String, String>,
    ) -> Result<String, ConnectFailure> {
        let state = query
            .get("state")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ConnectFailure::new("state_unknown", None))?;
        let found = oauth_state::Entity::find()
            .filter(oauth_state::Column::StateHash.eq(hash(state)))
            .one(&self.db)
            .await
            .map_err(|_| ConnectFailure::new("internal", None))?
            .ok_or_else(|| ConnectFailure::new("state_unknown", None))?;
        let row = Tenant(app::domain::ids::TenantId(found.tenant_id))
            .find_by_id::<integration::Entity>(found.integration_id)
            .one(&self.db)
            .await
            .map_err(|_| ConnectFailure::new("internal", None))?
            .ok_or_else(|| ConnectFailure::new("state_unknown", None))?;
        let provider = self
            .catalog
            .provider(&row.provider)
            .ok_or_else(|| ConnectFailure::new("state_unknown", None))?;
        let oauth =
            oauth_of(provider).ok_or_else(|| ConnectFailure::new("not_oauth", Some(provider)))?;

        if session_hash != Some(found.session_hash.as_str()) {
            return Err(ConnectFailure::new("state_session", Some(provider)));
        }
        // Single use, even under concurrent callbacks: only one update wins.
        let claimed = oauth_state::Entity::update_many()
            .col_expr(
                oauth_state::Column::UsedAt,
                sea_orm::sea_query::Expr::value(Utc::now()),
            )
            .filter(oauth_state::Column::Id.eq(found.id))
            .filter(oauth_state::Column::UsedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(|_| ConnectFailure::new("internal", Some(provider)))?;
        if claimed.rows_affected != 1 {
            return Err(ConnectFailure::new("state_used", Some(provider)));
        }
        if found.expires_at <= Utc::now() {
            return Err(ConnectFailure::new("state_expired", Some(provider)));
        }
        if let Some(error) = query.get("error") {
            let code = if error == "access_denied" {
                "denied"
            } else {
                "provider_error"
            };
            let detail = query
                .get("error_description")
                .cloned()
                .unwrap_or_else(|| error.clone());
            self.log(
                &row,
                Level::Warning,
                "integration.connect_failed",
                format!("{} did not grant access: {detail}", provider.name),
            )
            .await;
            return Err(ConnectFailure::new(code, Some(provider)).detail(detail));
        }
        let code = query.get("code").filter(|c| !c.is_empty()).ok_or_else(|| {
            ConnectFailure::new("provider_error", Some(provider))
                .detail("the provider sent no authorization code")
        })?;

        let app = self
            .app_for(row.tenant_id, &provider.key)
            .await
            .map_err(|_| ConnectFailure::new("internal", Some(provider)))?
            .ok_or_else(|| ConnectFailure::new("no_client", Some(provider)))?;
        let client = client::build(oauth, &app, &found.redirect_uri)
            .map_err(|e| ConnectFailure::new("internal", Some(provider)).detail(e))?;
        let verifier = self
            .keyring
            .decrypt(
                Subject {
                    tenant_id: row.tenant_id,
                    kind: "oauth_state",
                    id: row.id,
                },
                &found.pkce_verifier,
            )
            .map_err(|_| ConnectFailure::new("internal", Some(provider)))?;
        let verifier = String::from_utf8_lossy(&verifier).into_owned();
        let mut exchange = client.exchange_code(oauth2::AuthorizationCode::new(code.clone()));
        if !verifier.is_empty() {
            exchange = exchange.set_pkce_verifier(PkceCodeVerifier::new(verifier));
        }
        for (name, value) in &oauth.token_params {
            exchange = exchange.add_extra_param(name.clone(), value.clone());
        }
        let response = exchange.request_async(&self.http).await.map_err(|e| {
            let failure = tokens::describe_token_error(&e);
            ConnectFailure::new(failure.0, Some(provider)).detail(failure.1)
        })?;

        let mut credentials = self.credentials_of(&row).unwrap_or_default();
        tokens::apply_response(&mut credentials, &response, oauth);
        // Fields some providers put in the redirect instead (QuickBooks' realmId).
        for field in &oauth.token_fields {
            if let Some(value) = query.get(field) {
                credentials.set(field.clone(), value.clone());
            }
        }
        if let Some(metadata_url) = &oauth.metadata_url {
            let dc = tokens::fetch_metadata(&self.http, metadata_url, &credentials)
                .await
                .map_err(|detail| {
                    ConnectFailure::new("provider_error", Some(provider)).detail(detail)
                })?;
            credentials.set("dc", dc);
        }
        self.store_connected(&row, provider, &credentials).await?;
        Ok(provider.key.clone())
    }

    fn credentials_of(&self, row: &integration::Model) -> Option<Credentials> {
        let stored = row.credentials.as_ref()?;
        Credentials::open(
            &self.keyring,
            crate::integrations::credentials_subject(row),
            stored,
        )
        .ok()
    }

    async fn store_connected(
        &self,
        row: &integration::Model,
        provider: &Provider,
        credentials: &Credentials,
    ) -> Result<(), ConnectFailure> {
        let failure = || ConnectFailure::new("internal", Some(provider));
        let sealed = credentials
            .seal(&self.keyring, crate::integrations::credentials_subject(row))
            .map_err(|_| failure())?;
        let now = Utc::now();
        let txn = crate::db::begin_write(&self.db)
            .await
            .map_err(|_| failure())?;
        let mut active: integration::ActiveModel = row.clone().into();
        active.credentials = Set(Some(sealed));
        active.status = Set("active".into());
        active.connected_at = Set(Some(now));
        active.token_expires_at = Set(tokens::expires_at(credentials));
        active.last_error = Set(None);
        active.error_count = Set(0);
        active.updated_at = Set(now);
        active.update(&txn).await.map_err(|_| failure())?;
        Entry::integration(
            row.tenant_id,
            row.id,
            "integration.connected",
            format!("{} was connected with OAuth.", provider.name),
        )
        .write(&txn)
        .await
        .map_err(|_| failure())?;
        txn.commit().await.map_err(|_| failure())?;
        tracing::info!(tenant_id = row.tenant_id, integration_id = row.id, provider = %provider.key, "integration connected with OAuth");
        Ok(())
    }

    async fn log(&self, row: &integration::Model, level: Level, event: &str, message: String) {
        if let Err(err) = Entry::integration(row.tenant_id, row.id, event, message)
            .level(level)
            .write(&self.db)
            .await
        {
            tracing::warn!(error = %err, "could not write to the activity log");
        }
    }

    /// The per-integration lock of this process (refreshes are single-flight).
    fn lock_for(&self, integration_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(integration_id).or_default().clone()
    }
}

/// The refresh and access tokens stored for a connection, for revocation.
pub fn stored_tokens(credentials: &Credentials) -> (Option<SecretString>, Option<SecretString>) {
    (
        credentials.get(REFRESH_TOKEN),
        credentials.get(ACCESS_TOKEN),
    )
}
