//! tower-sessions store on our own database (SQLite or PostgreSQL), so any
//! `hub` process can serve any request. Rows are keyed by the SHA-256 of the
//! session id: a copy of the table opens no session.

// Sessions are not tenant rows; they are found by their (hashed) id.
#![allow(clippy::disallowed_methods)]

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QuerySelect, RelationTrait, Set,
};
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

use crate::db::entities::{session, tenant, user};

/// The session key holding the signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";

#[derive(Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Removes expired sessions; returns how many.
    pub async fn delete_expired(&self) -> std::result::Result<u64, sea_orm::DbErr> {
        let result = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lt(Utc::now()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}

pub fn hash_id(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend(err: impl std::fmt::Display) -> Error {
    Error::Backend(err.to_string())
}

fn to_chrono(at: time::OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(at.unix_timestamp(), at.nanosecond()).unwrap_or_else(Utc::now)
}

fn active_model(record: &Record) -> Result<session::ActiveModel> {
    let data = serde_json::to_vec(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
    let user_id = record.data.get(USER_ID_KEY).and_then(|v| v.as_i64());
    Ok(session::ActiveModel {
        id: Set(hash_id(&record.id)),
        user_id: Set(user_id),
        data: Set(data),
        expires_at: Set(to_chrono(record.expiry_date)),
        created_at: Set(Utc::now()),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A fresh random 128-bit id collides only in theory; if it does, draw another.
        loop {
            let exists = session::Entity::find_by_id(hash_id(&record.id))
                .one(&self.db)
                .await
                .map_err(backend)?
                .is_some();
            if !exists {
                break;
            }
            record.id = Id::default();
        }
        session::Entity::insert(active_model(record)?)
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        session::Entity::insert(active_model(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([
                        session::Column::UserId,
                        session::Column::Data,
                        session::Column::ExpiresAt,
                    ])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let row = session::Entity::find_by_id(hash_id(id))
            .filter(session::Column::ExpiresAt.gt(Utc::now()))
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let data = serde_json::from_slice(&row.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp())
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        session::Entity::delete_by_id(hash_id(id))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// A live session with its user, the user's tenant and that tenant's
/// revision, read in one query: what every signed-in request needs.
#[derive(Debug, FromQueryResult)]
pub struct SignedIn {
    /// The session's values (JSON), as tower-sessions stored them.
    pub data: Vec<u8>,
    pub user_id: i64,
    pub role: String,
    pub is_platform_owner: bool,
    pub is_active: bool,
    pub name: String,
    pub email: String,
    pub tenant_id: i64,
    pub tenant_name: String,
    pub tenant_slug: String,
    pub revision: i64,
}

impl SignedIn {
    /// One of the session's values.
    pub fn value<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        let values: std::collections::HashMap<String, serde_json::Value> =
            serde_json::from_slice(&self.data).ok()?;
        values
            .get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }
}

/// The live session `id` of a signed-in user, if there is one.
pub async fn signed_in(
    db: &DatabaseConnection,
    id: &Id,
) -> std::result::Result<Option<SignedIn>, sea_orm::DbErr> {
    session::Entity::find()
        .select_only()
        .column(session::Column::Data)
        .column_as(user::Column::Id, "user_id")
        .column(user::Column::Role)
        .column(user::Column::IsPlatformOwner)
        .column(user::Column::IsActive)
        .column(user::Column::Name)
        .column(user::Column::Email)
        .column_as(tenant::Column::Id, "tenant_id")
        .column_as(tenant::Column::Name, "tenant_name")
        .column_as(tenant::Column::Slug, "tenant_slug")
        .column(tenant::Column::Revision)
        .join(JoinType::InnerJoin, session::Relation::User.def())
        .join(JoinType::InnerJoin, user::Relation::Tenant.def())
        .filter(session::Column::Id.eq(hash_id(id)))
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .into_model::<SignedIn>()
        .one(db)
        .await
}

/// Ends every session of a user at once (deactivation, password reset).
pub async fn delete_user_sessions(
    db: &DatabaseConnection,
    user_id: i64,
) -> std::result::Result<u64, sea_orm::DbErr> {
    let result = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
