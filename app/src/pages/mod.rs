pub mod activity;
pub mod admin;
pub mod integrations;
pub mod not_found;
