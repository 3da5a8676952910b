//! `integrations` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "integrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    pub provider: String,
    pub status: String,
    /// key-version ‖ nonce ‖ AES-256-GCM ciphertext of the credential JSON.
    pub credentials: Option<Vec<u8>>,
    pub config: Json,
    pub schedule: Option<String>,
    pub sync_mode: String,
    pub sync_direction: String,
    pub resources: Json,
    pub next_run_at: Option<DateTimeUtc>,
    pub error_count: i32,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTimeUtc>,
    pub last_synced_at: Option<DateTimeUtc>,
    pub connected_at: Option<DateTimeUtc>,
    pub token_expires_at: Option<DateTimeUtc>,
    pub refresh_lease_owner: Option<String>,
    pub refresh_lease_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
