//! The REST API's error body: `{ "error": { "code", "message", "fields"? } }`.

use app::domain::AppError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = self.0;
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({ "error": { "code": err.code(), "message": err.to_string() } });
        if let AppError::Validation(fields) = &err {
            body["error"]["fields"] = fields
                .iter()
                .map(|f| {
                    (
                        f.field.clone(),
                        serde_json::Value::String(f.message.clone()),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        let mut response = (status, Json(body)).into_response();
        if matches!(err, AppError::Unauthorized) {
            if let Ok(value) = r#"Bearer realm="hub""#.parse() {
                response
                    .headers_mut()
                    .insert(axum::http::header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

pub type ApiResult<T> = Result<Json<T>, ApiError>;
