//! Loading the principal of a user id (from a session or an API token).

use app::domain::auth::{Principal, Role};
use app::domain::ids::{TenantId, UserId};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use crate::db::entities::{tenant, user};

/// The principal of an active user; `None` for unknown or deactivated users.
pub async fn load(db: &DatabaseConnection, user_id: i64) -> Result<Option<Principal>, DbErr> {
    // Users are looked up across tenants here: the user id came from our own
    // session or token row, and this is what yields the tenant.
    #[allow(clippy::disallowed_methods)]
    let found = user::Entity::find_by_id(user_id)
        .find_also_related(tenant::Entity)
        .one(db)
        .await?;
    let Some((user, Some(tenant))) = found else {
        return Ok(None);
    };
    if !user.is_active {
        return Ok(None);
    }
    Ok(Some(to_principal(user, tenant)))
}

pub fn to_principal(user: user::Model, tenant: tenant::Model) -> Principal {
    Principal {
        user_id: UserId(user.id),
        tenant_id: TenantId(tenant.id),
        role: Role::parse(&user.role).unwrap_or(Role::Member),
        is_platform_owner: user.is_platform_owner,
        name: user.name,
        email: user.email,
        tenant_name: tenant.name,
        tenant_slug: tenant.slug,
    }
}
