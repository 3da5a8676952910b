use leptos::prelude::*;

/// What a list shows while it has nothing in it, and why.
#[component]
pub fn EmptyState(
    #[prop(into)] icon: String,
    #[prop(into)] title: String,
    #[prop(into)] text: String,
) -> impl IntoView {
    view! {
        <section class="empty-state">
            <div class="empty-icon" aria-hidden="true">{icon}</div>
            <h2>{title}</h2>
            <p>{text}</p>
        </section>
    }
}
