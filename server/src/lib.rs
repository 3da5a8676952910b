//! The Integrations Hub server: configuration, database, HTTP routes,
//! background work and the `hub` command line.

pub mod accounts;
pub mod activity;
pub mod api;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod connections;
pub mod crypto;
pub mod db;
pub mod error;
pub mod format;
pub mod housekeeping;
pub mod integrations;
pub mod jobs;
pub mod metrics;
pub mod oauth;
pub mod ops;
pub mod sandbox;
pub mod scheduler;
pub mod startup;
pub mod sync;
pub mod system;
pub mod telemetry;
