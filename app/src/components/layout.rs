//! The frame around every page: header with navigation, main, footer.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{system_status::SystemStatusCheck, theme::ThemeToggle};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <A href="/integrations" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"⇄"</span>
                <span class="brand-name">"Integrations Hub"</span>
            </A>
            <nav class="mainnav" aria-label="Main">
                <A href="/integrations" exact=true>"Integrations"</A>
                <A href="/integrations/activity">"Activity"</A>
                <A href="/admin/integrations">"Admin"</A>
            </nav>
            <div class="topbar-tools">
                <ThemeToggle/>
            </div>
        </header>
        <main id="main" class="page" tabindex="-1">
            {children()}
        </main>
        <footer class="footer">
            <span>"Integrations Hub"</span>
            <SystemStatusCheck/>
        </footer>
    }
}

/// The title block at the top of a page.
#[component]
pub fn PageHeader(#[prop(into)] title: String, #[prop(into)] description: String) -> impl IntoView {
    view! {
        <div class="page-header">
            <h1>{title}</h1>
            <p class="lede">{description}</p>
        </div>
    }
}
