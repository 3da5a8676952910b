//! The plain HTML forms of signing in, signing out and the first-run setup.
//! They work without JavaScript: success redirects (303), a refused form is
//! rendered again with its messages and values (never the password).

use std::collections::HashMap;
use std::net::SocketAddr;

use app::domain::auth::{RequestInfo, Role};
use app::domain::forms::FormFeedback;
use app::domain::validate::{DisplayName, Email, NewPassword, Slug};
use app::domain::{AppError, FieldError};
use app::shell;
use axum::body::Body;
use axum::extract::{ConnectInfo, Form, Request, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use leptos::prelude::provide_context;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use tower_sessions::Session;

use super::middleware::SIGNED_IN_AT_KEY;
use super::session_store::USER_ID_KEY;
use crate::accounts;
use crate::db::entities::user;
use crate::error::internal;
use crate::startup::AppState;

type FormData = Form<HashMap<String, String>>;

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map(String::as_str).unwrap_or_default()
}

/// Renders the page at `uri` (GET) with `feedback` and answers with `status`.
async fn render_with_feedback(
    state: &AppState,
    uri: &Uri,
    info: RequestInfo,
    feedback: FormFeedback,
    status: StatusCode,
) -> Response {
    let backend = state.backend.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || {
            provide_context(backend.clone());
            provide_context(feedback.clone());
        },
        move || shell(options.clone()),
    );
    let mut request = Request::new(Body::empty());
    *request.uri_mut() = uri.clone();
    request.extensions_mut().insert(info);
    let mut response = render(request).await;
    *response.status_mut() = status;
    response
}

/// A local path to go to after signing in; anything else goes to the hub.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/integrations"
    }
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    uri: Uri,
    Form(form): FormData,
) -> Response {
    let ip = peer.ip();
    let email = field(&form, "email").trim().to_lowercase();
    let password = field(&form, "password");
    let next = safe_next(field(&form, "next")).to_string();
    let mut values = std::collections::BTreeMap::new();
    values.insert("email".to_string(), email.clone());
    values.insert("next".to_string(), next.clone());
    let refuse = |message: String, status: StatusCode| {
        let feedback = FormFeedback {
            message: Some(message),
            errors: vec![],
            values: values.clone(),
        };
        let state = state.clone();
        let uri = uri.clone();
        async move { render_with_feedback(&state, &uri, RequestInfo::default(), feedback, status).await }
    };

    if email.is_empty() || password.is_empty() {
        return refuse(
            "Enter your email address and password.".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if let Err(wait) = state.auth.throttle.check(&email, ip) {
        let seconds = wait.as_secs().max(1);
        tracing::warn!(target: "auth", outcome = "throttled", %email, %ip, wait_seconds = seconds, "sign-in attempt");
        let mut response = refuse(
            format!("Too many failed sign-ins. Wait {seconds} seconds, then try again."),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
        if let Ok(value) = seconds.to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }

    let account = match user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&state.db)
        .await
    {
        Ok(account) => account.filter(|u| u.is_active),
        Err(err) => {
            return internal_page(&state, &uri, internal("looking up a user to sign in", &err))
                .await
        }
    };
    let verified = state
        .auth
        .passwords
        .verify(password, account.as_ref().map(|u| u.password_hash.as_str()))
        .await;
    let account = match (verified, account) {
        (Ok(true), Some(account)) => account,
        (Ok(_), _) => {
            state.auth.throttle.record_failure(&email, ip);
            tracing::info!(target: "auth", outcome = "failure", %email, %ip, "sign-in attempt");
            return refuse(
                "That email and password do not match an account. Check both and try again.".into(),
                StatusCode::UNAUTHORIZED,
            )
            .await;
        }
        (Err(err), _) => {
            return internal_page(&state, &uri, internal("verifying a password", &err)).await
        }
    };

    state.auth.throttle.record_success(&email, ip);
    if let Err(err) = sign_in(&session, account.id).await {
        return internal_page(&state, &uri, internal("starting a session", &err)).await;
    }
    let mut active: user::ActiveModel = account.clone().into();
    active.last_login_at = Set(Some(Utc::now()));
    if let Err(err) = active.update(&state.db).await {
        tracing::warn!(error = %err, "could not record the sign-in time");
    }
    tracing::info!(target: "auth", outcome = "success", %email, %ip, user_id = account.id, "sign-in attempt");
    Redirect::to(&next).into_response()
}

/// Starts a signed-in session under a new id (no session fixation).
pub async fn sign_in(
    session: &Session,
    user_id: i64,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(USER_ID_KEY, user_id).await?;
    session
        .insert(SIGNED_IN_AT_KEY, Utc::now().timestamp())
        .await?;
    Ok(())
}

pub async fn logout(session: Session) -> Response {
    if let Ok(Some(user_id)) = session.get::<i64>(USER_ID_KEY).await {
        tracing::info!(target: "auth", user_id, "signed out");
    }
    if let Err(err) = session.flush().await {
        tracing::error!(error = %err, "could not delete a session at sign-out");
    }
    Redirect::to("/login").into_response()
}

pub async fn setup(
    State(state): State<AppState>,
    session: Session,
    uri: Uri,
    Form(form): FormData,
) -> Response {
    match state.auth.first_run.is_first_run(&state.db).await {
        Ok(true) => {}
        Ok(false) => return StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            return internal_page(&state, &uri, internal("checking for the first user", &err)).await
        }
    }

    let mut errors = Vec::new();
    let mut check = |name: &str, result: Result<(), String>| {
        if let Err(message) = result {
            errors.push(FieldError::new(name, message));
        }
    };
    let workspace = DisplayName::parse(field(&form, "workspace_name"), "the workspace name");
    check(
        "workspace_name",
        workspace.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let slug = Slug::parse(field(&form, "workspace_slug"));
    check(
        "workspace_slug",
        slug.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let name = DisplayName::parse(field(&form, "name"), "your name");
    check("name", name.as_ref().map(|_| ()).map_err(Clone::clone));
    let email = Email::parse(field(&form, "email"));
    check("email", email.as_ref().map(|_| ()).map_err(Clone::clone));
    let password = NewPassword::parse(field(&form, "password"));
    check(
        "password",
        password.as_ref().map(|_| ()).map_err(Clone::clone),
    );

    let values = ["workspace_name", "workspace_slug", "name", "email"]
        .iter()
        .map(|k| (k.to_string(), field(&form, k).to_string()))
        .collect();
    let (Ok(workspace), Ok(slug), Ok(name), Ok(email), Ok(password)) =
        (workspace, slug, name, email, password)
    else {
        let feedback = FormFeedback {
            message: Some("Some details need fixing before the workspace can be created.".into()),
            errors,
            values,
        };
        let info = RequestInfo {
            user: None,
            first_run: true,
        };
        return render_with_feedback(
            &state,
            &uri,
            info,
            feedback,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };

    let hash = match state.auth.passwords.hash(password.expose()).await {
        Ok(hash) => hash,
        Err(err) => return internal_page(&state, &uri, internal("hashing a password", &err)).await,
    };
    let owner = accounts::NewAccount {
        tenant_slug: slug,
        tenant_name: workspace,
        email,
        name,
        role: Role::Owner,
        password_hash: hash,
        is_platform_owner: true,
    };
    let user_id = match accounts::create_first_owner(&state.db, owner).await {
        Ok(user_id) => user_id,
        // Someone completed the setup in the meantime.
        Err(AppError::Conflict(_)) => return Redirect::to("/login").into_response(),
        Err(err) => return internal_page(&state, &uri, err).await,
    };
    state.auth.first_run.mark_done();
    if let Err(err) = sign_in(&session, user_id).await {
        return internal_page(&state, &uri, internal("starting a session", &err)).await;
    }
    tracing::info!(target: "auth", user_id, "first-run setup created the workspace and its owner");
    Redirect::to("/integrations").into_response()
}

async fn internal_page(state: &AppState, uri: &Uri, err: AppError) -> Response {
    let feedback = FormFeedback {
        message: Some(err.to_string()),
        ..Default::default()
    };
    render_with_feedback(
        state,
        uri,
        RequestInfo::default(),
        feedback,
        StatusCode::INTERNAL_SERVER_ERROR,
    )
    .await
}
