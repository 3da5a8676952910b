//! SeaORM entities, one per table (see `migration/` for the schema).

pub mod api_token;
pub mod contact;
pub mod field_mapping;
pub mod integration;
pub mod integration_data;
pub mod integration_log;
pub mod job;
pub mod oauth_app;
pub mod oauth_state;
pub mod provider_interest;
pub mod session;
pub mod sync_run;
pub mod tenant;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_delivery_attempt;
pub mod webhook_endpoint;
pub mod webhook_event;
pub mod webhook_subscription;
