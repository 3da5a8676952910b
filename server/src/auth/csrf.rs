//! Cross-site request forgery defence: a state-changing request carried by
//! the browser (cookies) must come from the hub's own origin. Requests
//! authenticated by a bearer token carry no ambient credentials and pass.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::startup::AppState;

/// Paths that providers call server-to-server (signed by other means).
const EXEMPT_PREFIXES: &[&str] = &["/api/webhooks/", "/sandbox/"];

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if is_safe(request.method()) || has_bearer(&request) || is_exempt(request.uri().path()) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let allowed = match (origin, fetch_site) {
        (Some(origin), _) => state.config.allowed_origins.iter().any(|o| o == origin),
        // Browsers that send no Origin still say where the request came from.
        (None, Some(site)) => site == "same-origin" || site == "none",
        (None, None) => false,
    };
    if allowed {
        return next.run(request).await;
    }
    tracing::warn!(
        method = %request.method(),
        path = %request.uri().path(),
        origin = origin.unwrap_or("-"),
        "refused a cross-site state-changing request"
    );
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"error":{"code":"forbidden","message":"This request came from another site and was refused. Reload the page and try again."}}"#,
    )
        .into_response()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub fn has_bearer(request: &Request) -> bool {
    bearer_token(request).is_some()
}

pub fn bearer_token(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn is_exempt(path: &str) -> bool {
    EXEMPT_PREFIXES.iter().any(|p| path.starts_with(p))
}
