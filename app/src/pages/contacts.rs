//! `/contacts`: the workspace's contacts with the integrations they came
//! from; search, sorting and paging happen on the server through query
//! parameters (`?q=`, `?sort=`, `?desc=1`, `?page=`), so links can be shared
//! and everything works without JavaScript. `/contacts/{id}` shows one
//! contact with the raw provider records behind it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::sync::{load_contact, load_contacts};
use crate::components::empty_state::EmptyState;
use crate::components::guard::{Forbidden, RequireRole};
use crate::components::layout::PageHeader;
use crate::domain::auth::Role;
use crate::domain::ids::ContactId;
use crate::domain::sync::{ContactPage, ContactQuery};
use crate::domain::AppError;
use crate::pages::not_found::NotFound;

const SORTS: [(&str, &str); 4] = [
    ("name", "Name"),
    ("email", "Email"),
    ("company", "Company"),
    ("updated", "Updated"),
];

#[component]
pub fn ContactsPage() -> impl IntoView {
    view! {
        <RequireRole role=Role::Member>
            <Contacts/>
        </RequireRole>
    }
    .into_any()
}

fn query_of(params: &leptos_router::params::ParamsMap) -> ContactQuery {
    ContactQuery {
        search: params.get("q").unwrap_or_default(),
        sort: params.get("sort").unwrap_or_else(|| "name".into()),
        descending: params.get("desc").is_some_and(|v| v == "1"),
        page: params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
    }
}

/// The address of the list with some parameters changed.
fn href(query: &ContactQuery, sort: &str, descending: bool, page: u64) -> String {
    let mut url = format!("/contacts?sort={sort}");
    if descending {
        url.push_str("&desc=1");
    }
    if !query.search.trim().is_empty() {
        url.push_str("&q=");
        url.push_str(&urlencode(query.search.trim()));
    }
    if page > 1 {
        url.push_str(&format!("&page={page}"));
    }
    url
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn Contacts() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(query_of));
    let page = Resource::new(move || query.get(), load_contacts);
    view! {
        <Title text="Contacts"/>
        <PageHeader
            title="Contacts"
            description="Everyone your integrations brought in, deduplicated by email, with where each came from."
        />
        <form class="filters" method="get" action="/contacts" role="search">
            <div class="field">
                <label for="contact-search">"Search"</label>
                <input id="contact-search" name="q" type="search" placeholder="Name, email or company"
                    prop:value=move || query.with(|q| q.search.clone())/>
            </div>
            <input type="hidden" name="sort" prop:value=move || query.with(|q| q.sort.clone())/>
            <button type="submit" class="btn btn-ghost">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading contacts…"</p> }>
            {move || page.get().map(|result| match result {
                Ok(page) => view! { <ContactTable page query=query.get()/> }.into_any(),
                Err(AppError::Forbidden) => view! { <Forbidden/> }.into_any(),
                Err(err) => view! { <p class="notice notice-error" role="alert">{err.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn ContactTable(page: ContactPage, query: ContactQuery) -> impl IntoView {
    if page.rows.is_empty() {
        let text = if query.search.trim().is_empty() {
            "Contacts appear here after an integration syncs. Connect one on the Integrations page and press Sync now."
        } else {
            "No contact matches this search. Try part of a name, an email or a company."
        };
        return view! { <EmptyState icon="👥" title="No contacts" text=text/> }.into_any();
    }
    let first = (page.page - 1) * page.per_page + 1;
    let last = first + page.rows.len() as u64 - 1;
    let header = {
        let query = query.clone();
        move |key: &'static str, label: &'static str| {
            let active = query.sort == key;
            let descending = active && !query.descending;
            let sort = match (active, query.descending) {
                (true, false) => "ascending",
                (true, true) => "descending",
                _ => "none",
            };
            view! {
                <th scope="col" aria-sort=sort>
                    <A href=href(&query, key, descending, 1)>
                        {label}{active.then_some(if query.descending { " ▼" } else { " ▲" })}
                    </A>
                </th>
            }
        }
    };
    let prev = (page.page > 1).then(|| href(&query, &query.sort, query.descending, page.page - 1));
    let next = (page.page < page.pages)
        .then(|| href(&query, &query.sort, query.descending, page.page + 1));
    view! {
        <p class="muted small" data-testid="contact-count">
            {format!("{first}–{last} of {} contacts", page.total)}
        </p>
        <div class="table-wrap" tabindex="0" role="region" aria-label="Contacts">
            <table class="table" data-testid="contacts">
                <thead>
                    <tr>
                        {SORTS.iter().take(3).map(|(k, l)| header(k, l)).collect_view()}
                        <th scope="col">"Sources"</th>
                        {header(SORTS[3].0, SORTS[3].1)}
                    </tr>
                </thead>
                <tbody>
                    {page.rows.into_iter().map(|row| view! {
                        <tr>
                            <td>
                                <A href=format!("/contacts/{}", row.id)>
                                    {if row.name.is_empty() { "(no name)".to_string() } else { row.name.clone() }}
                                </A>
                                {row.job_title.clone().map(|t| view! { <div class="muted small">{t}</div> })}
                            </td>
                            <td>{row.email.clone().unwrap_or_default()}</td>
                            <td>{row.company.clone().unwrap_or_default()}</td>
                            <td>
                                <ul class="badges">
                                    {row.sources.iter().map(|s| view! { <li class="badge">{s.clone()}</li> }).collect_view()}
                                </ul>
                            </td>
                            <td><time title=row.updated.exact.clone()>{row.updated.relative.clone()}</time></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            {prev.map(|url| view! { <A href=url attr:rel="prev">"← Previous"</A> })}
            <span class="muted small">{format!("Page {} of {}", page.page, page.pages)}</span>
            {next.map(|url| view! { <A href=url attr:rel="next">"Next →"</A> })}
        </nav>
    }
    .into_any()
}

#[component]
pub fn ContactDetailPage() -> impl IntoView {
    view! {
        <RequireRole role=Role::Member>
            <ContactDetailView/>
        </RequireRole>
    }
    .into_any()
}

#[component]
fn ContactDetailView() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let contact = Resource::new(id, |id| async move {
        match id {
            Some(id) => load_contact(ContactId(id)).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || contact.get().map(|result| match result {
                Ok(detail) => {
                    let c = detail.contact;
                    let title = if c.name.is_empty() { c.email.clone().unwrap_or_default() } else { c.name.clone() };
                    view! {
                        <Title text=format!("{title} · Contacts")/>
                        <p class="breadcrumb"><A href="/contacts">"Contacts"</A>" / "{title.clone()}</p>
                        <section class="panel" data-testid="contact-detail">
                            <h1>{title.clone()}</h1>
                            <dl class="facts">
                                <dt>"Email"</dt><dd>{c.email.clone().unwrap_or_default()}</dd>
                                <dt>"Phone"</dt><dd>{c.phone.clone().unwrap_or_default()}</dd>
                                <dt>"Company"</dt><dd>{c.company.clone().unwrap_or_default()}</dd>
                                <dt>"Job title"</dt><dd>{c.job_title.clone().unwrap_or_default()}</dd>
                                <dt>"Sources"</dt><dd>{c.sources.join(", ")}</dd>
                                <dt>"Updated"</dt><dd><time title=c.updated.exact.clone()>{c.updated.relative.clone()}</time></dd>
                            </dl>
                        </section>
                        <h2>"Provider records"</h2>
                        {detail.records.into_iter().map(|r| view! {
                            <details class="panel record" data-testid="source-record">
                                <summary>
                                    <strong>{r.provider.clone()}</strong>
                                    {format!(" · {} {} · synced ", r.resource, r.external_id)}
                                    <time title=r.synced.exact.clone()>{r.synced.relative.clone()}</time>
                                </summary>
                                <pre class="code">{r.data.clone()}</pre>
                            </details>
                        }).collect_view()}
                    }.into_any()
                }
                Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                Err(AppError::Forbidden) => view! { <Forbidden/> }.into_any(),
                Err(err) => view! { <p class="notice notice-error" role="alert">{err.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}
