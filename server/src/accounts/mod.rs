//! Tenants, users and API tokens: creating accounts (setup, CLI, the users
//! page) and the `AccountsPort` the pages and the REST API use.

mod service;

pub use service::AccountsService;

use app::domain::auth::Role;
use app::domain::validate::{DisplayName, Email, Slug};
use app::domain::AppError;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use crate::db::entities::{tenant, user};
use crate::error::internal;

/// A user to create, with already-parsed fields.
pub struct NewAccount {
    pub tenant_slug: Slug,
    pub tenant_name: DisplayName,
    pub email: Email,
    pub name: DisplayName,
    pub role: Role,
    pub password_hash: String,
    pub is_platform_owner: bool,
}

/// The first-run setup: a tenant and its owner, only while no user exists
/// (concurrent setups cannot both succeed).
pub async fn create_first_owner(
    db: &DatabaseConnection,
    account: NewAccount,
) -> Result<i64, AppError> {
    let txn = crate::db::begin_write(db)
        .await
        .map_err(|e| internal("starting the setup transaction", &e))?;
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared("LOCK TABLE users IN EXCLUSIVE MODE")
            .await
            .map_err(|e| internal("locking users for setup", &e))?;
    }
    let users = user::Entity::find()
        .count(&txn)
        .await
        .map_err(|e| internal("counting users", &e))?;
    if users > 0 {
        return Err(AppError::Conflict("The hub is already set up.".into()));
    }
    let tenant_id = insert_tenant(&txn, &account.tenant_slug, &account.tenant_name).await?;
    let user_id = insert_user(&txn, tenant_id, &account).await?;
    txn.commit()
        .await
        .map_err(|e| internal("committing the setup", &e))?;
    Ok(user_id)
}

/// Creates a user in the tenant `account.tenant_slug`, creating the tenant if
/// it does not exist (the CLI's `hub user create`). Returns (user id, tenant created).
pub async fn create_account(
    db: &DatabaseConnection,
    account: NewAccount,
) -> Result<(i64, bool), AppError> {
    let txn = crate::db::begin_write(db)
        .await
        .map_err(|e| internal("starting a transaction", &e))?;
    let existing = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(account.tenant_slug.as_str()))
        .one(&txn)
        .await
        .map_err(|e| internal("looking up a tenant", &e))?;
    let (tenant_id, created) = match existing {
        Some(tenant) => (tenant.id, false),
        None => (
            insert_tenant(&txn, &account.tenant_slug, &account.tenant_name).await?,
            true,
        ),
    };
    let user_id = insert_user(&txn, tenant_id, &account).await?;
    txn.commit()
        .await
        .map_err(|e| internal("committing a new user", &e))?;
    Ok((user_id, created))
}

async fn insert_tenant(
    txn: &DatabaseTransaction,
    slug: &Slug,
    name: &DisplayName,
) -> Result<i64, AppError> {
    let now = Utc::now();
    let tenant = tenant::ActiveModel {
        slug: Set(slug.as_str().to_string()),
        name: Set(name.as_str().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| internal("creating a tenant", &e))?;
    Ok(tenant.id)
}

pub(crate) async fn insert_user<C: ConnectionTrait>(
    conn: &C,
    tenant_id: i64,
    account: &NewAccount,
) -> Result<i64, AppError> {
    let taken = user::Entity::find()
        .filter(user::Column::Email.eq(account.email.as_str()))
        .count(conn)
        .await
        .map_err(|e| internal("checking an email address", &e))?;
    if taken > 0 {
        return Err(AppError::field(
            "email",
            format!(
                "A user with the email {} already exists.",
                account.email.as_str()
            ),
        ));
    }
    let now = Utc::now();
    let user = user::ActiveModel {
        tenant_id: Set(tenant_id),
        email: Set(account.email.as_str().to_string()),
        name: Set(account.name.as_str().to_string()),
        password_hash: Set(account.password_hash.clone()),
        role: Set(account.role.as_str().to_string()),
        is_platform_owner: Set(account.is_platform_owner),
        is_active: Set(true),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map_err(|e| internal("creating a user", &e))?;
    Ok(user.id)
}
