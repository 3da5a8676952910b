use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::forms::FormMessage;
use crate::components::guard::{form_feedback, request_info};
use crate::domain::validate::{Email, NewPassword, Slug, MIN_PASSWORD_LEN};
use crate::pages::not_found::NotFound;

/// First run: create the first workspace (tenant) and its owner. Once any
/// user exists this page does not exist (404).
#[component]
pub fn SetupPage() -> impl IntoView {
    if !request_info().first_run {
        return view! { <NotFound/> }.into_any();
    }
    let feedback = form_feedback();
    let error = |field: &str| feedback.error(field);

    // The URL name follows the workspace name until the person edits it.
    let slug = RwSignal::new(feedback.value("workspace_slug"));
    let slug_edited = RwSignal::new(!slug.get_untracked().is_empty());
    let slug_error = RwSignal::new(error("workspace_slug"));
    let email_error = RwSignal::new(error("email"));
    let password_error = RwSignal::new(error("password"));

    view! {
        <Title text="Set up"/>
        <section class="auth-card auth-card-wide">
            <h1>"Welcome to the Integrations Hub"</h1>
            <p class="lede">
                "Create your workspace and its owner account. You can invite the rest of your team afterwards."
            </p>
            <FormMessage message=Signal::stored(feedback.message.clone())/>
            <form method="post" action="/setup" class="form" data-testid="setup-form" novalidate>
                <fieldset>
                    <legend>"Workspace"</legend>
                    <SetupField name="workspace_name" label="Workspace name" value=feedback.value("workspace_name")
                        error=Signal::stored(error("workspace_name")) placeholder="Acme Sales"
                        on_input=Callback::new(move |value: String| {
                            if !slug_edited.get_untracked() {
                                slug.set(Slug::suggest(&value));
                            }
                        })
                    />
                    <div class="field" class:field-invalid=move || slug_error.get().is_some()>
                        <label for="field-workspace_slug">"URL name"<span class="required" aria-hidden="true">" *"</span></label>
                        <input
                            id="field-workspace_slug"
                            name="workspace_slug"
                            required
                            prop:value=move || slug.get()
                            aria-invalid=move || slug_error.get().is_some().to_string()
                            aria-describedby="field-workspace_slug-hint field-workspace_slug-error"
                            on:input=move |ev| {
                                slug_edited.set(true);
                                slug.set(event_target_value(&ev));
                            }
                            on:blur=move |_| slug_error.set(Slug::parse(&slug.get_untracked()).err())
                        />
                        <p class="field-hint" id="field-workspace_slug-hint">"Lower-case letters, digits and dashes."</p>
                        <p class="field-error" id="field-workspace_slug-error" role="alert">{move || slug_error.get()}</p>
                    </div>
                </fieldset>
                <fieldset>
                    <legend>"Owner account"</legend>
                    <SetupField name="name" label="Your name" value=feedback.value("name")
                        error=Signal::stored(error("name")) autocomplete="name"/>
                    <SetupField name="email" label="Email" kind="email" value=feedback.value("email")
                        error=email_error autocomplete="email"
                        on_blur=Callback::new(move |value: String| email_error.set(Email::parse(&value).err()))
                    />
                    <SetupField name="password" label="Password" kind="password"
                        error=password_error autocomplete="new-password"
                        hint=format!("At least {MIN_PASSWORD_LEN} characters.")
                        on_blur=Callback::new(move |value: String| {
                            password_error.set(NewPassword::parse(&value).err())
                        })
                    />
                </fieldset>
                <button type="submit" class="btn btn-primary btn-block">"Create workspace"</button>
            </form>
        </section>
    }
    .into_any()
}

#[component]
fn SetupField(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(into, default = "text".to_string())] kind: String,
    #[prop(into, optional)] value: String,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(into, optional)] placeholder: Option<String>,
    #[prop(optional)] on_input: Option<Callback<String>>,
    #[prop(optional)] on_blur: Option<Callback<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = format!("{hint_id} {error_id}");
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}<span class="required" aria-hidden="true">" *"</span></label>
            <input
                id=id
                name=name
                type=kind
                value=value
                required
                autocomplete=autocomplete
                placeholder=placeholder
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described
                on:input=move |ev| {
                    if let Some(cb) = on_input {
                        cb.run(event_target_value(&ev));
                    }
                }
                on:blur=move |ev| {
                    if let Some(cb) = on_blur {
                        cb.run(event_target_value(&ev));
                    }
                }
            />
            {hint.map(|hint| view! { <p class="field-hint" id=hint_id>{hint}</p> })}
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}
