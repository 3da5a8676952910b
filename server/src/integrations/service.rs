//! `IntegrationsPort`: every method works inside the principal's tenant;
//! reads need a member, changes an admin.

use std::collections::BTreeMap;
use std::sync::Arc;

use app::api::ports::IntegrationsPort;
use app::domain::auth::{Principal, Role};
use app::domain::catalog::Availability;
use app::domain::ids::IntegrationId;
use app::domain::integrations::{
    ConnectStart, ConnectionTest, HubView, IntegrationDetail, IntegrationState, IntegrationStatus,
    OAuthAppSource, OAuthInfo, ProviderCard, SyncSettings,
};
use app::domain::{AppError, FieldError};
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{form, stats};
use crate::activity::{Entry, Level};
use crate::catalog::{Auth, Catalog, Provider};
use crate::connections::{verify, Credentials};
use crate::crypto::{Keyring, Subject};
use crate::db::entities::{integration, integration_log, oauth_app, provider_interest};
use crate::db::scoped::Tenant;
use crate::error::internal;
use crate::format;
use crate::oauth::{AppSource, OAuthService};
use crate::scheduler::CronSchedule;

pub struct IntegrationsService {
    pub db: DatabaseConnection,
    pub catalog: Arc<Catalog>,
    pub keyring: Keyring,
    pub http: reqwest::Client,
    pub oauth: Arc<OAuthService>,
    pub queue: crate::jobs::Queue,
}

pub fn subject(row: &integration::Model) -> Subject<'static> {
    Subject {
        tenant_id: row.tenant_id,
        kind: "integration",
        id: row.id,
    }
}

fn status_of(row: &integration::Model) -> IntegrationStatus {
    IntegrationStatus::parse(&row.status).unwrap_or(IntegrationStatus::Error)
}

fn state_of(row: &integration::Model) -> IntegrationState {
    IntegrationState {
        id: IntegrationId(row.id),
        status: status_of(row),
        last_error: row.last_error.clone(),
        last_synced: row.last_synced_at.map(format::time_text),
    }
}

/// An integration's settings (not secret: an audience, a form).
pub fn config_of(row: &integration::Model) -> BTreeMap<String, String> {
    serde_json::from_value(row.config.clone()).unwrap_or_default()
}

fn sync_settings_of(row: &integration::Model) -> SyncSettings {
    let schedule = row.schedule.clone().unwrap_or_default();
    let next_runs = CronSchedule::parse(&schedule)
        .map(|s| describe_runs(&s))
        .unwrap_or_default();
    SyncSettings {
        schedule,
        mode: row.sync_mode.clone(),
        direction: row.sync_direction.clone(),
        resources: serde_json::from_value(row.resources.clone()).unwrap_or_default(),
        next_runs,
    }
}

fn describe_runs(schedule: &CronSchedule) -> Vec<String> {
    let now = Utc::now();
    schedule
        .upcoming(now, 3)
        .into_iter()
        .map(|at| {
            format!(
                "{} ({})",
                at.format("%a %d %b %Y, %H:%M UTC"),
                format::relative(at, now)
            )
        })
        .collect()
}

impl IntegrationsService {
    fn provider(&self, key: &str) -> Result<&Provider, AppError> {
        self.catalog.provider(key).ok_or(AppError::NotFound)
    }

    async fn row(&self, by: &Principal, id: IntegrationId) -> Result<integration::Model, AppError> {
        Tenant(by.tenant_id)
            .find_by_id::<integration::Entity>(id.0)
            .one(&self.db)
            .await
            .map_err(|e| internal("loading an integration", &e))?
            .ok_or(AppError::NotFound)
    }

    fn credentials(&self, row: &integration::Model) -> Result<Credentials, AppError> {
        match &row.credentials {
            None => Ok(Credentials::default()),
            Some(stored) => Credentials::open(&self.keyring, subject(row), stored)
                .map_err(|e| internal("decrypting an integration's credentials", &e)),
        }
    }

    async fn oauth_info(
        &self,
        by: &Principal,
        row: &integration::Model,
        provider: &Provider,
    ) -> Result<Option<OAuthInfo>, AppError> {
        if !matches!(provider.auth, Auth::Oauth2(_)) {
            return Ok(None);
        }
        let app = self.oauth.app_for(by.tenant_id.0, &provider.key).await?;
        let key = provider.key.to_ascii_uppercase();
        Ok(Some(OAuthInfo {
            app_source: match app.as_ref().map(|a| a.source) {
                Some(AppSource::Tenant) => OAuthAppSource::Workspace,
                Some(AppSource::Deployment) => OAuthAppSource::Deployment,
                Some(AppSource::Sandbox) => OAuthAppSource::Sandbox,
                None => OAuthAppSource::Missing,
            },
            workspace_client_id: app
                .filter(|a| a.source == AppSource::Tenant)
                .map(|a| a.client_id),
            connect_url: format!("/api/integrations/{}/oauth/start", row.id),
            deployment_variables: format!(
                "HUB_OAUTH_{key}_CLIENT_ID and HUB_OAUTH_{key}_CLIENT_SECRET"
            ),
        }))
    }

    async fn log(&self, entry: Entry<'_>) {
        if let Err(err) = entry.write(&self.db).await {
            tracing::warn!(error = %err, "could not write to the activity log");
        }
    }
}

#[async_trait]
impl IntegrationsPort for IntegrationsService {
    async fn hub(&self, by: &Principal) -> Result<HubView, AppError> {
        by.require(Role::Member)?;
        let rows = Tenant(by.tenant_id)
            .find::<integration::Entity>()
            .all(&self.db)
            .await
            .map_err(|e| internal("listing integrations", &e))?;
        let interests: Vec<String> = Tenant(by.tenant_id)
            .find::<provider_interest::Entity>()
            .select_only()
            .column(provider_interest::Column::Provider)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(|e| internal("listing provider interests", &e))?;
        let now = Utc::now();
        let (stats, stats_change) = stats::hub_stats(&self.db, by.tenant_id, now)
            .await
            .map_err(|e| internal("computing hub stats", &e))?;
        let (categories, providers) = self.catalog.summaries();
        let cards = providers
            .into_iter()
            .map(|provider| ProviderCard {
                integration: rows
                    .iter()
                    .find(|r| r.provider == provider.key)
                    .map(state_of),
                notify_me: interests.contains(&provider.key),
                provider,
            })
            .collect();
        let changes_at = rows
            .iter()
            .filter_map(|row| row.last_synced_at)
            .filter_map(|at| format::relative_changes_at(at, now))
            .chain(stats_change)
            .min();
        Ok(HubView {
            stats,
            categories,
            cards,
            changes_at: changes_at.map(|at| at.timestamp()),
        })
    }

    async fn detail(
        &self,
        by: &Principal,
        id: IntegrationId,
    ) -> Result<IntegrationDetail, AppError> {
        by.require(Role::Member)?;
        let row = self.row(by, id).await?;
        let provider = self.provider(&row.provider)?;
        let credentials = self.credentials(&row)?;
        let logs = Tenant(by.tenant_id)
            .find::<integration_log::Entity>()
            .filter(integration_log::Column::IntegrationId.eq(row.id))
            .order_by_desc(integration_log::Column::CreatedAt)
            .order_by_desc(integration_log::Column::Id)
            .limit(50)
            .all(&self.db)
            .await
            .map_err(|e| internal("loading an integration's activity", &e))?;
        let oauth = self.oauth_info(by, &row, provider).await?;
        Ok(IntegrationDetail {
            oauth,
            id,
            provider: provider.summary(),
            status: status_of(&row),
            last_error: row.last_error.clone(),
            connected_at: row.connected_at.map(format::time_text),
            credentials: credentials.for_display(provider),
            config: config_of(&row),
            sync: sync_settings_of(&row),
            activity: logs.into_iter().map(format::log_line).collect(),
        })
    }

    async fn start(&self, by: &Principal, provider_key: String) -> Result<ConnectStart, AppError> {
        by.require(Role::Admin)?;
        let provider = self.provider(&provider_key)?;
        if provider.availability != Availability::Available {
            return Err(AppError::Conflict(format!(
                "{} is coming soon and cannot be connected yet.",
                provider.name
            )));
        }
        let existing = Tenant(by.tenant_id)
            .find::<integration::Entity>()
            .filter(integration::Column::Provider.eq(&provider.key))
            .one(&self.db)
            .await
            .map_err(|e| internal("looking up an integration", &e))?;
        let now = Utc::now();
        // OAuth connections stay as they are until the provider's consent
        // completes; the others wait for their form.
        let is_oauth = matches!(provider.auth, Auth::Oauth2(_));
        let initial = if is_oauth {
            IntegrationStatus::Inactive
        } else {
            IntegrationStatus::Pending
        };
        let row = match existing {
            Some(row) if status_of(&row) != IntegrationStatus::Inactive || is_oauth => row,
            Some(row) => {
                let mut active: integration::ActiveModel = row.into();
                active.status = Set(initial.as_str().into());
                active.updated_at = Set(now);
                active
                    .update(&self.db)
                    .await
                    .map_err(|e| internal("reopening an integration", &e))?
            }
            None => {
                let resources: Vec<String> =
                    provider.resources.iter().map(|r| r.key.clone()).collect();
                integration::ActiveModel {
                    tenant_id: Set(by.tenant_id.0),
                    provider: Set(provider.key.clone()),
                    status: Set(initial.as_str().into()),
                    credentials: Set(None),
                    config: Set(serde_json::json!({})),
                    schedule: Set(None),
                    sync_mode: Set("incremental".into()),
                    sync_direction: Set("pull".into()),
                    resources: Set(serde_json::json!(resources)),
                    next_run_at: Set(None),
                    error_count: Set(0),
                    last_error: Set(None),
                    last_error_at: Set(None),
                    last_synced_at: Set(None),
                    connected_at: Set(None),
                    token_expires_at: Set(None),
                    refresh_lease_owner: Set(None),
                    refresh_lease_expires_at: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&self.db)
                .await
                .map_err(|e| internal("creating an integration", &e))?
            }
        };
        let next = match provider.auth {
            Auth::Oauth2(_) => format!("/api/integrations/{}/oauth/start", row.id),
            _ => format!("/integrations/{}", row.id),
        };
        Ok(ConnectStart {
            id: IntegrationId(row.id),
            next,
        })
    }

    async fn configure(
        &self,
        by: &Principal,
        id: IntegrationId,
        values: BTreeMap<String, String>,
        untested: bool,
    ) -> Result<IntegrationDetail, AppError> {
        by.require(Role::Admin)?;
        let row = self.row(by, id).await?;
        let provider = self.provider(&row.provider)?;
        let stored = self.credentials(&row)?;
        let checked = form::check(provider, &stored, &config_of(&row), &values)?;
        let testable = matches!(
            provider.auth,
            Auth::ApiKey { .. } | Auth::Basic { .. } | Auth::Smtp { .. }
        );
        let credentials_changed = checked.credentials != stored;
        let mut tested = false;
        if testable && credentials_changed && !untested {
            let result = verify::run(
                &self.http,
                provider,
                checked.credentials.template_values(&checked.config),
            )
            .await;
            if !result.ok {
                return Err(AppError::Validation(vec![FieldError::new(
                    "connection",
                    result.message,
                )]));
            }
            tested = true;
        }

        let before = status_of(&row);
        let now = Utc::now();
        let sealed = if checked.credentials.is_empty() {
            None
        } else {
            Some(
                checked
                    .credentials
                    .seal(&self.keyring, subject(&row))
                    .map_err(|e| internal("encrypting credentials", &e))?,
            )
        };
        let becomes_active = testable
            && matches!(
                before,
                IntegrationStatus::Pending | IntegrationStatus::Error | IntegrationStatus::Inactive
            )
            || matches!(provider.auth, Auth::None) && before == IntegrationStatus::Pending;
        let txn = crate::db::begin_write(&self.db)
            .await
            .map_err(|e| internal("starting a transaction", &e))?;
        let mut active: integration::ActiveModel = row.clone().into();
        active.credentials = Set(sealed);
        active.config = Set(serde_json::json!(checked.config));
        active.updated_at = Set(now);
        if becomes_active {
            active.status = Set(IntegrationStatus::Active.as_str().into());
            active.connected_at = Set(Some(now));
            active.last_error = Set(None);
            active.error_count = Set(0);
        }
        active
            .update(&txn)
            .await
            .map_err(|e| internal("saving an integration", &e))?;
        let how = if tested {
            "tested and saved"
        } else if untested && credentials_changed {
            "saved without testing"
        } else {
            "saved"
        };
        let entry = Entry::integration(
            by.tenant_id.0,
            row.id,
            "integration.configured",
            format!("{} changed the configuration ({how}).", by.name),
        );
        let entry = if untested && credentials_changed {
            entry.level(Level::Warning)
        } else {
            entry
        };
        entry
            .write(&txn)
            .await
            .map_err(|e| internal("logging a configuration change", &e))?;
        if becomes_active {
            Entry::integration(
                by.tenant_id.0,
                row.id,
                "integration.connected",
                format!("{} connected {}.", by.name, provider.name),
            )
            .write(&txn)
            .await
            .map_err(|e| internal("logging a connection", &e))?;
        }
        txn.commit()
            .await
            .map_err(|e| internal("committing a configuration", &e))?;
        tracing::info!(tenant_id = by.tenant_id.0, integration_id = row.id, provider = %provider.key, how, "integration configured");
        self.detail(by, id).await
    }

    async fn test(
        &self,
        by: &Principal,
        id: IntegrationId,
        values: BTreeMap<String, String>,
    ) -> Result<ConnectionTest, AppError> {
        by.require(Role::Admin)?;
        let row = self.row(by, id).await?;
        let provider = self.provider(&row.provider)?;
        // OAuth connections test with a token fresh enough to be accepted.
        let stored = if matches!(provider.auth, Auth::Oauth2(_)) && row.credentials.is_some() {
            match self.oauth.fresh_credentials(row.id, false).await {
                Ok(credentials) => credentials,
                Err(err) => {
                    return Ok(ConnectionTest {
                        ok: false,
                        message: err.to_string(),
                    })
                }
            }
        } else {
            self.credentials(&row)?
        };
        let checked = form::check(provider, &stored, &config_of(&row), &values)?;
        Ok(verify::run(
            &self.http,
            provider,
            checked.credentials.template_values(&checked.config),
        )
        .await)
    }

    async fn save_sync_settings(
        &self,
        by: &Principal,
        id: IntegrationId,
        settings: SyncSettings,
    ) -> Result<SyncSettings, AppError> {
        by.require(Role::Admin)?;
        let row = self.row(by, id).await?;
        let provider = self.provider(&row.provider)?;
        let mut errors = Vec::new();
        let schedule = match settings.schedule.trim() {
            "" => None,
            text => match CronSchedule::parse(text) {
                Ok(schedule) => Some(schedule),
                Err(message) => {
                    errors.push(FieldError::new("schedule", message));
                    None
                }
            },
        };
        if !matches!(settings.mode.as_str(), "full" | "incremental") {
            errors.push(FieldError::new("mode", "Choose full or incremental."));
        }
        if !matches!(
            settings.direction.as_str(),
            "pull" | "push" | "bidirectional"
        ) {
            errors.push(FieldError::new(
                "direction",
                "Choose pull, push or both ways.",
            ));
        }
        for resource in &settings.resources {
            if !provider.resources.iter().any(|r| &r.key == resource) {
                errors.push(FieldError::new(
                    "resources",
                    format!("{} has no resource '{resource}'.", provider.name),
                ));
            }
        }
        if settings.direction != "pull" {
            let unwritable: Vec<&str> = provider
                .resources
                .iter()
                .filter(|r| settings.resources.contains(&r.key) && r.push.is_none())
                .map(|r| r.name.as_str())
                .collect();
            if !unwritable.is_empty() {
                errors.push(FieldError::new(
                    "direction",
                    format!(
                        "{} cannot receive {} from the hub; choose Pull into the hub.",
                        provider.name,
                        unwritable.join(", ").to_lowercase()
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let now = Utc::now();
        let next_run = schedule.as_ref().and_then(|s| s.next_after(now));
        let mut active: integration::ActiveModel = row.clone().into();
        active.schedule = Set(schedule.as_ref().map(|s| s.expression().to_string()));
        active.next_run_at = Set(next_run);
        active.sync_mode = Set(settings.mode.clone());
        active.sync_direction = Set(settings.direction.clone());
        active.resources = Set(serde_json::json!(settings.resources));
        active.updated_at = Set(now);
        let row = active
            .update(&self.db)
            .await
            .map_err(|e| internal("saving sync settings", &e))?;
        let described = schedule
            .as_ref()
            .map(|s| format!("schedule {}", s.expression()))
            .unwrap_or_else(|| "manual syncs only".into());
        self.log(Entry::integration(
            by.tenant_id.0,
            row.id,
            "integration.sync_settings_changed",
            format!(
                "{} set {described}, {} {}.",
                by.name, settings.mode, settings.direction
            ),
        ))
        .await;
        Ok(sync_settings_of(&row))
    }

    async fn preview_schedule(&self, schedule: String) -> Result<Vec<String>, AppError> {
        CronSchedule::parse(&schedule)
            .map(|s| describe_runs(&s))
            .map_err(|message| AppError::field("schedule", message))
    }

    async fn set_paused(
        &self,
        by: &Principal,
        id: IntegrationId,
        paused: bool,
    ) -> Result<IntegrationState, AppError> {
        by.require(Role::Admin)?;
        let row = self.row(by, id).await?;
        let provider = self.provider(&row.provider)?;
        let status = status_of(&row);
        let next = match (paused, status) {
            (
                true,
                IntegrationStatus::Active | IntegrationStatus::Error | IntegrationStatus::Syncing,
            ) => IntegrationStatus::Paused,
            (false, IntegrationStatus::Paused) => IntegrationStatus::Active,
            (_, current) if (current == IntegrationStatus::Paused) == paused => {
                return Ok(state_of(&row))
            }
            (_, current) => {
                return Err(AppError::Conflict(format!(
                    "{} is {}; only a connected integration can be paused or resumed.",
                    provider.name,
                    current.label().to_lowercase()
                )))
            }
        };
        let mut active: integration::ActiveModel = row.clone().into();
        active.status = Set(next.as_str().into());
        active.updated_at = Set(Utc::now());
        let row = active
            .update(&self.db)
            .await
            .map_err(|e| internal("pausing an integration", &e))?;
        let (event, verb) = if paused {
            ("integration.paused", "paused")
        } else {
            ("integration.resumed", "resumed")
        };
        self.log(Entry::integration(
            by.tenant_id.0,
            row.id,
            event,
            format!("{} {verb} {}.", by.name, provider.name),
        ))
        .await;
        Ok(state_of(&row))
    }

    async fn disconnect(
        &self,
        by: &Principal,
        id: IntegrationId,
    ) -> Result<IntegrationState, AppError> {
        by.require(Role::Admin)?;
        let row = self.row(by, id).await?;
        let provider = self.provider(&row.provider)?;
        let revoked = self.oauth.revoke(&row).await;
        let now = Utc::now();
        let txn = crate::db::begin_write(&self.db)
            .await
            .map_err(|e| internal("starting a transaction", &e))?;
        let mut active: integration::ActiveModel = row.clone().into();
        active.status = Set(IntegrationStatus::Inactive.as_str().into());
        active.credentials = Set(None);
        active.schedule = Set(None);
        active.next_run_at = Set(None);
        active.token_expires_at = Set(None);
        active.last_error = Set(None);
        active.error_count = Set(0);
        active.connected_at = Set(None);
        active.updated_at = Set(now);
        let row = active
            .update(&txn)
            .await
            .map_err(|e| internal("disconnecting an integration", &e))?;
        Entry::integration(
            by.tenant_id.0,
            row.id,
            "integration.disconnected",
            format!(
                "{} disconnected {}; its credentials were deleted.{}",
                by.name,
                provider.name,
                revoked.map(|r| format!(" {r}")).unwrap_or_default()
            ),
        )
        .write(&txn)
        .await
        .map_err(|e| internal("logging a disconnection", &e))?;
        txn.commit()
            .await
            .map_err(|e| internal("committing a disconnection", &e))?;
        tracing::info!(tenant_id = by.tenant_id.0, integration_id = row.id, provider = %provider.key, "integration disconnected");
        Ok(state_of(&row))
    }

    async fn set_notify(
        &self,
        by: &Principal,
        provider_key: String,
        on: bool,
    ) -> Result<bool, AppError> {
        by.require(Role::Member)?;
        let provider = self.provider(&provider_key)?;
        if provider.availability != Availability::ComingSoon {
            return Err(AppError::Conflict(format!(
                "{} is already available: connect it.",
                provider.name
            )));
        }
        let existing = Tenant(by.tenant_id)
            .find::<provider_interest::Entity>()
            .filter(provider_interest::Column::Provider.eq(&provider.key))
            .one(&self.db)
            .await
            .map_err(|e| internal("loading a provider interest", &e))?;
        match (on, existing) {
            (true, None) => {
                provider_interest::ActiveModel {
                    tenant_id: Set(by.tenant_id.0),
                    provider: Set(provider.key.clone()),
                    user_id: Set(Some(by.user_id.0)),
                    created_at: Set(Utc::now()),
                    ..Default::default()
                }
                .insert(&self.db)
                .await
                .map_err(|e| internal("saving a provider interest", &e))?;
            }
            (false, Some(_)) => {
                Tenant(by.tenant_id)
                    .delete_many::<provider_interest::Entity>()
                    .filter(provider_interest::Column::Provider.eq(&provider.key))
                    .exec(&self.db)
                    .await
                    .map_err(|e| internal("removing a provider interest", &e))?;
            }
            _ => {}
        }
        Ok(on)
    }

    async fn set_oauth_app(
        &self,
        by: &Principal,
        id: IntegrationId,
        app: Option<(String, String)>,
    ) -> Result<IntegrationDetail, AppError> {
        by.require(Role::Admin)?;
        let row = self.row(by, id).await?;
        let provider = self.provider(&row.provider)?;
        if !matches!(provider.auth, Auth::Oauth2(_)) {
            return Err(AppError::Conflict(format!(
                "{} does not connect with OAuth.",
                provider.name
            )));
        }
        let scope = Tenant(by.tenant_id);
        let txn = crate::db::begin_write(&self.db)
            .await
            .map_err(|e| internal("starting a transaction", &e))?;
        scope
            .delete_many::<oauth_app::Entity>()
            .filter(oauth_app::Column::Provider.eq(&provider.key))
            .exec(&txn)
            .await
            .map_err(|e| internal("removing an OAuth app", &e))?;
        let message = match app {
            None => format!("{} removed the workspace's own OAuth app.", by.name),
            Some((client_id, client_secret)) => {
                let (client_id, client_secret) = (
                    client_id.trim().to_string(),
                    client_secret.trim().to_string(),
                );
                let mut errors = Vec::new();
                if client_id.is_empty() || client_id.len() > 512 {
                    errors.push(FieldError::new(
                        "client_id",
                        "Enter the client ID of your OAuth app.",
                    ));
                }
                if client_secret.is_empty() || client_secret.len() > 1024 {
                    errors.push(FieldError::new(
                        "client_secret",
                        "Enter the client secret of your OAuth app.",
                    ));
                }
                if !errors.is_empty() {
                    return Err(AppError::Validation(errors));
                }
                let now = Utc::now();
                // The secret's associated data names the row, so the row comes first.
                let created = oauth_app::ActiveModel {
                    tenant_id: Set(by.tenant_id.0),
                    provider: Set(provider.key.clone()),
                    client_id: Set(client_id.clone()),
                    client_secret: Set(Vec::new()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await
                .map_err(|e| internal("saving an OAuth app", &e))?;
                let subject = Subject {
                    tenant_id: by.tenant_id.0,
                    kind: "oauth_app",
                    id: created.id,
                };
                let sealed = self
                    .keyring
                    .encrypt(subject, client_secret.as_bytes())
                    .map_err(|e| internal("encrypting an OAuth client secret", &e))?;
                let mut active: oauth_app::ActiveModel = created.into();
                active.client_secret = Set(sealed);
                active
                    .update(&txn)
                    .await
                    .map_err(|e| internal("saving an OAuth app", &e))?;
                format!(
                    "{} set the workspace's own OAuth app (client ID {client_id}).",
                    by.name
                )
            }
        };
        Entry::integration(
            by.tenant_id.0,
            row.id,
            "integration.oauth_app_changed",
            message,
        )
        .write(&txn)
        .await
        .map_err(|e| internal("logging an OAuth app change", &e))?;
        txn.commit()
            .await
            .map_err(|e| internal("committing an OAuth app", &e))?;
        self.detail(by, id).await
    }
}
