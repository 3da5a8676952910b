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
pub mod page_cache;
pub mod sandbox;
pub mod scheduler;
pub mod startup;
pub mod sync;
pub mod system;
pub mod telemetry;

/// mimalloc instead of glibc's malloc: rendering a page allocates many small
/// objects beside large buffers on every worker thread, and glibc spent a
/// third of the hub page's CPU in its arenas (locks, `malloc_consolidate`).
/// Declared here, it serves the `hub` binary, the tests and the benches.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
