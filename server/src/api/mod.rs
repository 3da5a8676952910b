//! The REST API under `/api/v1`, authenticated by `Authorization: Bearer`
//! (or the browser session, subject to the CSRF check). Handlers call the
//! same ports as the server functions.

pub mod accounts;
pub mod error;

use app::domain::auth::{Principal, RequestInfo};
use app::domain::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{delete, get};
use axum::Router;

use crate::startup::AppState;
use error::ApiError;

/// The signed-in principal of a REST request; 401 without one.
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestInfo>()
            .and_then(|info| info.user.clone())
            .map(Caller)
            .ok_or(ApiError(AppError::Unauthorized))
    }
}

/// Mounted at `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(accounts::me))
        .route("/users", get(accounts::list_users))
        .route("/users/{id}", get(accounts::get_user))
        .route(
            "/api-tokens",
            get(accounts::list_tokens).post(accounts::create_token),
        )
        .route("/api-tokens/{id}", delete(accounts::revoke_token))
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError(AppError::NotFound)
}
