//! `/admin/users/{id}` (owners): one user of the workspace. Rendered after
//! its data is loaded (async SSR), so a user of another workspace answers 404.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::accounts::get_user;
use crate::components::admin_tabs::AdminTabs;
use crate::components::guard::{Forbidden, RequireRole};
use crate::domain::auth::Role;
use crate::domain::ids::UserId;
use crate::domain::AppError;
use crate::pages::not_found::NotFound;

#[component]
pub fn UserDetailPage() -> impl IntoView {
    view! {
        <RequireRole role=Role::Owner>
            <UserDetail/>
        </RequireRole>
    }
    .into_any()
}

#[component]
fn UserDetail() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let user = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_user(UserId(id)).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || user.get().map(|result| match result {
                Ok(user) => view! {
                    <Title text=format!("{} · Users", user.name)/>
                    <AdminTabs/>
                    <p class="breadcrumb"><A href="/admin/users">"Users"</A>" / "{user.name.clone()}</p>
                    <section class="panel" data-testid="user-detail">
                        <h1>{user.name.clone()}</h1>
                        <dl class="facts">
                            <dt>"Email"</dt><dd>{user.email.clone()}</dd>
                            <dt>"Role"</dt><dd>{user.role.label()}</dd>
                            <dt>"Status"</dt><dd>{if user.is_active { "Active" } else { "Deactivated" }}</dd>
                            <dt>"Last sign-in"</dt><dd>{user.last_login.clone()}</dd>
                            <dt>"Created"</dt><dd>{user.created_at.clone()}</dd>
                        </dl>
                    </section>
                }.into_any(),
                Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                Err(AppError::Forbidden) => view! { <Forbidden/> }.into_any(),
                Err(err) => view! { <p class="notice notice-error" role="alert">{err.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}
