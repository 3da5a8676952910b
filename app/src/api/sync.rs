//! Server functions of syncing: Sync now, the Sync history tab, and contacts.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::ids::{ContactId, IntegrationId, SyncRunId};
use std::collections::BTreeMap;

use crate::domain::sync::{
    ContactDetail, ContactPage, ContactQuery, MappingView, SyncRunDetail, SyncRunView,
};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
use super::{guard, ports, respond};
#[cfg(feature = "ssr")]
use crate::domain::auth::Role;

/// Starts a sync of the integration now; members may too.
#[server(prefix = "/api", endpoint = "sync/now")]
pub async fn sync_now(id: IntegrationId) -> Result<Vec<SyncRunView>, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Member)?;
            ports::backend()?.sync.sync_now(&by, id).await
        }
        .await,
    )
}

/// The integration's runs, newest first.
#[server(prefix = "/api", endpoint = "sync/runs")]
pub async fn load_runs(id: IntegrationId) -> Result<Vec<SyncRunView>, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Member)?;
            ports::backend()?.sync.runs(&by, id).await
        }
        .await,
    )
}

/// One run with its log lines.
#[server(prefix = "/api", endpoint = "sync/run")]
pub async fn load_run(id: SyncRunId) -> Result<SyncRunDetail, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Member)?;
            ports::backend()?.sync.run(&by, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "sync/cancel")]
pub async fn cancel_run(id: SyncRunId) -> Result<SyncRunView, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Admin)?;
            ports::backend()?.sync.cancel(&by, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "contacts/list", input = Json)]
pub async fn load_contacts(query: ContactQuery) -> Result<ContactPage, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Member)?;
            ports::backend()?.sync.contacts(&by, query).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "contacts/get")]
pub async fn load_contact(id: ContactId) -> Result<ContactDetail, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Member)?;
            ports::backend()?.sync.contact(&by, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "sync/mapping")]
pub async fn load_mapping(id: IntegrationId) -> Result<MappingView, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Member)?;
            ports::backend()?.sync.mapping(&by, id).await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "sync/mapping-save", input = Json)]
pub async fn save_mapping(
    id: IntegrationId,
    fields: BTreeMap<String, String>,
) -> Result<MappingView, AppError> {
    respond(
        async move {
            let by = guard::require(Role::Admin)?;
            ports::backend()?.sync.save_mapping(&by, id, fields).await
        }
        .await,
    )
}
