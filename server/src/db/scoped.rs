//! Tenant-scoped queries. Every tenant-owned entity implements `TenantOwned`;
//! queries on them start from `Tenant::find` and friends, which always filter
//! by the tenant. (clippy.toml forbids the unscoped `find_by_id`/`delete_by_id`
//! outside this module.)

use app::domain::ids::TenantId;
use sea_orm::{ColumnTrait, DeleteMany, EntityTrait, QueryFilter, Select, UpdateMany};

use super::entities::*;

pub trait TenantOwned: EntityTrait {
    fn tenant_column() -> Self::Column;
    fn id_column() -> Self::Column;
}

macro_rules! tenant_owned {
    ($($module:ident),* $(,)?) => {$(
        impl TenantOwned for $module::Entity {
            fn tenant_column() -> Self::Column {
                $module::Column::TenantId
            }
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
        }
    )*};
}

tenant_owned!(
    user,
    api_token,
    integration,
    oauth_app,
    oauth_state,
    provider_interest,
    field_mapping,
    sync_run,
    integration_log,
    integration_data,
    contact,
    webhook_endpoint,
    webhook_event,
    webhook_subscription,
    webhook_delivery,
    webhook_delivery_attempt,
);

/// A tenant's view of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenant(pub TenantId);

impl Tenant {
    pub fn find<E: TenantOwned>(self) -> Select<E> {
        E::find().filter(E::tenant_column().eq(self.0 .0))
    }

    /// One row by id — `None` when it belongs to another tenant, exactly as
    /// when it does not exist.
    pub fn find_by_id<E: TenantOwned>(self, id: i64) -> Select<E> {
        self.find::<E>().filter(E::id_column().eq(id))
    }

    pub fn update_many<E: TenantOwned>(self) -> UpdateMany<E> {
        E::update_many().filter(E::tenant_column().eq(self.0 .0))
    }

    pub fn delete_many<E: TenantOwned>(self) -> DeleteMany<E> {
        E::delete_many().filter(E::tenant_column().eq(self.0 .0))
    }
}
