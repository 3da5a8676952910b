//! The Integrations Hub user interface: pages, components, server functions
//! and the wasm-safe domain types they exchange.
//!
//! Compiled twice: with `ssr` into the `hub` server (which renders every page
//! and runs the server functions), and with `hydrate` into the browser bundle.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod domain;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use components::guard::provide_request_context;
use components::layout::Layout;
use pages::{
    activity::ActivityPage,
    admin::AdminIntegrationsPage,
    contacts::{ContactDetailPage, ContactsPage},
    integration_settings::IntegrationSettings,
    integrations::IntegrationsPage,
    login::LoginPage,
    not_found::NotFound,
    platform::PlatformPage,
    setup::SetupPage,
    tokens::ApiTokensPage,
    user_detail::UserDetailPage,
    users::UsersPage,
};

/// The document around the application, rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // Applies the stored colour theme before the first paint.
                <script src="/theme.js"></script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_request_context();

    // Flips only once the WebAssembly has taken over the server-rendered page.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/hub.css"/>
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml"/>
        <Meta name="description" content="Connect your CRM workspace to the services you use and keep data flowing."/>
        <Title formatter=|text: String| format!("{text} · Integrations Hub")/>
        <Router>
            <div id="app" class="app" data-hydrated=move || hydrated.get().to_string()>
                <Layout>
                    <Routes fallback=|| view! { <NotFound/> }>
                        <Route path=path!("/integrations/activity") view=ActivityPage/>
                        <ParentRoute path=path!("/integrations") view=IntegrationsPage ssr=SsrMode::Async>
                            <Route path=path!("") view=|| ()/>
                            <Route path=path!(":id") view=IntegrationSettings/>
                        </ParentRoute>
                        <Route path=path!("/contacts") view=ContactsPage ssr=SsrMode::Async/>
                        <Route path=path!("/contacts/:id") view=ContactDetailPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/integrations") view=AdminIntegrationsPage/>
                        <Route path=path!("/admin/users") view=UsersPage/>
                        <Route path=path!("/admin/users/:id") view=UserDetailPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/api-tokens") view=ApiTokensPage/>
                        <Route path=path!("/platform") view=PlatformPage/>
                        <Route path=path!("/login") view=LoginPage/>
                        <Route path=path!("/setup") view=SetupPage/>
                    </Routes>
                </Layout>
            </div>
        </Router>
    }
}
