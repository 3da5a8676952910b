//! The activity log (`integration_logs`): what happened to a tenant's
//! integrations, in words, for the Activity tab and page.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use crate::db::entities::integration_log;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One entry: `event` is a stable name (`integration.connected`), `message` the words.
pub struct Entry<'a> {
    pub tenant_id: i64,
    pub integration_id: Option<i64>,
    pub sync_run_id: Option<i64>,
    pub level: Level,
    pub event: &'a str,
    pub message: String,
    pub details: Option<serde_json::Value>,
}

impl<'a> Entry<'a> {
    pub fn integration(
        tenant_id: i64,
        integration_id: i64,
        event: &'a str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            tenant_id,
            integration_id: Some(integration_id),
            sync_run_id: None,
            level: Level::Info,
            event,
            message: message.into(),
            details: None,
        }
    }

    /// Ties the entry to a sync run (its detail view lists these lines).
    pub fn run(mut self, sync_run_id: i64) -> Self {
        self.sync_run_id = Some(sync_run_id);
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    pub async fn write<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        integration_log::ActiveModel {
            tenant_id: Set(self.tenant_id),
            integration_id: Set(self.integration_id),
            sync_run_id: Set(self.sync_run_id),
            level: Set(self.level.as_str().to_string()),
            event: Set(self.event.to_string()),
            message: Set(self.message),
            details: Set(self.details),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(())
    }
}
