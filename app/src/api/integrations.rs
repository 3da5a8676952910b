//! Server functions of the hub page and the settings modal.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::ids::IntegrationId;
use crate::domain::integrations::{
    ConnectStart, ConnectionTest, HubView, IntegrationDetail, IntegrationState, SyncSettings,
};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
use super::{guard, ports, respond};
#[cfg(feature = "ssr")]
use crate::domain::auth::Role;

/// Stats, catalog and the tenant's integrations (members and up).
#[server(prefix = "/api", endpoint = "integrations/hub")]
pub async fn load_hub() -> Result<HubView, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Member)?;
            ports::backend()?.integrations.hub(&by).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "integrations/get")]
pub async fn load_integration(id: IntegrationId) -> Result<IntegrationDetail, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Member)?;
            ports::backend()?.integrations.detail(&by, id).await
        }
        .await,
    )
}

/// Creates (or reuses) the tenant's integration of `provider`, ready to configure.
#[server(prefix = "/api", endpoint = "integrations/start")]
pub async fn start_connect(provider: String) -> Result<ConnectStart, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Admin)?;
            ports::backend()?.integrations.start(&by, provider).await
        }
        .await,
    )
}

/// Saves the configuration form; credentials only after a successful test
/// unless `untested` says to save anyway.
#[server(prefix = "/api", endpoint = "integrations/configure", input = Json)]
pub async fn save_configuration(
    id: IntegrationId,
    values: BTreeMap<String, String>,
    untested: bool,
) -> Result<IntegrationDetail, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Admin)?;
            ports::backend()?
                .integrations
                .configure(&by, id, values, untested)
                .await
        }
        .await,
    )
}

/// Runs the provider's verification request with the form's values (saved ones fill the gaps).
#[server(prefix = "/api", endpoint = "integrations/test", input = Json)]
pub async fn test_connection(
    id: IntegrationId,
    values: BTreeMap<String, String>,
) -> Result<ConnectionTest, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Admin)?;
            ports::backend()?.integrations.test(&by, id, values).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "integrations/sync-settings", input = Json)]
pub async fn save_sync_settings(
    id: IntegrationId,
    schedule: String,
    mode: String,
    direction: String,
    resources: Vec<String>,
) -> Result<SyncSettings, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Admin)?;
            let settings = SyncSettings {
                schedule,
                mode,
                direction,
                resources,
                next_runs: Vec::new(),
            };
            ports::backend()?
                .integrations
                .save_sync_settings(&by, id, settings)
                .await
        }
        .await,
    )
}

/// The next three runs of a schedule, or what is wrong with it.
#[server(prefix = "/api", endpoint = "integrations/schedule-preview")]
pub async fn preview_schedule(schedule: String) -> Result<Vec<String>, AppError> {
    respond(
        async move {
            guard::require(Role::Member)?;
            ports::backend()?
                .integrations
                .preview_schedule(schedule)
                .await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "integrations/pause")]
pub async fn set_paused(id: IntegrationId, paused: bool) -> Result<IntegrationState, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Admin)?;
            ports::backend()?
                .integrations
                .set_paused(&by, id, paused)
                .await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "integrations/disconnect")]
pub async fn disconnect(id: IntegrationId) -> Result<IntegrationState, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Admin)?;
            ports::backend()?.integrations.disconnect(&by, id).await
        }
        .await,
    )
}

/// "Notify me" on a coming-soon provider, for the whole tenant.
#[server(prefix = "/api", endpoint = "integrations/notify")]
pub async fn set_notify(provider: String, on: bool) -> Result<bool, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Member)?;
            ports::backend()?
                .integrations
                .set_notify(&by, provider, on)
                .await
        }
        .await,
    )
}

/// Saves the workspace's own OAuth app (client id and secret) for this provider.
#[server(prefix = "/api", endpoint = "integrations/oauth-app")]
pub async fn save_oauth_app(
    id: IntegrationId,
    client_id: String,
    client_secret: String,
) -> Result<IntegrationDetail, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Admin)?;
            ports::backend()?
                .integrations
                .set_oauth_app(&by, id, Some((client_id, client_secret)))
                .await
        }
        .await,
    )
}

/// Removes the workspace's own OAuth app; the deployment's is used again.
#[server(prefix = "/api", endpoint = "integrations/oauth-app-remove")]
pub async fn remove_oauth_app(id: IntegrationId) -> Result<IntegrationDetail, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Admin)?;
            ports::backend()?
                .integrations
                .set_oauth_app(&by, id, None)
                .await
        }
        .await,
    )
}
