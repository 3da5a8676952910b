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

/// When the words [`relative`] gives for `at` next change after `now`;
/// `None` once they are a date, which stays. Each wording holds for one
/// stretch of time and never comes back, so a binary search finds the end
/// of the current one.
pub fn relative_changes_at(at: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let words = relative(at, now);
    let same = |seconds: i64| relative(at, now + chrono::Duration::seconds(seconds)) == words;
    // Past 30 days the words are a date, so anything still the same after 31 days stays.
    let (mut same_until, mut changed_by) = (0_i64, 31 * 86_400_i64);
    if same(changed_by) {
        return None;
    }
    while changed_by - same_until > 1 {
        let mid = same_until + (changed_by - same_until) / 2;
        if same(mid) {
            same_until = mid;
        } else {
            changed_by = mid;
        }
    }
    Some(now + chrono::Duration::seconds(changed_by))
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

    #[test]
    fn the_moment_relative_words_change_is_exact() {
        let now = Utc::now();
        let cases = [
            // "just now" until 45 s, then seconds.
            (now - Duration::seconds(10), Some(35)),
            (now - Duration::seconds(50), Some(1)),
            // "5 min ago" (270..329 s) becomes "6 min ago" at 330 s.
            (now - Duration::seconds(300), Some(30)),
            // "3 h ago" (9,000..12,599 s) becomes "4 h ago" at 12,600 s.
            (now - Duration::hours(3), Some(1800)),
            // A future time: "in 2 h" becomes "in 1 h" when 5,399 s are left.
            (now + Duration::hours(2), Some(7200 - 5399)),
            // A date stays a date.
            (now - Duration::days(90), None),
        ];
        for (at, seconds) in cases {
            let changes_at = relative_changes_at(at, now);
            assert_eq!(
                changes_at.map(|t| (t - now).num_seconds()),
                seconds,
                "{}",
                relative(at, now)
            );
            if let Some(t) = changes_at {
                assert_eq!(relative(at, t - Duration::seconds(1)), relative(at, now));
                assert_ne!(relative(at, t), relative(at, now));
            }
        }
    }
}
