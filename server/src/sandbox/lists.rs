//! The sandbox's list endpoints: every resource the catalog declares,
//! served over the deterministic data set with the provider's own paging
//! (cursor in the body, offset, page number, `Link` header, next URL),
//! incremental filters, occasional 429s with `Retry-After`, and the faults
//! tests inject.

use std::collections::HashMap;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::api::template_matches;
use super::data::{self, DataSet};
use super::Sandbox;
use crate::catalog::{Pagination, Provider, Resource};
use crate::sync::path;

/// The records a request selects: all of them, or those changed since a time.
enum Ids {
    All(u64),
    Some(Vec<u64>),
}

impl Ids {
    fn len(&self) -> usize {
        match self {
            Ids::All(n) => *n as usize,
            Ids::Some(ids) => ids.len(),
        }
    }

    fn get(&self, position: usize) -> u64 {
        match self {
            Ids::All(_) => position as u64,
            Ids::Some(ids) => ids[position],
        }
    }

    /// The position just after record `index`.
    fn after(&self, index: u64) -> usize {
        match self {
            Ids::All(_) => index as usize + 1,
            Ids::Some(ids) => ids.partition_point(|i| *i <= index),
        }
    }
}

/// Answers `relative` (the path under the API's base) when it lists a resource.
pub async fn serve(
    sandbox: &Sandbox,
    provider: &Provider,
    public_root: &str,
    api_path: &str,
    relative: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Option<Response> {
    let api = provider.api.as_ref()?;
    // Salesforce continues a query at `/query/<locator>-<position>`.
    let locator = (provider.key == "salesforce")
        .then(|| relative.strip_prefix("/query/"))
        .flatten()
        .and_then(|rest| rest.rsplit_once('-'))
        .and_then(|(_, position)| position.parse::<usize>().ok());
    let resource = provider.resources.iter().find(|r| {
        template_matches(&r.path, relative) || (locator.is_some() && r.path == "/query")
    })?;

    if !sandbox.config.latency.is_zero() {
        tokio::time::sleep(sandbox.config.latency).await;
    }
    let mut set = sandbox.data();
    if let Some(response) = fault(&mut set, sandbox, &provider.key) {
        return Some(response);
    }
    set.drift(&provider.key);

    let since = since_of(resource, query, headers);
    let ids = match since {
        Some(at) => Ids::Some(set.changed_since(&provider.key, at)),
        None => Ids::All(set.total(&provider.key)),
    };
    let (position, limit) = match locator {
        Some(position) => (position, 2000),
        None => position_of(&api.pagination, &provider.key, query, &ids),
    };
    let end = (position + limit).min(ids.len());
    let records: Vec<Value> = (position.min(end)..end)
        .map(|p| set.current(&provider.key, resource, ids.get(p)))
        .collect();
    drop(set);
    let has_next = end < ids.len();
    let count = records.len();

    let mut body = json!({});
    path::set(&mut body, &resource.records_path, Value::Array(records));
    let mut extra_headers = HeaderMap::new();
    let list_url = format!("{public_root}{api_path}{relative}");
    match &api.pagination {
        Pagination::None => {}
        Pagination::Cursor {
            cursor_path,
            more_path,
            ..
        } => {
            if has_next && !cursor_path.contains(".-1.") {
                path::set(&mut body, cursor_path, json!(end.to_string()));
            }
            if let Some(more) = more_path {
                path::set(&mut body, more, json!(has_next));
            }
        }
        Pagination::Offset {
            total_path,
            more_path,
            ..
        } => {
            if let Some(total) = total_path {
                path::set(&mut body, total, json!(ids.len()));
            }
            if let Some(more) = more_path {
                path::set(&mut body, more, json!(has_next));
            }
        }
        Pagination::Page {
            size,
            total_pages_header,
            ..
        } => {
            if let Some(name) = total_pages_header {
                let pages = ids.len().div_ceil((*size).max(1) as usize).max(1);
                if let (Ok(name), Ok(value)) = (
                    header::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&pages.to_string()),
                ) {
                    extra_headers.insert(name, value);
                }
            }
        }
        Pagination::LinkHeader { limit_param, .. } => {
            if has_next {
                let mut next = url::Url::parse(&list_url).ok()?;
                {
                    let mut pairs = next.query_pairs_mut();
                    if let Some(param) = limit_param {
                        pairs.append_pair(param, &limit.to_string());
                    }
                    pairs.append_pair("page_info", &end.to_string());
                }
                if let Ok(value) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")) {
                    extra_headers.insert(header::LINK, value);
                }
            }
        }
        Pagination::NextUrl {
            next_path,
            limit_param,
            ..
        } => {
            let next = if !has_next {
                Value::Null
            } else if provider.key == "salesforce" {
                json!(format!("{api_path}/query/01gSbx0000QueryLoc-{end}"))
            } else {
                let mut next = url::Url::parse(&list_url).ok()?;
                {
                    let mut pairs = next.query_pairs_mut();
                    if let Some(param) = limit_param {
                        pairs.append_pair(param, &limit.to_string());
                    }
                    pairs.append_pair(skip_param(&provider.key), &end.to_string());
                }
                json!(next.to_string())
            };
            path::set(&mut body, next_path, next);
        }
    }
    decorate(&provider.key, &mut body, ids.len(), count, has_next);
    Some((StatusCode::OK, extra_headers, Json(body)).into_response())
}

/// The query parameter our next-page URLs carry their position in.
fn skip_param(provider: &str) -> &'static str {
    match provider {
        "outlook" => "$skiptoken",
        _ => "page_token",
    }
}

/// Where the page starts and how long it is.
fn position_of(
    pagination: &Pagination,
    provider: &str,
    query: &HashMap<String, String>,
    ids: &Ids,
) -> (usize, usize) {
    let number = |name: &str| query.get(name).and_then(|v| v.trim().parse::<usize>().ok());
    let limit_of = |param: &Option<String>, default: &Option<u32>| {
        param
            .as_deref()
            .and_then(number)
            .or(default.map(|d| d as usize))
            .unwrap_or(100)
            .clamp(1, 1000)
    };
    match pagination {
        Pagination::None => (0, ids.len()),
        Pagination::Cursor {
            cursor_param,
            cursor_path,
            limit_param,
            limit,
            ..
        } => {
            let position = match query.get(cursor_param) {
                None => 0,
                Some(cursor) if cursor_path.contains(".-1.") => data::index_of(provider, cursor)
                    .map(|index| ids.after(index))
                    .unwrap_or(usize::MAX),
                Some(cursor) => cursor.parse().unwrap_or(usize::MAX),
            };
            (position, limit_of(limit_param, limit))
        }
        Pagination::Offset {
            offset_param,
            limit_param,
            limit,
            ..
        } => (
            number(offset_param).unwrap_or(0),
            number(limit_param)
                .unwrap_or(*limit as usize)
                .clamp(1, 1000),
        ),
        Pagination::Page {
            page_param,
            size_param,
            size,
            ..
        } => {
            let size = number(size_param).unwrap_or(*size as usize).clamp(1, 1000);
            let page = number(page_param).unwrap_or(1).max(1);
            ((page - 1) * size, size)
        }
        Pagination::LinkHeader { limit_param, limit } => (
            number("page_info").unwrap_or(0),
            limit_of(limit_param, limit),
        ),
        Pagination::NextUrl {
            limit_param, limit, ..
        } => (
            number(skip_param(provider)).unwrap_or(0),
            limit_of(
                limit_param,
                &limit.or(Some(if provider == "salesforce" { 2000 } else { 100 })),
            ),
        ),
    }
}

/// The time an incremental request asks from, read back through the
/// catalog's templates (`WHERE LastModifiedDate > {since}`, `since={since}`…).
fn since_of(
    resource: &Resource,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Option<DateTime<Utc>> {
    let incremental = resource.incremental.as_ref()?;
    let from_query = incremental
        .params
        .iter()
        .filter_map(|(name, template)| extract(template, query.get(name)?));
    let from_headers = incremental.headers.iter().filter_map(|(name, template)| {
        extract(template, headers.get(name.as_str())?.to_str().ok()?)
    });
    from_query.chain(from_headers).next()
}

/// The `{since}` part of `given` per `template`, as a time.
fn extract(template: &str, given: &str) -> Option<DateTime<Utc>> {
    let (before, after) = template.split_once("{since}")?;
    let value = given.strip_prefix(before)?.strip_suffix(after)?.trim();
    if let Ok(seconds) = value.parse::<i64>() {
        return DateTime::from_timestamp(seconds, 0);
    }
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// An injected fault or a periodic 429, if this request gets one.
fn fault(set: &mut DataSet, sandbox: &Sandbox, provider: &str) -> Option<Response> {
    let every = sandbox.config.rate_limit_every;
    let data = set.provider(provider);
    data.list_requests += 1;
    let failing = match data.faults.front_mut() {
        Some(f) if f.after > 0 => {
            f.after -= 1;
            None
        }
        Some(f) => {
            let chosen = f.clone();
            f.times = f.times.saturating_sub(1);
            if f.times == 0 {
                data.faults.pop_front();
            }
            Some(chosen)
        }
        None => None,
    };
    let (status, retry_after) = match failing {
        Some(f) => (f.status, f.retry_after),
        None if every > 0 && data.list_requests.is_multiple_of(every) => (429, Some(1)),
        None => return None,
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = if status == StatusCode::TOO_MANY_REQUESTS {
        json!({ "status": "error", "message": "You have reached your rate limit; slow down.", "errorType": "RATE_LIMIT" })
    } else {
        json!({ "status": "error", "message": format!("The sandbox failed this request on purpose (HTTP {}).", status.as_u16()) })
    };
    let mut response = (status, Json(body)).into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Some(response)
}

/// Fields providers add around their lists.
fn decorate(provider: &str, body: &mut Value, total: usize, count: usize, has_next: bool) {
    match provider {
        "salesforce" => {
            body["totalSize"] = json!(total);
            body["done"] = json!(!has_next);
        }
        "pipedrive" => {
            body["success"] = json!(true);
            path::set(body, "additional_data.pagination.limit", json!(count));
        }
        "zoho_crm" => {
            path::set(body, "info.count", json!(count));
            path::set(body, "info.more_records", json!(has_next));
        }
        "gmail" => {
            body["totalPeople"] = json!(total);
            body["totalItems"] = json!(total);
        }
        "outlook" => {
            body["@odata.context"] =
                json!("https://graph.microsoft.com/v1.0/$metadata#users('me')/contacts");
        }
        "sendgrid" => body["contact_count"] = json!(total),
        "stripe" => {
            body["object"] = json!("list");
            body["url"] = json!("/v1/customers");
        }
        "typeform" => {
            body["total_items"] = json!(total);
            body["page_count"] = json!(total.div_ceil(100).max(1));
        }
        "gohighlevel" => path::set(body, "meta.total", json!(total)),
        _ => {}
    }
}
