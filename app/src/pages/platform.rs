//! `/platform` (platform owners): every tenant with its users and integrations.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::list_tenants;
use crate::components::guard::RequirePlatformOwner;
use crate::components::layout::PageHeader;

#[component]
pub fn PlatformPage() -> impl IntoView {
    view! {
        <Title text="Platform"/>
        <RequirePlatformOwner>
            <PageHeader
                title="Platform"
                description="Every workspace on this hub, with its users and integrations."
            />
            <TenantsTable/>
        </RequirePlatformOwner>
    }
    .into_any()
}

#[component]
fn TenantsTable() -> impl IntoView {
    let tenants = Resource::new(|| (), |_| list_tenants());
    view! {
        <section class="panel">
            <Transition fallback=|| view! { <p class="muted">"Loading workspaces…"</p> }>
                {move || tenants.get().map(|result| match result {
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="table" data-testid="tenants-table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Workspace"</th>
                                        <th scope="col">"URL name"</th>
                                        <th scope="col" class="num">"Users"</th>
                                        <th scope="col" class="num">"Active users"</th>
                                        <th scope="col" class="num">"Integrations"</th>
                                        <th scope="col">"Created"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|t| view! {
                                        <tr data-testid=format!("tenant-row-{}", &t.slug)>
                                            <td>{t.name}</td>
                                            <td><code>{t.slug.clone()}</code></td>
                                            <td class="num">{t.users}</td>
                                            <td class="num">{t.active_users}</td>
                                            <td class="num">{t.integrations}</td>
                                            <td>{t.created_at}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(err) => view! { <p class="notice notice-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}
