//! Sync schedules. (The loop that fires them arrives with the sync engine.)

pub mod schedule;

pub use schedule::CronSchedule;
