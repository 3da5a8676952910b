//! The sync engine: the handler of `sync` jobs. A run pulls its resource
//! page by page (`pull`), pushes the hub's contacts (`push`) or both, and
//! ends with counters, a status and activity-log lines.

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::Value;

use super::fetch::{ApiSession, RetryPolicy};
use super::mapping::Mapping;
use super::pager::PageRequest;
use super::pull::{Pulled, Puller};
use super::runs;
use super::store::{Counts, Target};
use crate::activity::{Entry, Level};
use crate::catalog::{Auth, Catalog, Provider};
use crate::connections::Credentials;
use crate::crypto::Keyring;
use crate::db::entities::{integration, sync_run};
use crate::integrations::{config_of, credentials_subject};
use crate::jobs::{Handler, Job, JobError, Lease};
use crate::oauth::{OAuthService, TokenError};

pub struct SyncHandler {
    pub db: DatabaseConnection,
    pub catalog: Arc<Catalog>,
    pub keyring: Keyring,
    pub http: reqwest::Client,
    pub oauth: Arc<OAuthService>,
    pub policy: RetryPolicy,
}

/// Why a run stopped early.
pub(super) enum Stop {
    /// Ends the run as `failed` (and the integration as `error`).
    Failed(String),
    Cancelled,
    /// The job goes back to the queue; the run continues from its cursor.
    Job(JobError),
}

impl From<sea_orm::DbErr> for Stop {
    fn from(err: sea_orm::DbErr) -> Self {
        Stop::Job(JobError::Retry {
            message: format!("database: {err}"),
            after: std::time::Duration::from_secs(5),
        })
    }
}

#[async_trait]
impl Handler for SyncHandler {
    async fn run(&self, job: &Job, lease: &Lease) -> Result<(), JobError> {
        let Some(run_id) = job.payload.get("run_id").and_then(Value::as_i64) else {
            return Err(JobError::Fail("a sync job without a run_id".into()));
        };
        // The job names its run; the run names its tenant.
        #[allow(clippy::disallowed_methods)]
        let run = sync_run::Entity::find_by_id(run_id)
            .one(&self.db)
            .await
            .map_err(|e| retry_db(&e))?;
        let Some(run) = run else { return Ok(()) };
        if runs::is_finished(&run.status) {
            return Ok(());
        }
        let result = self.execute(&run, lease).await;
        let end = match result {
            Ok(counts) => runs::End::Done(counts),
            Err(Stop::Cancelled) => runs::End::Cancelled,
            Err(Stop::Failed(message)) => runs::End::Failed(message),
            Err(Stop::Job(err)) => return Err(err),
        };
        runs::finish(&self.db, run_id, end)
            .await
            .map_err(|e| retry_db(&e))
    }

    async fn abandon(&self, job: &Job, reason: &str) {
        if let Some(run_id) = job.payload.get("run_id").and_then(Value::as_i64) {
            let end = runs::End::Failed(reason.to_string());
            if let Err(err) = runs::finish(&self.db, run_id, end).await {
                tracing::warn!(run_id, error = %err, "could not mark an abandoned run failed");
            }
        }
    }
}

fn retry_db(err: &sea_orm::DbErr) -> JobError {
    JobError::Retry {
        message: format!("database: {err}"),
        after: std::time::Duration::from_secs(5),
    }
}

impl SyncHandler {
    async fn execute(&self, run: &sync_run::Model, lease: &Lease) -> Result<Counts, Stop> {
        #[allow(clippy::disallowed_methods)]
        let integration = integration::Entity::find_by_id(run.integration_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| Stop::Failed("the integration was removed".into()))?;
        if run.cancel_requested {
            return Err(Stop::Cancelled);
        }
        let provider = self
            .catalog
            .provider(&integration.provider)
            .ok_or_else(|| {
                Stop::Failed(format!("{} is not in the catalog", integration.provider))
            })?;
        let resource = provider
            .resources
            .iter()
            .find(|r| r.key == run.resource)
            .ok_or_else(|| {
                Stop::Failed(format!(
                    "{} has no resource {}",
                    provider.name, run.resource
                ))
            })?;
        if integration.credentials.is_none() || integration.status == "inactive" {
            return Err(Stop::Failed(format!(
                "{} is not connected; connect it before syncing",
                provider.name
            )));
        }
        let push = match (run.direction.as_str(), &resource.push) {
            ("pull", _) => None,
            (_, Some(push)) => Some(push),
            (_, None) => {
                return Err(Stop::Failed(format!(
                    "{} cannot receive {}; choose Pull in the Sync tab",
                    provider.name,
                    resource.name.to_lowercase()
                )))
            }
        };

        let first_start = runs::mark_running(&self.db, run, &integration).await?;
        if first_start {
            self.log(
                run,
                Level::Info,
                "sync.started",
                format!(
                    "{} sync of {} started ({}, {}).",
                    runs::mode_words(&run.mode),
                    resource.name.to_lowercase(),
                    run.trigger,
                    run.direction
                ),
            )
            .await;
        }

        let mut session = self.session(provider, &integration).await?;
        let mapping = Mapping::load(&self.db, run.tenant_id, integration.id, resource).await?;
        let since = if run.mode == "incremental" {
            runs::last_success_start(&self.db, integration.id, &resource.key, run.id).await?
        } else {
            None
        };
        let incremental = since.and_then(|at| resource.incremental.as_ref().map(|i| (i, at)));
        let api = provider
            .api
            .as_ref()
            .ok_or_else(|| Stop::Failed(format!("{} has no API", provider.name)))?;

        let mut request = run
            .cursor
            .as_deref()
            .and_then(PageRequest::from_text)
            .unwrap_or(PageRequest::First);
        if run.direction == "push"
            && !matches!(request, PageRequest::Push { .. } | PageRequest::Done)
        {
            request = PageRequest::Push { after: 0 };
        }
        let counts = Counts {
            processed: run.records_processed,
            created: run.records_created,
            updated: run.records_updated,
            unchanged: run.records_unchanged,
            failed: run.records_failed,
        };
        let puller = Puller {
            handler: self,
            run,
            provider,
            api,
            resource,
            incremental,
            target: Target {
                tenant_id: run.tenant_id,
                integration_id: integration.id,
                resource: &resource.key,
                id_field: &resource.id_field,
                updated_field: resource.updated_field.as_deref(),
                mapping: &mapping,
            },
            lease,
            then_push: push.is_some(),
        };
        let Pulled {
            counts,
            pages,
            next,
        } = puller
            .run(&mut session, request, counts, run.pages_fetched)
            .await?;
        let (Some(push), PageRequest::Push { after }) = (push, next) else {
            return Ok(counts);
        };
        let pusher = super::push::Pusher {
            db: &self.db,
            run,
            provider_name: &provider.name,
            resource,
            push,
            mapping: &mapping,
            lease,
        };
        pusher.run(&mut session, after, counts, pages).await
    }

    /// The integration's API with fresh credentials.
    async fn session<'a>(
        &'a self,
        provider: &'a Provider,
        row: &integration::Model,
    ) -> Result<ApiSession<'a>, Stop> {
        let config = config_of(row);
        let (credentials, oauth) = if matches!(provider.auth, Auth::Oauth2(_)) {
            match self.oauth.fresh_credentials(row.id, false).await {
                Ok(credentials) => (credentials, Some((&self.oauth, row.id))),
                Err(TokenError::Revoked(why)) => {
                    return Err(Stop::Failed(format!("Reconnect needed: {why}")))
                }
                Err(TokenError::NotConnected) => {
                    return Err(Stop::Failed(format!("{} is not connected", provider.name)))
                }
                Err(TokenError::Transient(why)) => {
                    return Err(Stop::Job(JobError::Retry {
                        message: format!("could not refresh the access token: {why}"),
                        after: std::time::Duration::from_secs(10),
                    }))
                }
            }
        } else {
            let stored = row.credentials.as_deref().unwrap_or_default();
            let credentials = Credentials::open(&self.keyring, credentials_subject(row), stored)
                .map_err(|e| Stop::Failed(format!("the stored credentials cannot be read: {e}")))?;
            (credentials, None)
        };
        let values = credentials.template_values(&config);
        Ok(ApiSession::new(
            &self.http,
            provider,
            values,
            config,
            oauth,
            self.policy.clone(),
        ))
    }

    pub(super) async fn log(
        &self,
        run: &sync_run::Model,
        level: Level,
        event: &str,
        message: String,
    ) {
        let entry = Entry::integration(run.tenant_id, run.integration_id, event, message)
            .run(run.id)
            .level(level);
        if let Err(err) = entry.write(&self.db).await {
            tracing::warn!(error = %err, "could not write to the activity log");
        }
    }
}
