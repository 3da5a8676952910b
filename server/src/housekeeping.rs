//! Periodic clean-up inside the `hub` process: expired sessions go.

use std::time::Duration;

use crate::auth::session_store::DbSessionStore;

const EVERY: Duration = Duration::from_secs(10 * 60);

/// Runs until the process ends. Idempotent, so several processes may run it.
pub async fn run(sessions: DbSessionStore) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        match sessions.delete_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(deleted = n, "expired sessions removed"),
            Err(err) => tracing::warn!(error = %err, "could not remove expired sessions"),
        }
    }
}
