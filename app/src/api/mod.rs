//! Server functions: thin wrappers that check the caller, call one port
//! method of the backend and return its result.

pub mod accounts;
#[cfg(feature = "ssr")]
pub mod guard;
pub mod integrations;
pub mod page_cache;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod sync;
pub mod system;

/// Passes a server function's result through, giving an error its HTTP
/// status (403, 404, 422, …) instead of the default 500.
#[cfg(feature = "ssr")]
pub fn respond<T>(
    result: Result<T, crate::domain::AppError>,
) -> Result<T, crate::domain::AppError> {
    if let Err(err) = &result {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = http::StatusCode::from_u16(err.status()) {
                response.set_status(status);
            }
        }
    }
    result
}
