use leptos::prelude::*;

use crate::domain::{system::SystemStatus, AppError};

/// The server's version, database and schema state (signed-in users).
#[server(prefix = "/api", endpoint = "system/status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    super::respond(
        async move {
            super::guard::principal()?;
            super::ports::backend()?.system.status().await
        }
        .await,
    )
}
