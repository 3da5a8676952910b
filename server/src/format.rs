//! Times in words, formatted on the server so the page and its hydration agree.

use chrono::{DateTime, Utc};

/// "just now", "5 min ago", "3 h ago", "2 d ago", or the date when older than a month.
pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds();
    match seconds {
        s if s < -60 => format!("in {}", words(-s)),
        s if s < 45 => "just now".to_string(),
        s if s < 30 * 86_400 => format!("{} ago", words(s)),
        _ => at.format("%Y-%m-%d").to_string(),
    }
}

fn words(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", (s + 30) / 60),
        s if s < 86_400 => format!("{} h", (s + 1800) / 3600),
        s => format!("{} d", (s + 43_200) / 86_400),
    }
}

/// "2026-11-22 03:14 UTC".
pub fn exact(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn relative_or(at: Option<DateTime<Utc>>, now: DateTime<Utc>, none: &str) -> String {
    at.map(|at| relative(at, now))
        .unwrap_or_else(|| none.to_string())
}

/// A duration in words: "850 ms", "12 s", "3 min 5 s".
pub fn duration_words(d: chrono::Duration) -> String {
    let ms = d.num_milliseconds().max(0);
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// A time as words with the exact time for a tooltip.
pub fn time_text(at: DateTime<Utc>) -> app::domain::integrations::TimeText {
    app::domain::integrations::TimeText {
        relative: relative(at, Utc::now()),
        exact: exact(at),
    }
}

/// An activity-log row as the browser shows it.
pub fn log_line(
    row: crate::db::entities::integration_log::Model,
) -> app::domain::integrations::LogLine {
    app::domain::integrations::LogLine {
        level: row.level,
        event: row.event,
        message: row.message,
        at: time_text(row.created_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc::now();
        assert_eq!(relative(now - Duration::seconds(10), now), "just now");
        assert_eq!(relative(now - Duration::minutes(5), now), "5 min ago");
        assert_eq!(relative(now - Duration::hours(3), now), "3 h ago");
        assert_eq!(relative(now - Duration::days(2), now), "2 d ago");
        assert_eq!(relative(now + Duration::days(30), now), "in 30 d");
        let old = now - Duration::days(90);
        assert_eq!(relative(old, now), old.format("%Y-%m-%d").to_string());
    }
}
