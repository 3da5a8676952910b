//! The frame around every page: header with navigation, main, footer.

use leptos::prelude::*;
use leptos_router::components::A;

use super::guard::{current_user, request_info};
use super::{system_status::SystemStatusCheck, theme::ThemeToggle};
use crate::domain::auth::{Principal, Role};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let user = current_user();
    let signed_in = user.is_some();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <A href="/integrations" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"⇄"</span>
                <span class="brand-name">"Integrations Hub"</span>
            </A>
            {user.clone().map(|user| view! { <MainNav user/> })}
            <div class="topbar-tools">
                <ThemeToggle/>
                {user.map(|user| view! { <UserMenu user/> })}
            </div>
        </header>
        <main id="main" class="page" tabindex="-1">
            {children()}
        </main>
        <footer class="footer">
            <span>"Integrations Hub"</span>
            {signed_in.then(|| view! { <SystemStatusCheck/> })}
        </footer>
    }
}

#[component]
fn MainNav(user: Principal) -> impl IntoView {
    view! {
        <nav class="mainnav" aria-label="Main">
            <A href="/integrations" exact=true>"Integrations"</A>
            <A href="/contacts">"Contacts"</A>
            <A href="/integrations/activity">"Activity"</A>
            {user.can(Role::Admin).then(|| view! { <A href="/admin/integrations">"Admin"</A> })}
            {user.is_platform_owner.then(|| view! { <A href="/platform">"Platform"</A> })}
        </nav>
    }
}

#[component]
fn UserMenu(user: Principal) -> impl IntoView {
    view! {
        <div class="user-menu">
            <div class="user-who">
                <span class="user-name" data-testid="user-name">{user.name.clone()}</span>
                <span class="user-role">{format!("{} · {}", user.role.label(), user.tenant_name)}</span>
            </div>
            <form method="post" action="/logout">
                <button type="submit" class="btn btn-ghost btn-small" data-testid="sign-out">"Sign out"</button>
            </form>
        </div>
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

/// Whether the hub still waits for its first-run setup.
pub fn is_first_run() -> bool {
    request_info().first_run
}
