use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{empty_state::EmptyState, layout::PageHeader};

/// The hub: every provider the tenant can connect, with their state.
#[component]
pub fn IntegrationsPage() -> impl IntoView {
    view! {
        <Title text="Integrations"/>
        <PageHeader
            title="Integrations"
            description="Connect your CRM workspace to the services you already use and keep contacts and events flowing."
        />
        <EmptyState
            icon="🔌"
            title="No integrations connected yet"
            text="Connected services, their sync state and the provider catalog appear here."
        />
    }
    .into_any()
}
