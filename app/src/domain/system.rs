//! What the server reports about itself in the footer's status check.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub version: String,
    /// "SQLite" or "PostgreSQL".
    pub database: String,
    pub migrations_applied: u32,
    pub migrations_total: u32,
    /// Time since the process started, already in words ("3 min").
    pub uptime: String,
}

impl SystemStatus {
    pub fn summary(&self) -> String {
        let schema = if self.migrations_applied == self.migrations_total {
            format!("schema up to date ({} migrations)", self.migrations_total)
        } else {
            format!(
                "schema behind ({} of {} migrations)",
                self.migrations_applied, self.migrations_total
            )
        };
        format!(
            "v{} · {} · {} · up {}",
            self.version, self.database, schema, self.uptime
        )
    }
}
