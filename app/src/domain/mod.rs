//! Types shared by the server and the browser: ids, DTOs and errors.

pub mod accounts;
pub mod auth;
pub mod catalog;
pub mod error;
pub mod forms;
pub mod ids;
pub mod integrations;
pub mod sync;
pub mod system;
pub mod validate;

pub use error::{AppError, FieldError};
