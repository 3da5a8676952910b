use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{empty_state::EmptyState, layout::PageHeader};

/// The tenant's activity log.
#[component]
pub fn ActivityPage() -> impl IntoView {
    view! {
        <Title text="Activity"/>
        <PageHeader
            title="Activity"
            description="Every connection, sync and webhook of your workspace, newest first."
        />
        <EmptyState
            icon="📜"
            title="No activity yet"
            text="Connecting a service, running a sync or receiving a webhook is logged here."
        />
    }
    .into_any()
}
