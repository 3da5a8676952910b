use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{empty_state::EmptyState, layout::PageHeader};

/// Admin overview of every integration of the tenant.
#[component]
pub fn AdminIntegrationsPage() -> impl IntoView {
    view! {
        <Title text="Admin · Integrations"/>
        <PageHeader
            title="Integrations admin"
            description="Health, errors, schedules and next runs of every integration in your workspace."
        />
        <EmptyState
            icon="🛠"
            title="Nothing to manage yet"
            text="Once a service is connected, its health, error count and schedule are listed here."
        />
    }
    .into_any()
}
