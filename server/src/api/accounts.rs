//! `/api/v1/me`, `/api/v1/users`, `/api/v1/api-tokens`.

use app::domain::accounts::{CreatedToken, TokenSummary, UserSummary};
use app::domain::auth::Principal;
use app::domain::ids::{ApiTokenId, UserId};
use app::domain::AppError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::Caller;
use crate::startup::AppState;

pub async fn me(Caller(principal): Caller) -> Json<Principal> {
    Json(principal)
}

pub async fn list_users(
    State(state): State<AppState>,
    Caller(by): Caller,
) -> ApiResult<Vec<UserSummary>> {
    Ok(Json(state.backend.accounts.list_users(&by).await?))
}

/// Ids are numbers; anything else cannot name a row, so it is simply not found.
fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError(AppError::NotFound))
}

pub async fn get_user(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path(id): Path<String>,
) -> ApiResult<UserSummary> {
    let id = UserId(parse_id(&id)?);
    Ok(Json(state.backend.accounts.get_user(&by, id).await?))
}

pub async fn list_tokens(
    State(state): State<AppState>,
    Caller(by): Caller,
) -> ApiResult<Vec<TokenSummary>> {
    Ok(Json(state.backend.accounts.list_tokens(&by).await?))
}

#[derive(Deserialize)]
pub struct NewToken {
    name: String,
    expires_in_days: Option<u32>,
}

pub async fn create_token(
    State(state): State<AppState>,
    Caller(by): Caller,
    body: Result<Json<NewToken>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let Json(body) = body.map_err(|e| {
        ApiError(AppError::field(
            "body",
            format!(
                "Send JSON like {{\"name\": \"CI\", \"expires_in_days\": 90}} ({})",
                e.body_text()
            ),
        ))
    })?;
    let created = state
        .backend
        .accounts
        .create_token(&by, body.name, body.expires_in_days)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path(id): Path<String>,
) -> ApiResult<TokenSummary> {
    let id = ApiTokenId(parse_id(&id)?);
    Ok(Json(state.backend.accounts.revoke_token(&by, id).await?))
}
