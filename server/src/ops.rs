//! Operations endpoints: liveness, readiness and metrics.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::db;
use crate::startup::AppState;

/// The process is up and serving.
pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// The database answers and every migration this binary knows is applied.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match readiness(&state).await {
        Ok((applied, total)) => Json(json!({
            "status": "ready",
            "database": db::backend_name(&state.db),
            "migrations": { "applied": applied, "total": total },
        }))
        .into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": reason })),
        )
            .into_response(),
    }
}

async fn readiness(state: &AppState) -> Result<(u32, u32), String> {
    state
        .db
        .ping()
        .await
        .map_err(|e| format!("database unreachable: {}", db::one_line(&e)))?;
    let (applied, total) = db::migration_progress(&state.db)
        .await
        .map_err(|e| format!("cannot read migration state: {e}"))?;
    if applied < total {
        return Err(format!(
            "{} of {total} migrations pending; run `hub migrate`",
            total - applied
        ));
    }
    Ok((applied, total))
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
