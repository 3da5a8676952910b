//! The system port: what the hub reports about itself.

use std::time::Instant;

use app::api::ports::SystemPort;
use app::domain::{system::SystemStatus, AppError};
use async_trait::async_trait;
use sea_orm::DatabaseConnection;

use crate::{db, error::internal};

pub struct SystemService {
    pub db: DatabaseConnection,
    pub started: Instant,
}

#[async_trait]
impl SystemPort for SystemService {
    async fn status(&self) -> Result<SystemStatus, AppError> {
        let (applied, total) = db::migration_progress(&self.db)
            .await
            .map_err(|e| internal("reading migration state", &e))?;
        Ok(SystemStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            database: db::backend_name(&self.db).to_string(),
            migrations_applied: applied,
            migrations_total: total,
            uptime: format_duration(self.started.elapsed().as_secs()),
        })
    }
}

/// "45 s", "12 min", "3 h 5 min", "2 d 4 h".
pub fn format_duration(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => match (s % 3600) / 60 {
            0 => format!("{} h", s / 3600),
            m => format!("{} h {m} min", s / 3600),
        },
        s => match (s % 86_400) / 3600 {
            0 => format!("{} d", s / 86_400),
            h => format!("{} d {h} h", s / 86_400),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::format_duration;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(5), "5 s");
        assert_eq!(format_duration(125), "2 min");
        assert_eq!(format_duration(3600), "1 h");
        assert_eq!(format_duration(3600 + 5 * 60), "1 h 5 min");
        assert_eq!(format_duration(2 * 86_400 + 4 * 3600 + 7), "2 d 4 h");
    }
}
