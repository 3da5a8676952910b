//! Resolving the request's principal (API token or session), ending sessions
//! past their absolute lifetime, keeping active ones alive, and sending
//! browsers to `/setup` (first run) or `/login` (signed out).

use std::time::Duration;

use app::domain::auth::{Principal, RequestInfo, Role};
use app::domain::ids::{TenantId, UserId};
use app::domain::AppError;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use tower_sessions::Session;

use super::{csrf, principal, session_store, tokens};
use crate::api::error::ApiError;
use crate::error::internal;
use crate::page_cache::TenantRevision;
use crate::startup::AppState;

/// Session keys besides the user id.
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";
const SEEN_AT_KEY: &str = "seen_at";

/// Pages reachable without signing in.
const PUBLIC_PAGES: &[&str] = &["/login", "/setup"];

pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // The sandbox emulates other services: their bearer tokens are not ours.
    let emulated =
        request.uri().path() == "/sandbox" || request.uri().path().starts_with("/sandbox/");
    if emulated {
        return next.run(request).await;
    }
    let bearer = csrf::bearer_token(&request).map(str::to_owned);
    let session = request.extensions().get::<Session>().cloned();
    let (principal, revision) = match resolve(&state, bearer, session).await {
        Ok(Some((principal, revision))) => (Some(principal), revision),
        Ok(None) => (None, None),
        Err(response) => return response,
    };
    let first_run = match state.auth.first_run.is_first_run(&state.db).await {
        Ok(first_run) => first_run,
        Err(err) => return ApiError(internal("checking for the first user", &err)).into_response(),
    };

    if is_page_request(&request) {
        let path = request.uri().path();
        if first_run && path != "/setup" {
            return Redirect::to("/setup").into_response();
        }
        if !first_run && principal.is_none() && !PUBLIC_PAGES.contains(&path) {
            let target = request
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/integrations");
            let next_param =
                url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>();
            return Redirect::to(&format!("/login?next={next_param}")).into_response();
        }
        if principal.is_some() && path == "/login" {
            return Redirect::to("/integrations").into_response();
        }
    }

    request.extensions_mut().insert(RequestInfo {
        user: principal,
        first_run,
    });
    if let Some(revision) = revision {
        request.extensions_mut().insert(revision);
    }
    next.run(request).await
}

/// The principal of an API token or of the session (with its tenant's
/// revision, for the page cache); a bad token is refused outright.
async fn resolve(
    state: &AppState,
    bearer: Option<String>,
    session: Option<Session>,
) -> Result<Option<(Principal, Option<TenantRevision>)>, Response> {
    if let Some(value) = bearer {
        let token = tokens::find_live(&state.db, &value)
            .await
            .map_err(|e| ApiError(internal("looking up an API token", &e)).into_response())?;
        let Some(token) = token else {
            return Err(ApiError(AppError::Unauthorized).into_response());
        };
        let principal = principal::load(&state.db, token.user_id)
            .await
            .map_err(|e| ApiError(internal("loading a token's user", &e)).into_response())?;
        if principal.is_some() {
            if let Err(err) = tokens::touch(&state.db, &token).await {
                tracing::warn!(error = %err, "could not record API token use");
            }
        }
        return principal
            .map(|p| Some((p, None)))
            .ok_or_else(|| ApiError(AppError::Unauthorized).into_response());
    }

    let Some(session) = session else {
        return Ok(None);
    };
    session_principal(state, &session)
        .await
        .map(|found| found.map(|(p, revision)| (p, Some(revision))))
        .map_err(|e| ApiError(internal("loading the session", &e)).into_response())
}

#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error(transparent)]
    Session(#[from] tower_sessions::session::Error),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// The session's user, read with the user's tenant and its revision in one
/// query; the session itself is loaded only to end it or move its idle expiry.
async fn session_principal(
    state: &AppState,
    session: &Session,
) -> Result<Option<(Principal, TenantRevision)>, SessionError> {
    let Some(id) = session.id() else {
        return Ok(None);
    };
    let Some(found) = session_store::signed_in(&state.db, &id).await? else {
        // Expired, signed out elsewhere, or its user deleted: forget it, so
        // the browser is told to drop the cookie.
        session.flush().await?;
        return Ok(None);
    };
    let now = Utc::now().timestamp();
    let signed_in_at = found.value::<i64>(SIGNED_IN_AT_KEY).unwrap_or(0);
    let absolute = state.config.session_absolute_timeout.as_secs() as i64;
    if now - signed_in_at >= absolute {
        tracing::info!(
            user_id = found.user_id,
            "session reached its absolute lifetime; signed out"
        );
        session.flush().await?;
        return Ok(None);
    }
    if !found.is_active {
        // Deactivated since sign-in.
        session.flush().await?;
        return Ok(None);
    }
    // Saving the session moves its idle expiry forward; do it now and then, not on every request.
    let seen_at = found.value::<i64>(SEEN_AT_KEY).unwrap_or(0);
    if now - seen_at >= touch_interval(state.config.session_idle_timeout) {
        session.insert(SEEN_AT_KEY, now).await?;
    }
    let revision = TenantRevision(found.revision);
    let principal = Principal {
        user_id: UserId(found.user_id),
        tenant_id: TenantId(found.tenant_id),
        role: Role::parse(&found.role).unwrap_or(Role::Member),
        is_platform_owner: found.is_platform_owner,
        name: found.name,
        email: found.email,
        tenant_name: found.tenant_name,
        tenant_slug: found.tenant_slug,
    };
    Ok(Some((principal, revision)))
}

/// A quarter of the idle timeout, at most a minute.
fn touch_interval(idle: Duration) -> i64 {
    (idle.as_secs() / 4).clamp(1, 60) as i64
}

/// A browser asking for a page (not an API call, a bundle file or a static file).
pub(crate) fn is_page_request(request: &Request) -> bool {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return false;
    }
    let path = request.uri().path();
    let last = path.rsplit('/').next().unwrap_or_default();
    !(path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path == "/sandbox"
        || path.starts_with("/sandbox/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
        || last.contains('.'))
}
