//! The backend as the server functions see it: traits implemented by the
//! `server` crate and put into the Leptos context at start-up.

use std::sync::Arc;

use async_trait::async_trait;
use leptos::prelude::use_context;

use crate::domain::accounts::{CreatedToken, TenantSummary, TokenSummary, UserSummary};
use crate::domain::auth::{Principal, Role};
use crate::domain::ids::{ApiTokenId, UserId};
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

/// Every port, cloned into each request's context.
#[derive(Clone)]
pub struct Backend {
    pub system: Arc<dyn SystemPort>,
    pub accounts: Arc<dyn AccountsPort>,
}

/// The backend of the current request.
pub fn backend() -> Result<Backend, AppError> {
    use_context::<Backend>().ok_or_else(|| AppError::Internal {
        ref_id: "backend-missing".to_string(),
    })
}
