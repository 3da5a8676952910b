//! The one integration-test binary: each test spawns the real hub on port 0
//! with a fresh database, on SQLite and on PostgreSQL.

mod helpers;

mod accounts;
mod auth;
mod checkpoint;
mod cli;
mod connect;
mod integrations;
mod jobs;
mod logs;
mod migrations;
mod oauth;
mod ops;
mod page_cache;
mod push;
mod rotate;
mod scheduler;
mod shell;
mod smtp;
mod sync;
