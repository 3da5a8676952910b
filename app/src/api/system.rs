use leptos::prelude::*;

use crate::domain::{system::SystemStatus, AppError};

/// The server's version, database and schema state.
#[server(prefix = "/api", endpoint = "system/status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    super::ports::backend()?.system.status().await
}
