//! The footer's "System status" check: a server function answers it, so it
//! works only once the page is hydrated.

use leptos::prelude::*;

use crate::api::system::GetSystemStatus;

#[component]
pub fn SystemStatusCheck() -> impl IntoView {
    let check = ServerAction::<GetSystemStatus>::new();
    let pending = check.pending();
    let result = move || match check.value().get() {
        None => String::new(),
        Some(Ok(status)) => status.summary(),
        Some(Err(err)) => err.to_string(),
    };
    view! {
        <div class="system-status">
            <button
                type="button"
                class="btn btn-ghost btn-small"
                data-testid="system-status-check"
                disabled=pending
                on:click=move |_| {
                    check.dispatch(GetSystemStatus {});
                }
            >
                {move || if pending.get() { "Checking…" } else { "System status" }}
            </button>
            <span class="system-status-result" role="status" data-testid="system-status">
                {result}
            </span>
        </div>
    }
}
