//! `AccountsPort`: users, API tokens and the platform's tenants. Every method
//! checks the role it needs and works inside the principal's tenant.

use std::collections::HashMap;

use app::api::ports::{AccountsPort, NewUserInput};
use app::domain::accounts::{CreatedToken, TenantSummary, TokenStatus, TokenSummary, UserSummary};
use app::domain::auth::{Principal, Role};
use app::domain::ids::{ApiTokenId, TenantId, UserId};
use app::domain::validate::{DisplayName, Email, NewPassword, Slug};
use app::domain::{AppError, FieldError};
use async_trait::async_trait;
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::{insert_user, NewAccount};
use crate::auth::session_store::delete_user_sessions;
use crate::auth::{tokens, Passwords};
use crate::db::entities::{api_token, integration, tenant, user};
use crate::db::scoped::Tenant;
use crate::error::internal;
use crate::format;

pub struct AccountsService {
    pub db: DatabaseConnection,
    pub passwords: Passwords,
}

fn user_summary(user: user::Model) -> UserSummary {
    let now = Utc::now();
    UserSummary {
        id: UserId(user.id),
        role: Role::parse(&user.role).unwrap_or(Role::Member),
        name: user.name,
        email: user.email,
        is_active: user.is_active,
        is_platform_owner: user.is_platform_owner,
        last_login: format::relative_or(user.last_login_at, now, "never"),
        created_at: format::exact(user.created_at),
    }
}

fn token_summary(token: api_token::Model, owner_name: String) -> TokenSummary {
    let now = Utc::now();
    let status = if token.revoked_at.is_some() {
        TokenStatus::Revoked
    } else if token.expires_at.is_some_and(|at| at <= now) {
        TokenStatus::Expired
    } else {
        TokenStatus::Active
    };
    TokenSummary {
        id: ApiTokenId(token.id),
        name: token.name,
        prefix: token.prefix,
        owner_name,
        created_at: format::exact(token.created_at),
        last_used: format::relative_or(token.last_used_at, now, "never"),
        expires: token
            .expires_at
            .map(format::exact)
            .unwrap_or_else(|| "never".to_string()),
        status,
    }
}

impl AccountsService {
    async fn find_user(&self, by: &Principal, id: UserId) -> Result<user::Model, AppError> {
        Tenant(by.tenant_id)
            .find_by_id::<user::Entity>(id.0)
            .one(&self.db)
            .await
            .map_err(|e| internal("loading a user", &e))?
            .ok_or(AppError::NotFound)
    }

    /// Refuses a change that would leave the tenant without an active owner.
    async fn ensure_other_owner(
        &self,
        by: &Principal,
        except: &user::Model,
    ) -> Result<(), AppError> {
        if except.role != Role::Owner.as_str() || !except.is_active {
            return Ok(());
        }
        let others = Tenant(by.tenant_id)
            .find::<user::Entity>()
            .filter(user::Column::Role.eq(Role::Owner.as_str()))
            .filter(user::Column::IsActive.eq(true))
            .filter(user::Column::Id.ne(except.id))
            .count(&self.db)
            .await
            .map_err(|e| internal("counting owners", &e))?;
        if others == 0 {
            return Err(AppError::Conflict(
                "A workspace needs at least one active owner. Make another user an owner first."
                    .into(),
            ));
        }
        Ok(())
    }

    async fn owner_names(&self, tenant: TenantId) -> Result<HashMap<i64, String>, AppError> {
        let users = Tenant(tenant)
            .find::<user::Entity>()
            .all(&self.db)
            .await
            .map_err(|e| internal("loading users", &e))?;
        Ok(users.into_iter().map(|u| (u.id, u.name)).collect())
    }
}

#[async_trait]
impl AccountsPort for AccountsService {
    async fn list_users(&self, by: &Principal) -> Result<Vec<UserSummary>, AppError> {
        by.require(Role::Owner)?;
        let users = Tenant(by.tenant_id)
            .find::<user::Entity>()
            .order_by_asc(user::Column::Name)
            .all(&self.db)
            .await
            .map_err(|e| internal("listing users", &e))?;
        Ok(users.into_iter().map(user_summary).collect())
    }

    async fn get_user(&self, by: &Principal, id: UserId) -> Result<UserSummary, AppError> {
        by.require(Role::Owner)?;
        self.find_user(by, id).await.map(user_summary)
    }

    async fn create_user(
        &self,
        by: &Principal,
        input: NewUserInput,
    ) -> Result<UserSummary, AppError> {
        by.require(Role::Owner)?;
        let mut errors = Vec::new();
        let name = DisplayName::parse(&input.name, "a name")
            .map_err(|m| errors.push(FieldError::new("name", m)))
            .ok();
        let email = Email::parse(&input.email)
            .map_err(|m| errors.push(FieldError::new("email", m)))
            .ok();
        let role = Role::parse(&input.role)
            .map_err(|m| errors.push(FieldError::new("role", m)))
            .ok();
        let password = NewPassword::parse(&input.password)
            .map_err(|m| errors.push(FieldError::new("password", m)))
            .ok();
        let (Some(name), Some(email), Some(role), Some(password)) = (name, email, role, password)
        else {
            return Err(AppError::Validation(errors));
        };
        let password_hash = self
            .passwords
            .hash(password.expose())
            .await
            .map_err(|e| internal("hashing a password", &e))?;
        let account = NewAccount {
            tenant_slug: Slug::parse(&by.tenant_slug).map_err(|e| internal("tenant slug", &e))?,
            tenant_name: DisplayName::parse(&by.tenant_name, "the workspace")
                .map_err(|e| internal("tenant name", &e))?,
            email,
            name,
            role,
            password_hash,
            is_platform_owner: false,
        };
        let id = insert_user(&self.db, by.tenant_id.0, &account).await?;
        tracing::info!(by = by.user_id.0, user_id = id, role = %role, "user created");
        self.get_user(by, UserId(id)).await
    }

    async fn change_role(
        &self,
        by: &Principal,
        id: UserId,
        role: Role,
    ) -> Result<UserSummary, AppError> {
        by.require(Role::Owner)?;
        let user = self.find_user(by, id).await?;
        if role != Role::Owner {
            self.ensure_other_owner(by, &user).await?;
        }
        let mut active: user::ActiveModel = user.into();
        active.role = Set(role.as_str().to_string());
        active.updated_at = Set(Utc::now());
        let user = active
            .update(&self.db)
            .await
            .map_err(|e| internal("changing a role", &e))?;
        tracing::info!(by = by.user_id.0, user_id = id.0, role = %role, "role changed");
        Ok(user_summary(user))
    }

    async fn set_active(
        &self,
        by: &Principal,
        id: UserId,
        is_active: bool,
    ) -> Result<UserSummary, AppError> {
        by.require(Role::Owner)?;
        let user = self.find_user(by, id).await?;
        if !is_active {
            if user.id == by.user_id.0 {
                return Err(AppError::Conflict(
                    "You cannot deactivate your own account. Ask another owner to do it.".into(),
                ));
            }
            self.ensure_other_owner(by, &user).await?;
        }
        let mut active: user::ActiveModel = user.into();
        active.is_active = Set(is_active);
        active.updated_at = Set(Utc::now());
        let user = active
            .update(&self.db)
            .await
            .map_err(|e| internal("changing a user's status", &e))?;
        if !is_active {
            let ended = delete_user_sessions(&self.db, user.id)
                .await
                .map_err(|e| internal("ending a user's sessions", &e))?;
            tracing::info!(
                by = by.user_id.0,
                user_id = id.0,
                sessions_ended = ended,
                "user deactivated"
            );
        } else {
            tracing::info!(by = by.user_id.0, user_id = id.0, "user reactivated");
        }
        Ok(user_summary(user))
    }

    async fn reset_password(
        &self,
        by: &Principal,
        id: UserId,
        password: String,
    ) -> Result<(), AppError> {
        by.require(Role::Owner)?;
        let password = NewPassword::parse(&password).map_err(|m| AppError::field("password", m))?;
        let user = self.find_user(by, id).await?;
        let hash = self
            .passwords
            .hash(password.expose())
            .await
            .map_err(|e| internal("hashing a password", &e))?;
        let mut active: user::ActiveModel = user.into();
        active.password_hash = Set(hash);
        active.updated_at = Set(Utc::now());
        active
            .update(&self.db)
            .await
            .map_err(|e| internal("resetting a password", &e))?;
        let ended = delete_user_sessions(&self.db, id.0)
            .await
            .map_err(|e| internal("ending a user's sessions", &e))?;
        tracing::info!(
            by = by.user_id.0,
            user_id = id.0,
            sessions_ended = ended,
            "password reset"
        );
        Ok(())
    }

    async fn list_tokens(&self, by: &Principal) -> Result<Vec<TokenSummary>, AppError> {
        by.require(Role::Admin)?;
        let names = self.owner_names(by.tenant_id).await?;
        let tokens = Tenant(by.tenant_id)
            .find::<api_token::Entity>()
            .order_by_desc(api_token::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(|e| internal("listing API tokens", &e))?;
        Ok(tokens
            .into_iter()
            .map(|t| {
                let owner = names.get(&t.user_id).cloned().unwrap_or_default();
                token_summary(t, owner)
            })
            .collect())
    }

    async fn create_token(
        &self,
        by: &Principal,
        name: String,
        expires_in_days: Option<u32>,
    ) -> Result<CreatedToken, AppError> {
        by.require(Role::Admin)?;
        let name = DisplayName::parse(&name, "a name for the token")
            .map_err(|m| AppError::field("name", m))?;
        if let Some(days) = expires_in_days {
            if !(1..=3650).contains(&days) {
                return Err(AppError::field(
                    "expires_in_days",
                    "Choose an expiry between 1 day and 10 years.",
                ));
            }
        }
        let new = tokens::generate();
        let now = Utc::now();
        let token = api_token::ActiveModel {
            tenant_id: Set(by.tenant_id.0),
            user_id: Set(by.user_id.0),
            name: Set(name.into_inner()),
            prefix: Set(new.prefix.clone()),
            token_hash: Set(new.hash.clone()),
            last_used_at: Set(None),
            expires_at: Set(expires_in_days.map(|d| now + Duration::days(i64::from(d)))),
            revoked_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| internal("creating an API token", &e))?;
        tracing::info!(by = by.user_id.0, token_id = token.id, prefix = %token.prefix, "API token created");
        Ok(CreatedToken {
            token: new.value,
            summary: token_summary(token, by.name.clone()),
        })
    }

    async fn revoke_token(&self, by: &Principal, id: ApiTokenId) -> Result<TokenSummary, AppError> {
        by.require(Role::Admin)?;
        let token = Tenant(by.tenant_id)
            .find_by_id::<api_token::Entity>(id.0)
            .one(&self.db)
            .await
            .map_err(|e| internal("loading an API token", &e))?
            .ok_or(AppError::NotFound)?;
        let token = if token.revoked_at.is_none() {
            let mut active: api_token::ActiveModel = token.into();
            active.revoked_at = Set(Some(Utc::now()));
            active
                .update(&self.db)
                .await
                .map_err(|e| internal("revoking an API token", &e))?
        } else {
            token
        };
        tracing::info!(by = by.user_id.0, token_id = id.0, "API token revoked");
        let names = self.owner_names(by.tenant_id).await?;
        let owner = names.get(&token.user_id).cloned().unwrap_or_default();
        Ok(token_summary(token, owner))
    }

    async fn list_tenants(&self, by: &Principal) -> Result<Vec<TenantSummary>, AppError> {
        by.require_platform_owner()?;
        let tenants = tenant::Entity::find()
            .order_by_asc(tenant::Column::Name)
            .all(&self.db)
            .await
            .map_err(|e| internal("listing tenants", &e))?;
        let counts = |rows: Vec<(i64, i64)>| rows.into_iter().collect::<HashMap<i64, i64>>();
        let users = counts(
            user::Entity::find()
                .select_only()
                .column(user::Column::TenantId)
                .column_as(user::Column::Id.count(), "n")
                .group_by(user::Column::TenantId)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(|e| internal("counting users", &e))?,
        );
        let active_users = counts(
            user::Entity::find()
                .select_only()
                .column(user::Column::TenantId)
                .column_as(user::Column::Id.count(), "n")
                .filter(user::Column::IsActive.eq(true))
                .group_by(user::Column::TenantId)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(|e| internal("counting active users", &e))?,
        );
        let integrations = counts(
            integration::Entity::find()
                .select_only()
                .column(integration::Column::TenantId)
                .column_as(integration::Column::Id.count(), "n")
                .group_by(integration::Column::TenantId)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(|e| internal("counting integrations", &e))?,
        );
        let get =
            |map: &HashMap<i64, i64>, id: i64| map.get(&id).copied().unwrap_or(0).max(0) as u64;
        Ok(tenants
            .into_iter()
            .map(|t| TenantSummary {
                id: TenantId(t.id),
                users: get(&users, t.id),
                active_users: get(&active_users, t.id),
                integrations: get(&integrations, t.id),
                created_at: format::exact(t.created_at),
                slug: t.slug,
                name: t.name,
            })
            .collect())
    }
}
