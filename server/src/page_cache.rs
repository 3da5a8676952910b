//! Rendered pages kept and served again, so a page that many people reload
//! (the hub) costs one database read, not a render, while nothing it shows
//! has changed.
//!
//! A page opts in on each render through `app::api::page_cache` (an internal
//! response header, stripped here); any part of it can veto. A kept page is
//! served only to the same principal (user, role, names: the whole
//! `Principal` is the key, with the URL) and only while
//!
//! - its tenant's revision is still the one read, with the session, before
//!   it was rendered: database triggers raise the revision on every write to
//!   the rows the page shows (`migration::REVISION_TABLES`), whichever
//!   process or code makes it, so a page is never older than the database;
//! - the moment its time texts move ("5 min ago", today's records) has not
//!   come, as the page declared.
//!
//! The cache is bounded in bytes (`HUB_PAGE_CACHE_MB`, 0 turns it off), in
//! this process only; every process checks the same revisions.

use std::sync::Arc;
use std::time::Duration;

use app::api::page_cache::{HEADER, KEEP, KEEP_UNTIL, NEVER};
use app::domain::auth::{Principal, RequestInfo};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

use crate::metrics::RouteLabel;
use crate::startup::AppState;

/// The revision of the principal's tenant, read together with the session
/// (`auth::middleware` puts it on the request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantRevision(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    principal: Principal,
    uri: String,
}

struct Entry {
    revision: i64,
    /// Unix seconds; `None`: no time text on the page.
    until: Option<i64>,
    headers: HeaderMap,
    body: Bytes,
    route: Option<RouteLabel>,
}

impl Entry {
    fn fresh(&self, revision: i64, now: i64) -> bool {
        self.revision == revision && self.until.is_none_or(|until| now < until)
    }

    fn response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.headers_mut() = self.headers.clone();
        if let Some(route) = &self.route {
            response.extensions_mut().insert(route.clone());
        }
        response
    }
}

/// What a render said about being kept.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Keep { until: Option<i64> },
    Never,
}

/// Reads the page's declarations: kept only if some part said so and none said never.
fn verdict(headers: &HeaderMap) -> Verdict {
    let mut keep = false;
    let mut until: Option<i64> = None;
    for value in headers.get_all(HEADER) {
        match value.to_str().unwrap_or(NEVER) {
            KEEP => keep = true,
            other => match other
                .strip_prefix(KEEP_UNTIL)
                .and_then(|at| at.parse::<i64>().ok())
            {
                Some(at) => {
                    keep = true;
                    until = Some(until.map_or(at, |u| u.min(at)));
                }
                None => return Verdict::Never,
            },
        }
    }
    if keep {
        Verdict::Keep { until }
    } else {
        Verdict::Never
    }
}

#[derive(Clone)]
pub struct PageCache {
    entries: Option<moka::sync::Cache<Key, Arc<Entry>>>,
    outcomes: Outcomes,
}

/// `hub_page_cache_total{outcome}`: what became of signed-in page requests.
#[derive(Clone)]
struct Outcomes {
    /// Served from the cache.
    hit: IntCounter,
    /// A kept page was out of date (revision or time) and rendered again.
    stale: IntCounter,
    /// Nothing was kept for this principal and URL.
    miss: IntCounter,
    /// A render was kept.
    stored: IntCounter,
}

impl Outcomes {
    fn new(registry: &Registry) -> Self {
        let counter = IntCounterVec::new(
            Opts::new(
                "hub_page_cache_total",
                "Signed-in page requests by what the page cache did: hit, stale, miss; and renders stored",
            ),
            &["outcome"],
        )
        .expect("static metric definition is valid");
        if let Err(err) = registry.register(Box::new(counter.clone())) {
            tracing::warn!(error = %err, "page cache metrics not registered");
        }
        Self {
            hit: counter.with_label_values(&["hit"]),
            stale: counter.with_label_values(&["stale"]),
            miss: counter.with_label_values(&["miss"]),
            stored: counter.with_label_values(&["stored"]),
        }
    }
}

impl PageCache {
    /// A cache of at most `max_bytes` of pages (0 keeps nothing), counting
    /// its outcomes in `registry`.
    pub fn new(max_bytes: u64, registry: &Registry) -> Self {
        let entries = (max_bytes > 0).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|key: &Key, entry: &Arc<Entry>| {
                    let bytes = entry.body.len() + key.uri.len() + 512;
                    u32::try_from(bytes).unwrap_or(u32::MAX)
                })
                // Pages nobody asked for in a while make room sooner.
                .time_to_idle(Duration::from_secs(600))
                .build()
        });
        Self {
            entries,
            outcomes: Outcomes::new(registry),
        }
    }

    /// How many pages are kept (after pending evictions ran).
    pub fn len(&self) -> u64 {
        self.entries.as_ref().map_or(0, |entries| {
            entries.run_pending_tasks();
            entries.entry_count()
        })
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The middleware: answers from the cache, or renders and keeps what may be kept.
pub async fn serve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let cache = &state.page_cache;
    let (Some(entries), Some(key), Some(TenantRevision(revision))) = (
        cache.entries.as_ref(),
        key_of(&request),
        request.extensions().get::<TenantRevision>().copied(),
    ) else {
        return strip(next.run(request).await);
    };
    let now = Utc::now().timestamp();
    match entries.get(&key) {
        Some(entry) if entry.fresh(revision, now) => {
            cache.outcomes.hit.inc();
            return entry.response();
        }
        Some(_) => {
            cache.outcomes.stale.inc();
            entries.invalidate(&key);
        }
        None => cache.outcomes.miss.inc(),
    }

    let mut response = next.run(request).await;
    let verdict = verdict(response.headers());
    response.headers_mut().remove(HEADER);
    let Verdict::Keep { until } = verdict else {
        return response;
    };
    if response.status() != StatusCode::OK
        || response.headers().contains_key(header::SET_COOKIE)
        || until.is_some_and(|until| until <= now)
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    // The page is rendered whole before it is sent (it opted in from an
    // async-rendered route), so collecting it holds nothing back.
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(error = %err, uri = %key.uri, "rendering a page failed midway");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be rendered; reload it.",
            )
                .into_response();
        }
    };
    let entry = Arc::new(Entry {
        revision,
        until,
        headers: parts.headers.clone(),
        body: body.clone(),
        route: parts.extensions.get::<RouteLabel>().cloned(),
    });
    entries.insert(key, entry);
    cache.outcomes.stored.inc();
    Response::from_parts(parts, Body::from(body))
}

/// A signed-in GET of a page; the principal and the URL are the key.
fn key_of(request: &Request) -> Option<Key> {
    if request.method() != Method::GET || !crate::auth::middleware::is_page_request(request) {
        return None;
    }
    let principal = request
        .extensions()
        .get::<RequestInfo>()
        .and_then(|info| info.user.clone())?;
    let uri = request.uri().path_and_query()?.as_str().to_string();
    Some(Key { principal, uri })
}

fn strip(mut response: Response) -> Response {
    response.headers_mut().remove(HEADER);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(HEADER, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn a_page_is_kept_only_when_asked_and_never_vetoed() {
        assert_eq!(verdict(&headers(&[])), Verdict::Never);
        assert_eq!(verdict(&headers(&[KEEP])), Verdict::Keep { until: None });
        assert_eq!(
            verdict(&headers(&["keep-until=200", KEEP, "keep-until=100"])),
            Verdict::Keep { until: Some(100) }
        );
        assert_eq!(verdict(&headers(&[KEEP, NEVER])), Verdict::Never);
        assert_eq!(verdict(&headers(&["keep-until=soon"])), Verdict::Never);
    }

    #[test]
    fn an_entry_is_fresh_at_its_revision_and_before_its_time() {
        let entry = Entry {
            revision: 7,
            until: Some(1_000),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            route: None,
        };
        assert!(entry.fresh(7, 999));
        assert!(!entry.fresh(7, 1_000));
        assert!(!entry.fresh(8, 10));
    }
}
