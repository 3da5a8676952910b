//! The tenant's integrations: the hub view with its stats, the settings of
//! one integration, connecting, configuring, pausing and disconnecting.

mod form;
mod service;
mod stats;

pub use service::{config_of, subject as credentials_subject, IntegrationsService};
