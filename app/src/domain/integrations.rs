//! Integrations as the hub page and the settings modal show them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::catalog::{CategorySummary, FieldSpec, ProviderBrief, ProviderSummary};
use super::ids::IntegrationId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationStatus {
    Inactive,
    Pending,
    Active,
    Syncing,
    Paused,
    Error,
}

impl IntegrationStatus {
    pub const ALL: [IntegrationStatus; 6] = [
        IntegrationStatus::Inactive,
        IntegrationStatus::Pending,
        IntegrationStatus::Active,
        IntegrationStatus::Syncing,
        IntegrationStatus::Paused,
        IntegrationStatus::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationStatus::Inactive => "inactive",
            IntegrationStatus::Pending => "pending",
            IntegrationStatus::Active => "active",
            IntegrationStatus::Syncing => "syncing",
            IntegrationStatus::Paused => "paused",
            IntegrationStatus::Error => "error",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            IntegrationStatus::Inactive => "Not connected",
            IntegrationStatus::Pending => "Pending",
            IntegrationStatus::Active => "Active",
            IntegrationStatus::Syncing => "Syncing",
            IntegrationStatus::Paused => "Paused",
            IntegrationStatus::Error => "Error",
        }
    }

    pub fn icon(self) -> &'static str {
        match self {
            IntegrationStatus::Inactive => "○",
            IntegrationStatus::Pending => "◔",
            IntegrationStatus::Active => "●",
            IntegrationStatus::Syncing => "⟳",
            IntegrationStatus::Paused => "❚❚",
            IntegrationStatus::Error => "⚠",
        }
    }

    /// Whether the integration holds a working (or repairable) connection.
    pub fn is_connected(self) -> bool {
        !matches!(self, IntegrationStatus::Inactive)
    }
}

/// A time as words, with the exact time for a tooltip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeText {
    pub relative: String,
    pub exact: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubStats {
    pub active_integrations: u64,
    pub records_synced_today: u64,
    pub last_sync: Option<TimeText>,
    pub failed_syncs_24h: u64,
}

/// The tenant's integration of one provider, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationState {
    pub id: IntegrationId,
    pub status: IntegrationStatus,
    pub last_error: Option<String>,
    pub last_synced: Option<TimeText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderCard {
    pub provider: ProviderBrief,
    pub integration: Option<IntegrationState>,
    /// Coming soon: the tenant asked to be told.
    pub notify_me: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubView {
    pub stats: HubStats,
    pub categories: Vec<CategorySummary>,
    pub cards: Vec<ProviderCard>,
    /// When a time-dependent part of this view (a "5 min ago", today's
    /// records, the failed runs of the last 24 h) next changes, in Unix
    /// seconds: the server keeps the rendered hub no longer. Not sent.
    #[serde(skip)]
    pub changes_at: Option<i64>,
}

/// A value of a saved field: plain for ordinary fields, masked for secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldValue {
    Plain(String),
    /// `••••1234`: the secret is stored; leaving the input empty keeps it.
    Masked(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSettings {
    /// A cron expression (5 or 6 fields) or empty for manual syncs only.
    pub schedule: String,
    pub mode: String,
    pub direction: String,
    pub resources: Vec<String>,
    /// The next three runs, in words, when scheduled.
    pub next_runs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub level: String,
    pub event: String,
    pub message: String,
    pub at: TimeText,
}

/// Where an OAuth connection's app (client id and secret) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthAppSource {
    /// Entered by an admin of this workspace.
    Workspace,
    /// Set by the operator (`HUB_OAUTH_<PROVIDER>_CLIENT_ID`).
    Deployment,
    /// The provider sandbox's built-in app.
    Sandbox,
    /// None yet: connecting is not possible.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthInfo {
    pub app_source: OAuthAppSource,
    /// The workspace's own client id, when it has one.
    pub workspace_client_id: Option<String>,
    /// Starts (or restarts) the provider's consent: a full page load.
    pub connect_url: String,
    /// The variables the operator would set for a deployment-wide app.
    pub deployment_variables: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationDetail {
    pub id: IntegrationId,
    pub provider: ProviderSummary,
    pub status: IntegrationStatus,
    pub last_error: Option<String>,
    pub connected_at: Option<TimeText>,
    pub credentials: BTreeMap<String, FieldValue>,
    pub config: BTreeMap<String, String>,
    pub sync: SyncSettings,
    pub activity: Vec<LogLine>,
    /// For OAuth providers: how connecting works here.
    pub oauth: Option<OAuthInfo>,
}

impl IntegrationDetail {
    /// Every field of the configuration form: credentials first, then settings.
    pub fn form_fields(&self) -> Vec<FieldSpec> {
        self.provider
            .credential_fields
            .iter()
            .chain(self.provider.config_fields.iter())
            .cloned()
            .collect()
    }
}

/// The result of *Test connection*, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionTest {
    pub ok: bool,
    pub message: String,
}

/// Where to go after *Connect* created the integration: the provider's consent
/// page (OAuth, a full page load) or the settings form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectStart {
    pub id: IntegrationId,
    pub next: String,
}
