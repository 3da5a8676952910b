//! A sync schedule: a cron expression in UTC, parsed once at the edge.
//! Accepts the usual five fields (minute hour day month weekday) and a
//! six-field form with seconds first.

use std::str::FromStr;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct CronSchedule {
    expression: String,
    schedule: cron::Schedule,
}

impl CronSchedule {
    pub fn parse(expression: &str) -> Result<CronSchedule, String> {
        let expression = expression.split_whitespace().collect::<Vec<_>>().join(" ");
        let fields = expression.split(' ').filter(|f| !f.is_empty()).count();
        let full = match fields {
            5 => format!("0 {expression}"),
            6 => expression.clone(),
            0 => return Err("Enter a cron expression, such as 0 * * * * for every hour.".into()),
            n => {
                return Err(format!(
                "A cron expression has 5 fields (minute hour day month weekday); this one has {n}."
            ))
            }
        };
        let schedule = cron::Schedule::from_str(&full).map_err(|e| {
            format!("'{expression}' is not a valid cron expression ({e}). Example: */15 * * * * runs every 15 minutes.")
        })?;
        if schedule.upcoming(Utc).next().is_none() {
            return Err(format!("'{expression}' never runs."));
        }
        Ok(CronSchedule {
            expression,
            schedule,
        })
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first run strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.after(&after).next()
    }

    pub fn upcoming(&self, after: DateTime<Utc>, count: usize) -> Vec<DateTime<Utc>> {
        self.schedule.after(&after).take(count).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn five_field_expressions_run_on_minutes() {
        let hourly = CronSchedule::parse("0 * * * *").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 15, 30).unwrap();
        let next: Vec<_> = hourly
            .upcoming(now, 3)
            .iter()
            .map(|t| t.to_rfc3339())
            .collect();
        assert_eq!(
            next,
            [
                "2026-11-22T11:00:00+00:00",
                "2026-11-22T12:00:00+00:00",
                "2026-11-22T13:00:00+00:00"
            ]
        );
        assert_eq!(
            CronSchedule::parse(" */15   * * * * ")
                .unwrap()
                .expression(),
            "*/15 * * * *"
        );
    }

    #[test]
    fn six_fields_allow_seconds() {
        let every_second = CronSchedule::parse("* * * * * *").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 15, 30).unwrap();
        assert_eq!(
            every_second.next_after(now).unwrap(),
            now + chrono::Duration::seconds(1)
        );
    }

    #[test]
    fn bad_expressions_say_what_is_wrong() {
        assert!(CronSchedule::parse("")
            .unwrap_err()
            .contains("Enter a cron expression"));
        assert!(CronSchedule::parse("* *").unwrap_err().contains("has 2"));
        assert!(CronSchedule::parse("61 * * * *")
            .unwrap_err()
            .contains("not a valid cron expression"));
    }
}
