use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::admin_tabs::AdminTabs;
use crate::components::guard::RequireRole;
use crate::components::{empty_state::EmptyState, layout::PageHeader};
use crate::domain::auth::Role;

/// Admin overview of every integration of the tenant.
#[component]
pub fn AdminIntegrationsPage() -> impl IntoView {
    view! {
        <Title text="Admin · Integrations"/>
        <RequireRole role=Role::Admin>
            <AdminTabs/>
            <PageHeader
                title="Integrations admin"
                description="Health, errors, schedules and next runs of every integration in your workspace."
            />
            <EmptyState
                icon="🛠"
                title="Nothing to manage yet"
                text="Once a service is connected, its health, error count and schedule are listed here."
            />
        </RequireRole>
    }
    .into_any()
}
