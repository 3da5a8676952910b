//! The backend as the server functions see it: traits implemented by the
//! `server` crate and put into the Leptos context at start-up.

use std::sync::Arc;

use async_trait::async_trait;
use leptos::prelude::use_context;

use std::collections::BTreeMap;

use crate::domain::accounts::{CreatedToken, TenantSummary, TokenSummary, UserSummary};
use crate::domain::auth::{Principal, Role};
use crate::domain::ids::{ApiTokenId, ContactId, IntegrationId, SyncRunId, UserId};
use crate::domain::integrations::{
    ConnectStart, ConnectionTest, HubView, IntegrationDetail, IntegrationState, SyncSettings,
};
use crate::domain::sync::{
    ContactDetail, ContactPage, ContactQuery, MappingView, SyncRunDetail, SyncRunView,
};
use crate::domain::{system::SystemStatus, AppError};

#[async_trait]
pub trait SystemPort: Send + Sync + 'static {
    async fn status(&self) -> Result<SystemStatus, AppError>;
}

/// Raw input of the "add user" form; the implementation parses it.
#[derive(Debug, Clone)]
pub struct NewUserInput {
    pub name: String,
    pub email: String,
    pub role: String,
    pub password: String,
}

/// Users, API tokens and tenants. Every method is scoped to the principal's
/// tenant and checks the role it needs itself, so REST and server functions
/// cannot differ.
#[async_trait]
pub trait AccountsPort: Send + Sync + 'static {
    async fn list_users(&self, by: &Principal) -> Result<Vec<UserSummary>, AppError>;
    async fn get_user(&self, by: &Principal, id: UserId) -> Result<UserSummary, AppError>;
    async fn create_user(
        &self,
        by: &Principal,
        input: NewUserInput,
    ) -> Result<UserSummary, AppError>;
    async fn change_role(
        &self,
        by: &Principal,
        id: UserId,
        role: Role,
    ) -> Result<UserSummary, AppError>;
    async fn set_active(
        &self,
        by: &Principal,
        id: UserId,
        active: bool,
    ) -> Result<UserSummary, AppError>;
    async fn reset_password(
        &self,
        by: &Principal,
        id: UserId,
        password: String,
    ) -> Result<(), AppError>;

    async fn list_tokens(&self, by: &Principal) -> Result<Vec<TokenSummary>, AppError>;
    async fn create_token(
        &self,
        by: &Principal,
        name: String,
        expires_in_days: Option<u32>,
    ) -> Result<CreatedToken, AppError>;
    async fn revoke_token(&self, by: &Principal, id: ApiTokenId) -> Result<TokenSummary, AppError>;

    async fn list_tenants(&self, by: &Principal) -> Result<Vec<TenantSummary>, AppError>;
}

/// The hub page and the settings modal. Reads need a member, changes an
/// admin; every method works inside the principal's tenant.
#[async_trait]
pub trait IntegrationsPort: Send + Sync + 'static {
    async fn hub(&self, by: &Principal) -> Result<HubView, AppError>;
    async fn detail(
        &self,
        by: &Principal,
        id: IntegrationId,
    ) -> Result<IntegrationDetail, AppError>;
    async fn start(&self, by: &Principal, provider: String) -> Result<ConnectStart, AppError>;
    async fn configure(
        &self,
        by: &Principal,
        id: IntegrationId,
        values: BTreeMap<String, String>,
        untested: bool,
    ) -> Result<IntegrationDetail, AppError>;
    async fn test(
        &self,
        by: &Principal,
        id: IntegrationId,
        values: BTreeMap<String, String>,
    ) -> Result<ConnectionTest, AppError>;
    async fn save_sync_settings(
        &self,
        by: &Principal,
        id: IntegrationId,
        settings: SyncSettings,
    ) -> Result<SyncSettings, AppError>;
    async fn preview_schedule(&self, schedule: String) -> Result<Vec<String>, AppError>;
    async fn set_paused(
        &self,
        by: &Principal,
        id: IntegrationId,
        paused: bool,
    ) -> Result<IntegrationState, AppError>;
    async fn disconnect(
        &self,
        by: &Principal,
        id: IntegrationId,
    ) -> Result<IntegrationState, AppError>;
    async fn set_notify(
        &self,
        by: &Principal,
        provider: String,
        on: bool,
    ) -> Result<bool, AppError>;
    /// The workspace's own OAuth app for the integration's provider (`None` removes it).
    async fn set_oauth_app(
        &self,
        by: &Principal,
        id: IntegrationId,
        app: Option<(String, String)>,
    ) -> Result<IntegrationDetail, AppError>;
}

/// Sync runs and the contacts they produce. Reads and Sync now need a
/// member; cancelling a run an admin.
#[async_trait]
pub trait SyncPort: Send + Sync + 'static {
    /// Starts the integration's sync (or returns the run already under way).
    async fn sync_now(
        &self,
        by: &Principal,
        id: IntegrationId,
    ) -> Result<Vec<SyncRunView>, AppError>;
    async fn runs(&self, by: &Principal, id: IntegrationId) -> Result<Vec<SyncRunView>, AppError>;
    async fn run(&self, by: &Principal, id: SyncRunId) -> Result<SyncRunDetail, AppError>;
    async fn cancel(&self, by: &Principal, id: SyncRunId) -> Result<SyncRunView, AppError>;
    async fn contacts(&self, by: &Principal, query: ContactQuery) -> Result<ContactPage, AppError>;
    async fn contact(&self, by: &Principal, id: ContactId) -> Result<ContactDetail, AppError>;
    /// The Field mapping tab: the effective mapping, fields to choose from, a preview.
    async fn mapping(&self, by: &Principal, id: IntegrationId) -> Result<MappingView, AppError>;
    /// Saves contact field → provider field (empty: not synced); only changes from the defaults are kept.
    async fn save_mapping(
        &self,
        by: &Principal,
        id: IntegrationId,
        fields: BTreeMap<String, String>,
    ) -> Result<MappingView, AppError>;
}

/// Every port, cloned into each request's context.
#[derive(Clone)]
pub struct Backend {
    pub system: Arc<dyn SystemPort>,
    pub accounts: Arc<dyn AccountsPort>,
    pub integrations: Arc<dyn IntegrationsPort>,
    pub sync: Arc<dyn SyncPort>,
}

/// The backend of the current request.
pub fn backend() -> Result<Backend, AppError> {
    use_context::<Backend>().ok_or_else(|| AppError::Internal {
        ref_id: "backend-missing".to_string(),
    })
}
