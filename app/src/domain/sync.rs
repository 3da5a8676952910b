//! Sync runs and contacts as the Sync history tab and the contacts page show them.

use serde::{Deserialize, Serialize};

use super::ids::{ContactId, IntegrationId, SyncRunId};
use super::integrations::{LogLine, TimeText};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRunView {
    pub id: SyncRunId,
    pub integration_id: IntegrationId,
    /// manual, schedule, webhook
    pub trigger: String,
    pub mode: String,
    pub direction: String,
    pub resource: String,
    /// pending, running, completed, partial, failed, cancelled
    pub status: String,
    pub processed: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub failed: i64,
    pub pages: i32,
    pub error: Option<String>,
    pub started: Option<TimeText>,
    /// "12.4 s"; for a running run, so far.
    pub duration: Option<String>,
    pub cancel_requested: bool,
}

impl SyncRunView {
    pub fn is_active(&self) -> bool {
        matches!(self.status.as_str(), "pending" | "running")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRunDetail {
    pub run: SyncRunView,
    pub log: Vec<LogLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRow {
    pub id: ContactId,
    pub email: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    /// Names of the providers its records came from.
    pub sources: Vec<String>,
    pub updated: TimeText,
}

/// What the contacts page asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ContactQuery {
    pub search: String,
    /// name, email, company, updated
    pub sort: String,
    pub descending: bool,
    /// 1-based.
    pub page: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPage {
    pub rows: Vec<ContactRow>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub per_page: u64,
}

/// One provider record behind a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRecord {
    pub provider: String,
    pub resource: String,
    pub external_id: String,
    /// The record as the provider sent it, pretty-printed.
    pub data: String,
    pub synced: TimeText,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDetail {
    pub contact: ContactRow,
    pub records: Vec<SourceRecord>,
}

/// One contact field of the Field mapping tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingRow {
    /// `email`, `first_name`, …
    pub field: String,
    pub label: String,
    /// The provider field it comes from; empty when it is not synced.
    pub source: String,
    /// The catalog's default for this provider.
    pub default_source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingView {
    pub resource: String,
    pub rows: Vec<MappingRow>,
    /// Paths found in the synced records (and the defaults), to choose from.
    pub provider_fields: Vec<String>,
    /// Up to three synced records through the mapping: (contact field, value) pairs.
    pub preview: Vec<Vec<(String, String)>>,
}

/// The label of a contact field.
pub fn contact_field_label(field: &str) -> &'static str {
    match field {
        "email" => "Email",
        "first_name" => "First name",
        "last_name" => "Last name",
        "phone" => "Phone",
        "company" => "Company",
        "job_title" => "Job title",
        _ => "Other",
    }
}
