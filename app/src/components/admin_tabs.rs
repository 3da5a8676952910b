use leptos::prelude::*;
use leptos_router::components::A;

use super::guard::current_user;
use crate::domain::auth::Role;

/// The admin area's sections, as far as the user's role reaches.
#[component]
pub fn AdminTabs() -> impl IntoView {
    let user = current_user();
    let is_owner = user.as_ref().is_some_and(|u| u.can(Role::Owner));
    view! {
        <nav class="tabs" aria-label="Admin sections">
            <A href="/admin/integrations">"Integrations"</A>
            {is_owner.then(|| view! { <A href="/admin/users">"Users"</A> })}
            <A href="/admin/api-tokens">"API tokens"</A>
        </nav>
    }
}
