//! The Integrations Hub server: configuration, database, HTTP routes,
//! background work and the `hub` command line.

pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod metrics;
pub mod ops;
pub mod startup;
pub mod system;
pub mod telemetry;
