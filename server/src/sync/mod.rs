//! Syncing (SPEC §5): runs pull a provider's resource page by page into
//! `integration_data` and the tenant's contacts, and push the tenant's
//! contacts back, driven by the catalog's description of each API
//! (pagination, rate limits, field mappings, write requests).

pub mod engine;
pub mod fetch;
pub mod mapping;
pub mod pager;
pub mod path;
mod pull;
pub mod push;
pub mod runs;
pub mod service;
mod statistics;
pub mod store;

pub use engine::SyncHandler;
pub use fetch::RetryPolicy;
pub use service::SyncService;

/// The job kind of a sync run.
pub const SYNC_JOB: &str = "sync";
