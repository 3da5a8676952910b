//! Sync schedules: cron expressions, and the loop that fires them.

pub mod schedule;
pub mod tick;

pub use schedule::CronSchedule;
pub use tick::Scheduler;
