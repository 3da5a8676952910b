//! Server functions of the users, API tokens and platform pages.

use leptos::prelude::*;

use crate::domain::accounts::{CreatedToken, TenantSummary, TokenSummary, UserSummary};
use crate::domain::auth::Role;
use crate::domain::ids::{ApiTokenId, UserId};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
use super::{guard, ports};

#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    super::respond(
        async move {
            let by = guard::require(Role::Owner)?;
            ports::backend()?.accounts.list_users(&by).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "users/get")]
pub async fn get_user(id: UserId) -> Result<UserSummary, AppError> {
    super::respond(
        async move {
            let by = guard::require(Role::Owner)?;
            ports::backend()?.accounts.get_user(&by, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "users/create")]
pub async fn create_user(
    name: String,
    email: String,
    role: String,
    password: String,
) -> Result<UserSummary, AppError> {
    super::respond(
        async move {
            let by = guard::require(Role::Owner)?;
            let input = ports::NewUserInput {
                name,
                email,
                role,
                password,
            };
            ports::backend()?.accounts.create_user(&by, input).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "users/role")]
pub async fn change_role(id: UserId, role: Role) -> Result<UserSummary, AppError> {
    super::respond(
        async move {
            let by = guard::require(Role::Owner)?;
            ports::backend()?.accounts.change_role(&by, id, role).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "users/active")]
pub async fn set_user_active(id: UserId, active: bool) -> Result<UserSummary, AppError> {
    super::respond(
        async move {
            let by = guard::require(Role::Owner)?;
            ports::backend()?.accounts.set_active(&by, id, active).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "users/password")]
pub async fn reset_password(id: UserId, password: String) -> Result<(), AppError> {
    super::respond(
        async move {
            let by = guard::require(Role::Owner)?;
            ports::backend()?
                .accounts
                .reset_password(&by, id, password)
                .await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, AppError> {
    super::respond(
        async move {
            let by = guard::require(Role::Admin)?;
            ports::backend()?.accounts.list_tokens(&by).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "tokens/create")]
pub async fn create_token(name: String, expires_in_days: String) -> Result<CreatedToken, AppError> {
    super::respond(
        async move {
            let by = guard::require(Role::Admin)?;
            let expires = match expires_in_days.trim() {
                "" | "never" => None,
                days => Some(days.parse::<u32>().map_err(|_| {
                    AppError::field("expires_in_days", "Choose when the token expires.")
                })?),
            };
            ports::backend()?
                .accounts
                .create_token(&by, name, expires)
                .await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "tokens/revoke")]
pub async fn revoke_token(id: ApiTokenId) -> Result<TokenSummary, AppError> {
    super::respond(
        async move {
            let by = guard::require(Role::Admin)?;
            ports::backend()?.accounts.revoke_token(&by, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "platform/tenants")]
pub async fn list_tenants() -> Result<Vec<TenantSummary>, AppError> {
    super::respond(
        async move {
            let by = guard::require_platform_owner()?;
            ports::backend()?.accounts.list_tenants(&by).await
        }
        .await,
    )
}
