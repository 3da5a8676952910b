//! The Field mapping tab of the settings modal: which provider field fills
//! each contact field, chosen from the fields of the synced records, with
//! three of those records shown through the mapping.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::api::sync::{load_mapping, SaveMapping};
use crate::components::empty_state::EmptyState;
use crate::components::forms::FormMessage;
use crate::components::guard::current_user;
use crate::domain::auth::Role;
use crate::domain::ids::IntegrationId;
use crate::domain::sync::{contact_field_label, MappingView};
use crate::domain::AppError;

#[component]
pub fn FieldMapping(id: IntegrationId) -> impl IntoView {
    let save = ServerAction::<SaveMapping>::new();
    let mapping = Resource::new(
        move || (id, save.version().get()),
        |(id, _)| load_mapping(id),
    );
    let can_edit = current_user().is_some_and(|u| u.can(Role::Admin));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the mapping…"</p> }>
            {move || mapping.get().map(|result| match result {
                Ok(view) => view! { <MappingForm id view save can_edit/> }.into_any(),
                Err(AppError::Conflict(text)) => view! { <EmptyState icon="🔀" title="Nothing to map" text=text/> }.into_any(),
                Err(err) => view! { <p class="notice notice-error" role="alert">{err.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn MappingForm(
    id: IntegrationId,
    view: MappingView,
    save: ServerAction<SaveMapping>,
    can_edit: bool,
) -> impl IntoView {
    let choices = StoredValue::new(view.provider_fields.clone());
    let values: RwSignal<BTreeMap<String, String>> = RwSignal::new(
        view.rows
            .iter()
            .map(|r| (r.field.clone(), r.source.clone()))
            .collect(),
    );
    let error = Signal::derive(move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    });
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let preview = view.preview.clone();
    view! {
        <p class="muted small">
            {format!("Each contact field takes its value from a field of the provider's {} records. Changes apply from the next sync, to every record.", view.resource)}
        </p>
        <form class="form" data-testid="mapping-form" on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(SaveMapping { id, fields: values.get_untracked() });
        }>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Field mapping">
                <table class="table">
                    <thead><tr><th scope="col">"Contact field"</th><th scope="col">"Provider field"</th><th scope="col">"Default"</th></tr></thead>
                    <tbody>
                        {view.rows.into_iter().map(|row| {
                            let field = row.field.clone();
                            let input_id = format!("map-{}", row.field);
                            let current = row.source.clone();
                            view! {
                                <tr>
                                    <td><label for=input_id.clone()>{row.label.clone()}</label></td>
                                    <td>
                                        <select id=input_id disabled=!can_edit
                                            on:change=move |ev| {
                                                let value = event_target_value(&ev);
                                                values.update(|v| { v.insert(field.clone(), value); });
                                            }>
                                            <option value="" selected=current.is_empty()>"(not synced)"</option>
                                            {choices.get_value().into_iter().map(|path| {
                                                let selected = path == current;
                                                view! { <option value=path.clone() selected=selected>{path.clone()}</option> }
                                            }).collect_view()}
                                        </select>
                                    </td>
                                    <td><code>{if row.default_source.is_empty() { "—".to_string() } else { row.default_source.clone() }}</code></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <FormMessage message=error/>
            {move || saved().then(|| view! { <p class="notice notice-success" role="status">"Saved. The next sync maps every record with it."</p> })}
            {can_edit.then(|| view! {
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" data-testid="save-mapping"
                        disabled=move || save.pending().get()>"Save mapping"</button>
                </div>
            })}
        </form>
        <h3>"Preview"</h3>
        {if preview.is_empty() {
            view! { <p class="muted small">"Three synced records appear here through the mapping after the first sync."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label="Preview of three records">
                    <table class="table" data-testid="mapping-preview">
                        <thead><tr>
                            {preview[0].iter().map(|(field, _)| view! { <th scope="col">{contact_field_label(field)}</th> }).collect_view()}
                        </tr></thead>
                        <tbody>
                            {preview.into_iter().map(|record| view! {
                                <tr>{record.into_iter().map(|(_, value)| view! { <td>{value}</td> }).collect_view()}</tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}
