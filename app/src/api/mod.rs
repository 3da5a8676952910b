//! Server functions: thin wrappers that check the caller, call one port
//! method of the backend and return its result.

#[cfg(feature = "ssr")]
pub mod ports;
pub mod system;
