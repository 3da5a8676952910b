//! Page-level access: the request's principal (shared with the browser at
//! hydration) and the role gate every role-limited page wraps itself in.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::domain::auth::{Principal, RequestInfo, Role};
use crate::domain::forms::FormFeedback;

/// The request's principal and first-run state, computed by the server.
pub fn request_info() -> RequestInfo {
    use_context::<RequestInfo>().unwrap_or_default()
}

pub fn current_user() -> Option<Principal> {
    request_info().user
}

/// Feedback of a refused form post, if this page render answers one.
pub fn form_feedback() -> FormFeedback {
    use_context::<FormFeedback>().unwrap_or_default()
}

/// Reads, on the server, what the auth layer put on the request; the
/// browser receives the same values at hydration.
pub fn provide_request_context() {
    let info = SharedValue::new(server::request_info).into_inner();
    let feedback = SharedValue::new(server::form_feedback).into_inner();
    provide_context(info);
    provide_context(feedback);
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;

    pub fn request_info() -> RequestInfo {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<RequestInfo>().cloned())
            .unwrap_or_default()
    }

    pub fn form_feedback() -> FormFeedback {
        use_context::<FormFeedback>().unwrap_or_default()
    }
}

#[cfg(not(feature = "ssr"))]
mod server {
    use super::*;

    // Never called in the browser: SharedValue takes the server's value.
    pub fn request_info() -> RequestInfo {
        RequestInfo::default()
    }

    pub fn form_feedback() -> FormFeedback {
        FormFeedback::default()
    }
}

/// Renders `children` for principals with at least `role`, a 403 page otherwise.
#[component]
pub fn RequireRole(role: Role, children: ChildrenFn) -> impl IntoView {
    match current_user() {
        None => view! { <SignInNeeded/> }.into_any(),
        Some(user) if !user.can(role) => view! { <Forbidden/> }.into_any(),
        Some(_) => children().into_any(),
    }
}

/// Renders `children` for platform owners, a 403 page otherwise.
#[component]
pub fn RequirePlatformOwner(children: ChildrenFn) -> impl IntoView {
    match current_user() {
        None => view! { <SignInNeeded/> }.into_any(),
        Some(user) if !user.is_platform_owner => view! { <Forbidden/> }.into_any(),
        Some(_) => children().into_any(),
    }
}

fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(_code) {
            response.set_status(status);
        }
    }
}

/// The page of a request above the user's role. Answers HTTP 403.
#[component]
pub fn Forbidden() -> impl IntoView {
    set_status(403);
    view! {
        <leptos_meta::Title text="Not allowed"/>
        <section class="error-page" data-testid="forbidden">
            <p class="error-code">"403"</p>
            <h1>"You do not have access to this page"</h1>
            <p>"Your role in this workspace does not include it. Ask an owner of the workspace if you need access."</p>
            <A href="/integrations" attr:class="btn btn-primary">"Back to the hub"</A>
        </section>
    }
}

#[component]
fn SignInNeeded() -> impl IntoView {
    set_status(401);
    view! {
        <section class="error-page">
            <h1>"Please sign in"</h1>
            <p>"Your session has ended."</p>
            <a href="/login" class="btn btn-primary">"Sign in"</a>
        </section>
    }
}
