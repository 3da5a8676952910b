//! The sandbox's write endpoints: each provider's create, update and
//! find-by-email requests as the catalog's `push` table declares them,
//! answered in the provider's shape. Written records join the data set, so
//! later pulls return them. Like the real services, providers that keep
//! one record per email refuse a second one, Google refuses an update
//! without the contact's current `etag`, and SendGrid upserts by email.

use std::collections::HashMap;

use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::data::{self, DataSet, Values};
use super::Sandbox;
use crate::catalog::{placeholders, Lookup, Provider, Push, Resource};
use crate::sync::mapping::{normalize_email, Mapping};
use crate::sync::{path, push};

/// Answers a write or lookup request of `provider`, if `relative` is one.
pub fn serve(
    sandbox: &Sandbox,
    provider: &Provider,
    method: &Method,
    relative: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    for resource in &provider.resources {
        let Some(push) = &resource.push else { continue };
        if method == Method::GET {
            if let Some(lookup) = &push.lookup {
                if let Some(email) = lookup_email(lookup, relative, query) {
                    let set = sandbox.data();
                    return Some(found(&set, provider, resource, lookup, &email));
                }
            }
            continue;
        }
        let update = (method.as_str() == push.update.method)
            .then(|| capture(&push.update.path, relative))
            .flatten();
        let create = (method.as_str() == push.create.method)
            .then(|| capture(&push.create.path, relative))
            .flatten();
        if update.is_none() && create.is_none() {
            continue;
        }
        let id = update.as_ref().and_then(|c| c.get("id").cloned());
        let record = match read_body(push, headers, body) {
            Ok(record) => record,
            Err(message) => return Some(refuse(provider, StatusCode::BAD_REQUEST, &message)),
        };
        let mut set = sandbox.data();
        return Some(write(&mut set, provider, resource, push, id, &record));
    }
    None
}

/// `template`'s placeholders as found in `path` (`{id}` may span segments).
fn capture(template: &str, path: &str) -> Option<HashMap<String, String>> {
    let path = path.trim_end_matches('/');
    let template = template.trim_end_matches('/');
    let names = placeholders(template);
    let mut literals = Vec::new();
    let mut rest = template;
    for name in &names {
        let (before, after) = rest.split_once(&format!("{{{name}}}"))?;
        literals.push(before);
        rest = after;
    }
    literals.push(rest);
    let mut found = HashMap::new();
    let mut remaining = path.strip_prefix(literals[0])?;
    for (name, next) in names.iter().zip(&literals[1..]) {
        let end = if next.is_empty() {
            remaining.len()
        } else {
            remaining.find(next)?
        };
        let value = &remaining[..end];
        if value.is_empty() || (*name != "id" && value.contains('/')) {
            return None;
        }
        found.insert(name.to_string(), value.to_string());
        remaining = &remaining[end..];
        remaining = remaining.strip_prefix(next)?;
    }
    remaining.is_empty().then_some(found)
}

/// The email a lookup request asks for, if `relative` and `query` are one.
fn lookup_email(
    lookup: &Lookup,
    relative: &str,
    query: &HashMap<String, String>,
) -> Option<String> {
    let mut email = capture(&lookup.path, relative)?.remove("email");
    for (name, template) in &lookup.params {
        let given = query.get(name)?;
        if let Some((before, after)) = template.split_once("{email}") {
            let value = given.strip_prefix(before)?.strip_suffix(after)?;
            email = Some(value.replace("\\'", "'").replace("''", "'"));
        }
    }
    email.map(|e| e.trim().to_lowercase())
}

/// The lookup's answer: the record with that email, or none.
fn found(
    set: &DataSet,
    provider: &Provider,
    resource: &Resource,
    lookup: &Lookup,
    email: &str,
) -> Response {
    let record = set
        .find_email(&provider.key, email)
        .map(|index| set.current(&provider.key, resource, index));
    let item = record.map(|record| {
        let prefix = lookup.record_in_match(resource);
        if prefix.is_empty() {
            record
        } else {
            let mut item = json!({});
            path::set(&mut item, prefix, record);
            item
        }
    });
    match (item, lookup.records_path.as_str()) {
        (Some(item), "") => Json(item).into_response(),
        (None, "") => refuse(provider, StatusCode::NOT_FOUND, "resource not found"),
        (None, _) if provider.key == "zoho_crm" => StatusCode::NO_CONTENT.into_response(),
        (item, at) => {
            let mut body = json!({});
            // GoHighLevel's duplicate search answers with one contact or null.
            let list = if provider.key == "gohighlevel" {
                item.unwrap_or(Value::Null)
            } else {
                Value::Array(item.into_iter().collect())
            };
            path::set(&mut body, at, list);
            Json(body).into_response()
        }
    }
}

/// The record in a request body (JSON or form), unwrapped.
fn read_body(push: &Push, headers: &HeaderMap, body: &[u8]) -> Result<Value, String> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let parsed = if form {
        push::form_to_json(body)
    } else {
        serde_json::from_slice(body)
            .map_err(|_| "The request body is not valid JSON.".to_string())?
    };
    path::get(&parsed, &push.wrap)
        .filter(|r| r.is_object())
        .cloned()
        .ok_or_else(|| format!("The request body has no record at '{}'.", push.wrap))
}

/// The contact values a written record carries, read the way the catalog writes them.
fn values_of(push: &Push, resource: &Resource, record: &Value) -> Values {
    let defaults = Mapping(resource.mapping.clone());
    let mut values = Values::new();
    for (field, at) in push::write_paths(push, resource, &defaults) {
        if let Some(value) = path::get_text(record, &at) {
            values.insert(field, value.trim().to_string());
        }
    }
    for (target, template) in &push.compose {
        let Some(text) = path::get_text(record, target) else {
            continue;
        };
        let names = placeholders(template);
        let parts: Vec<&str> = match names.len() {
            1 => vec![text.trim()],
            _ => {
                let (first, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
                vec![first, rest]
            }
        };
        for (name, part) in names.iter().zip(parts) {
            if !part.is_empty() {
                values.insert(name.to_string(), part.to_string());
            }
        }
    }
    values
}

/// Providers that keep one record per email address.
fn unique_email(provider: &str) -> bool {
    matches!(
        provider,
        "hubspot"
            | "zoho_crm"
            | "gohighlevel"
            | "mailchimp"
            | "activecampaign"
            | "zendesk"
            | "shopify"
    )
}

fn write(
    set: &mut DataSet,
    provider: &Provider,
    resource: &Resource,
    push: &Push,
    id: Option<String>,
    record: &Value,
) -> Response {
    let mut values = values_of(push, resource, record);
    if let Some(email) = values.get("email").cloned() {
        match normalize_email(&email) {
            Some(email) => values.insert("email".into(), email),
            None => {
                return refuse(
                    provider,
                    StatusCode::BAD_REQUEST,
                    &format!("'{email}' is not a valid email address."),
                )
            }
        };
    }
    let existing = match &id {
        Some(id) => {
            match data::index_of(&provider.key, id).filter(|i| *i < set.total(&provider.key)) {
                Some(index) => Some(index),
                None => {
                    return refuse(
                        provider,
                        StatusCode::NOT_FOUND,
                        &format!("No record has id {id}."),
                    )
                }
            }
        }
        // SendGrid's PUT upserts by email.
        None if push.id_path.is_none() => values
            .get("email")
            .and_then(|email| set.find_email(&provider.key, email)),
        None => None,
    };
    if existing.is_none() {
        if let Some(missing) = push.required.iter().find(|f| !values.contains_key(*f)) {
            return refuse(
                provider,
                StatusCode::BAD_REQUEST,
                &format!("Required field is missing: {missing}."),
            );
        }
        let taken = values
            .get("email")
            .and_then(|email| set.find_email(&provider.key, email));
        if let (Some(other), true) = (taken, unique_email(&provider.key)) {
            let other_id = data::external_id(&provider.key, other);
            let other_id = path::text(&other_id).unwrap_or_default();
            return refuse(
                provider,
                StatusCode::CONFLICT,
                &format!("Contact already exists. Existing ID: {other_id}"),
            );
        }
    }
    if let (Some(index), "gmail") = (existing, provider.key.as_str()) {
        let (revision, _) = set.version(&provider.key, index);
        if path::get_text(record, "etag").as_deref() != Some(data::etag(index, revision).as_str()) {
            return refuse(
                provider,
                StatusCode::BAD_REQUEST,
                "Request person.etag is different than the current person.etag. Clear local cache and get the latest person.",
            );
        }
    }
    let index = set.write(&provider.key, existing, values);
    let saved = set.current(&provider.key, resource, index);
    let id = data::external_id(&provider.key, index);
    let created = existing.is_none();
    let ok = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    match provider.key.as_str() {
        "salesforce" if created => {
            (ok, Json(json!({ "id": id, "success": true, "errors": [] }))).into_response()
        }
        "salesforce" => StatusCode::NO_CONTENT.into_response(),
        "zoho_crm" => {
            let message = if created {
                "record added"
            } else {
                "record updated"
            };
            let modified = path::get(&saved, "Modified_Time")
                .cloned()
                .unwrap_or(Value::Null);
            (
                ok,
                Json(json!({ "data": [{
                "code": "SUCCESS",
                "details": { "id": id, "Modified_Time": modified },
                "message": message,
                "status": "success"
            }] })),
            )
                .into_response()
        }
        "sendgrid" => (
            StatusCode::ACCEPTED,
            Json(json!({ "job_id": format!("sbx-job-{index}") })),
        )
            .into_response(),
        "pipedrive" => (ok, Json(json!({ "success": true, "data": saved }))).into_response(),
        "gohighlevel" => (ok, Json(json!({ "contact": saved }))).into_response(),
        "stripe" | "mailchimp" | "gmail" => Json(saved).into_response(),
        _ => {
            let mut body = json!({});
            path::set(&mut body, &push.wrap, saved);
            (ok, Json(body)).into_response()
        }
    }
}

/// A refusal in the provider's error shape.
fn refuse(provider: &Provider, status: StatusCode, message: &str) -> Response {
    let body = match provider.key.as_str() {
        "hubspot" => {
            json!({ "status": "error", "message": message, "category": if status == StatusCode::CONFLICT { "CONFLICT" } else { "VALIDATION_ERROR" } })
        }
        "salesforce" => {
            json!([{ "message": message, "errorCode": "REQUIRED_FIELD_MISSING", "fields": [] }])
        }
        "zoho_crm" => {
            json!({ "data": [{ "code": "INVALID_DATA", "details": {}, "message": message, "status": "error" }] })
        }
        "stripe" | "gmail" => json!({ "error": { "message": message } }),
        "mailchimp" => {
            json!({ "title": "Invalid Resource", "status": status.as_u16(), "detail": message })
        }
        "sendgrid" | "activecampaign" => json!({ "errors": [{ "message": message }] }),
        "shopify" | "zendesk" => json!({ "error": message }),
        _ => json!({ "success": false, "message": message }),
    };
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::capture;

    #[test]
    fn captures_placeholders_across_segments_only_for_ids() {
        let got = capture("/lists/{list_id}/members/{id}", "/lists/abc/members/0f3e").unwrap();
        assert_eq!(got["list_id"], "abc");
        assert_eq!(got["id"], "0f3e");
        let got = capture("/{id}:updateContact", "/people/c0001:updateContact").unwrap();
        assert_eq!(got["id"], "people/c0001");
        assert!(capture("/users/{id}.json", "/users/7.xml").is_none());
        assert!(capture("/customers", "/customers/7").is_none());
        assert!(capture("/contacts/", "/contacts").unwrap().is_empty());
        assert!(capture("/lists/{list_id}/members", "/lists/a/b/members").is_none());
    }
}
