//! Turning internal failures into the `AppError` people see: the full cause
//! is logged with a reference id, the person gets only the id.

use app::domain::AppError;

/// Logs `err` with a fresh reference id and returns the opaque error for the user.
pub fn internal(context: &str, err: &dyn std::fmt::Display) -> AppError {
    let ref_id = reference_id();
    tracing::error!(ref_id = %ref_id, error = %err, "{context}");
    AppError::Internal { ref_id }
}

/// Short, random, easy to quote to an operator: `e-3f9a1c2d`.
fn reference_id() -> String {
    format!("e-{:08x}", rand::random::<u32>())
}
