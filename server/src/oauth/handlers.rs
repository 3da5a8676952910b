//! `GET /api/integrations/{id}/oauth/start` and the one callback
//! `GET /api/integrations/oauth/callback`. Every failure lands the person
//! back on the hub with a code the page turns into plain words.

use std::collections::BTreeMap;

use app::domain::auth::{RequestInfo, Role};
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::ConnectFailure;
use crate::auth::session_store::hash_id;
use crate::startup::AppState;

fn back_to_hub(failure: &ConnectFailure) -> Response {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    url.append_pair("oauth", failure.code);
    if let Some(provider) = &failure.provider {
        url.append_pair("provider", provider);
    }
    if let Some(detail) = &failure.detail {
        url.append_pair("detail", detail);
    }
    Redirect::to(&format!("/integrations?{}", url.finish())).into_response()
}

pub async fn start(
    State(state): State<AppState>,
    Extension(info): Extension<RequestInfo>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let Some(user) = info.user else {
        return Redirect::to("/login?next=%2Fintegrations").into_response();
    };
    if user.require(Role::Admin).is_err() {
        return back_to_hub(&ConnectFailure::new("forbidden", None));
    }
    let Ok(id) = id.parse::<i64>() else {
        return back_to_hub(&ConnectFailure::new("not_found", None));
    };
    let Some(session_id) = session.id() else {
        return Redirect::to("/login?next=%2Fintegrations").into_response();
    };
    match state
        .oauth
        .begin(user.tenant_id.0, user.user_id.0, &hash_id(&session_id), id)
        .await
    {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(failure) => back_to_hub(&failure),
    }
}

pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let session_hash = session.id().map(|id| hash_id(&id));
    match state.oauth.complete(session_hash.as_deref(), &query).await {
        Ok(provider) => Redirect::to(&format!(
            "/integrations?oauth=connected&provider={provider}"
        ))
        .into_response(),
        Err(failure) => {
            tracing::info!(code = failure.code, provider = ?failure.provider, "OAuth connection did not complete");
            back_to_hub(&failure)
        }
    }
}
