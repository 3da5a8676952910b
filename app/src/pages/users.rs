//! `/admin/users` (owners): add users, change roles, deactivate, reset passwords.

use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::{list_users, ChangeRole, CreateUser, ResetPassword, SetUserActive};
use crate::components::admin_tabs::AdminTabs;
use crate::components::forms::{Field, FormMessage};
use crate::components::guard::{current_user, RequireRole};
use crate::components::layout::PageHeader;
use crate::domain::accounts::UserSummary;
use crate::domain::auth::Role;
use crate::domain::validate::MIN_PASSWORD_LEN;
use crate::domain::AppError;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <Title text="Users"/>
        <RequireRole role=Role::Owner>
            <AdminTabs/>
            <PageHeader
                title="Users"
                description="Who can use this workspace, and with which role. Members see the hub and run syncs; admins also manage integrations, webhooks and API tokens; owners also manage users."
            />
            <UsersManager/>
        </RequireRole>
    }
    .into_any()
}

#[component]
fn UsersManager() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let change_role = ServerAction::<ChangeRole>::new();
    let set_active = ServerAction::<SetUserActive>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let users = Resource::new(
        move || {
            (
                create.version().get(),
                change_role.version().get(),
                set_active.version().get(),
            )
        },
        |_| list_users(),
    );

    let create_form = NodeRef::<html::Form>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            if let Some(form) = create_form.get() {
                form.reset();
            }
        }
    });
    let field_error = move |field: &'static str| {
        Signal::derive(move || match create.value().get() {
            Some(Err(err)) => err.field_message(field).map(str::to_string),
            _ => None,
        })
    };
    let create_message = Signal::derive(move || match create.value().get() {
        Some(Err(AppError::Validation(_))) => {
            Some("Fix the marked fields and try again.".to_string())
        }
        Some(Err(err)) => Some(err.to_string()),
        _ => None,
    });
    let created = Signal::derive(move || match create.value().get() {
        Some(Ok(user)) => Some(format!(
            "{} can now sign in as {}.",
            user.name,
            user.role.label().to_lowercase()
        )),
        _ => None,
    });
    let row_error = Signal::derive(move || {
        [
            change_role.value().get().and_then(Result::err),
            set_active.value().get().and_then(Result::err),
            reset.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|err| err.to_string())
    });
    let reset_done = Signal::derive(move || match reset.value().get() {
        Some(Ok(())) => Some(
            "Password changed. Their sessions have ended; they sign in with the new password."
                .to_string(),
        ),
        _ => None,
    });

    view! {
        <section class="panel">
            <h2>"Add a user"</h2>
            <FormMessage message=create_message/>
            <FormMessage message=created success=true/>
            <ActionForm action=create node_ref=create_form attr:class="form form-grid" attr:data-testid="create-user-form">
                <Field name="name" label="Name" required=true error=field_error("name") autocomplete="off"/>
                <Field name="email" label="Email" kind="email" required=true error=field_error("email") autocomplete="off"/>
                <div class="field">
                    <label for="field-role">"Role"</label>
                    <select id="field-role" name="role">
                        {Role::ALL.iter().map(|role| view! {
                            <option value=role.as_str() selected=*role == Role::Member>{role.label()}</option>
                        }).collect_view()}
                    </select>
                    <p class="field-error" role="alert">{move || field_error("role").get()}</p>
                </div>
                <Field
                    name="password"
                    label="Initial password"
                    kind="password"
                    required=true
                    error=field_error("password")
                    autocomplete="new-password"
                    hint=format!("At least {MIN_PASSWORD_LEN} characters; share it with them privately.")
                />
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Adding…" } else { "Add user" }}
                    </button>
                </div>
            </ActionForm>
        </section>

        <section class="panel">
            <h2>"Users"</h2>
            <FormMessage message=row_error/>
            <FormMessage message=reset_done success=true/>
            <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                {move || users.get().map(|result| match result {
                    Ok(list) => view! { <UsersTable users=list change_role set_active reset/> }.into_any(),
                    Err(err) => view! { <p class="notice notice-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn UsersTable(
    users: Vec<UserSummary>,
    change_role: ServerAction<ChangeRole>,
    set_active: ServerAction<SetUserActive>,
    reset: ServerAction<ResetPassword>,
) -> impl IntoView {
    let me = current_user().map(|u| u.user_id);
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="users-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Last sign-in"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {users.into_iter().map(|user| {
                        let id = user.id;
                        let is_me = Some(id) == me;
                        let select_id = format!("role-{id}");
                        view! {
                            <tr data-testid=format!("user-row-{}", user.email)>
                                <td>
                                    <a href=format!("/admin/users/{id}")>{user.name.clone()}</a>
                                    {is_me.then(|| view! { <span class="badge">"you"</span> })}
                                </td>
                                <td>{user.email.clone()}</td>
                                <td>
                                    <label class="visually-hidden" for=select_id.clone()>{format!("Role of {}", user.name)}</label>
                                    <select
                                        id=select_id
                                        on:change=move |ev| {
                                            if let Ok(role) = Role::parse(&event_target_value(&ev)) {
                                                change_role.dispatch(ChangeRole { id, role });
                                            }
                                        }
                                    >
                                        {Role::ALL.iter().map(|role| view! {
                                            <option value=role.as_str() selected=*role == user.role>{role.label()}</option>
                                        }).collect_view()}
                                    </select>
                                </td>
                                <td>
                                    {if user.is_active {
                                        view! { <span class="status status-active">"Active"</span> }.into_any()
                                    } else {
                                        view! { <span class="status status-inactive">"Deactivated"</span> }.into_any()
                                    }}
                                </td>
                                <td>{user.last_login.clone()}</td>
                                <td class="row-actions">
                                    {if user.is_active {
                                        view! {
                                            <button type="button" class="btn btn-ghost btn-small" disabled=is_me
                                                on:click=move |_| { set_active.dispatch(SetUserActive { id, active: false }); }>
                                                "Deactivate"
                                            </button>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <button type="button" class="btn btn-ghost btn-small"
                                                on:click=move |_| { set_active.dispatch(SetUserActive { id, active: true }); }>
                                                "Reactivate"
                                            </button>
                                        }.into_any()
                                    }}
                                    <details class="inline-details">
                                        <summary class="btn btn-ghost btn-small">"Reset password"</summary>
                                        <ActionForm action=reset attr:class="inline-form">
                                            <input type="hidden" name="id" value=id.0/>
                                            <label class="visually-hidden" for=format!("password-{id}")>"New password"</label>
                                            <input id=format!("password-{id}") name="password" type="password"
                                                autocomplete="new-password" placeholder="New password" required/>
                                            <button type="submit" class="btn btn-primary btn-small">"Set"</button>
                                        </ActionForm>
                                    </details>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
