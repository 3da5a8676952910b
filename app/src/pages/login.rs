use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::forms::{Field, FormMessage};
use crate::components::guard::form_feedback;

/// Sign in. A plain form posted to `POST /login`; works without JavaScript.
#[component]
pub fn LoginPage() -> impl IntoView {
    let feedback = form_feedback();
    let query = use_query_map();
    let next = {
        let from_form = feedback.value("next");
        if from_form.is_empty() {
            query.with_untracked(|q| q.get("next")).unwrap_or_default()
        } else {
            from_form
        }
    };
    let message = feedback.message.clone();
    view! {
        <Title text="Sign in"/>
        <section class="auth-card">
            <h1>"Sign in"</h1>
            <p class="lede">"Use the email address and password of your Integrations Hub account."</p>
            <FormMessage message=Signal::stored(message)/>
            <form method="post" action="/login" class="form" data-testid="login-form">
                <input type="hidden" name="next" value=next/>
                <Field
                    name="email"
                    label="Email"
                    kind="email"
                    value=feedback.value("email")
                    required=true
                    autocomplete="username"
                />
                <Field
                    name="password"
                    label="Password"
                    kind="password"
                    required=true
                    autocomplete="current-password"
                />
                <button type="submit" class="btn btn-primary btn-block">"Sign in"</button>
            </form>
            <p class="auth-note">"Forgot your password? Ask an owner of your workspace to reset it."</p>
        </section>
    }
    .into_any()
}
