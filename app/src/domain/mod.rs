//! Types shared by the server and the browser: ids, DTOs and errors.

pub mod error;
pub mod ids;
pub mod system;

pub use error::{AppError, FieldError};
