//! Database migrations of the Integrations Hub, one file per change.
//!
//! A migration that has shipped is never edited: later changes add a new file.

pub use sea_orm_migration::prelude::*;
pub use sea_orm_migration::MigrationStatus;

mod helpers;
mod m20261122_000001_accounts;
mod m20261122_000002_integrations;
mod m20261122_000003_sync;
mod m20261122_000004_webhooks;
mod m20261122_000005_jobs;
mod m20261122_000006_provider_interests;
mod m20261122_000007_contact_sorting;
mod m20261202_000008_tenant_revision;

/// Tables whose writes raise their tenant's revision (which the page cache checks).
pub use m20261202_000008_tenant_revision::WATCHED as REVISION_TABLES;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_accounts::Migration),
            Box::new(m20261122_000002_integrations::Migration),
            Box::new(m20261122_000003_sync::Migration),
            Box::new(m20261122_000004_webhooks::Migration),
            Box::new(m20261122_000005_jobs::Migration),
            Box::new(m20261122_000006_provider_interests::Migration),
            Box::new(m20261122_000007_contact_sorting::Migration),
            Box::new(m20261202_000008_tenant_revision::Migration),
        ]
    }
}

/// Tables whose rows belong to one tenant; each carries an indexed `tenant_id`.
pub const TENANT_TABLES: &[&str] = &[
    "users",
    "api_tokens",
    "integrations",
    "oauth_apps",
    "oauth_states",
    "field_mappings",
    "sync_runs",
    "integration_logs",
    "integration_data",
    "contacts",
    "webhook_endpoints",
    "webhook_events",
    "webhook_subscriptions",
    "webhook_deliveries",
    "webhook_delivery_attempts",
    "jobs",
    "provider_interests",
];
