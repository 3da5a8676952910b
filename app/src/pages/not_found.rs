use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Any address the hub does not know. Answers with HTTP 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <section class="error-page" data-testid="not-found">
            <p class="error-code">"404"</p>
            <h1>"This page does not exist"</h1>
            <p>"The address may be mistyped, or the page was moved or removed."</p>
            <A href="/integrations" attr:class="btn btn-primary">"Back to the hub"</A>
        </section>
    }
    .into_any()
}
