//! Pagination as data: where the next page of a list is, for each style the
//! catalog can declare (cursor in the body, offset, page number, `Link`
//! header, next URL in the body). The position is a [`PageRequest`], saved
//! with every committed page so that an interrupted run resumes there.

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::path;
use crate::catalog::Pagination;

/// Which page to ask for next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PageRequest {
    First,
    Cursor {
        value: String,
    },
    Offset {
        offset: u64,
    },
    Page {
        page: u32,
    },
    /// A URL the provider gave (absolute, or relative to the API's base).
    Url {
        url: String,
    },
    /// The pull is done; the push continues after contact `after`.
    Push {
        after: i64,
    },
    /// Every page is stored; only finishing the run is left. A run resumed
    /// from here ends with the counters it saved, without pulling again.
    Done,
}

impl PageRequest {
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("page requests serialise")
    }

    pub fn from_text(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// The query parameters of a page request (besides the resource's own).
pub fn query_for(pagination: &Pagination, request: &PageRequest) -> BTreeMap<String, String> {
    let mut query = BTreeMap::new();
    let mut limit = |param: &Option<String>, limit: &Option<u32>| {
        if let (Some(param), Some(limit)) = (param, limit) {
            query.insert(param.clone(), limit.to_string());
        }
    };
    match pagination {
        Pagination::None => {}
        Pagination::Cursor {
            cursor_param,
            limit_param,
            limit: size,
            ..
        } => {
            limit(limit_param, size);
            if let PageRequest::Cursor { value } = request {
                query.insert(cursor_param.clone(), value.clone());
            }
        }
        Pagination::Offset {
            offset_param,
            limit_param,
            limit: size,
            ..
        } => {
            query.insert(limit_param.clone(), size.to_string());
            let offset = match request {
                PageRequest::Offset { offset } => *offset,
                _ => 0,
            };
            query.insert(offset_param.clone(), offset.to_string());
        }
        Pagination::Page {
            page_param,
            size_param,
            size,
            ..
        } => {
            query.insert(size_param.clone(), size.to_string());
            let page = match request {
                PageRequest::Page { page } => *page,
                _ => 1,
            };
            query.insert(page_param.clone(), page.to_string());
        }
        Pagination::LinkHeader {
            limit_param,
            limit: size,
        }
        | Pagination::NextUrl {
            limit_param,
            limit: size,
            ..
        } => limit(limit_param, size),
    }
    query
}

/// Where the list continues after a page with `records` records, or `None` at the end.
pub fn next(
    pagination: &Pagination,
    request: &PageRequest,
    body: &Value,
    headers: &HeaderMap,
    records: usize,
) -> Option<PageRequest> {
    if records == 0 {
        return None;
    }
    let more = |more_path: &Option<String>| -> Option<bool> {
        more_path
            .as_ref()
            .map(|p| path::get(body, p).and_then(Value::as_bool).unwrap_or(false))
    };
    match pagination {
        Pagination::None => None,
        Pagination::Cursor {
            cursor_path,
            more_path,
            ..
        } => {
            if more(more_path) == Some(false) {
                return None;
            }
            path::get_text(body, cursor_path).map(|value| PageRequest::Cursor { value })
        }
        Pagination::Offset {
            limit,
            total_path,
            more_path,
            ..
        } => {
            let offset = match request {
                PageRequest::Offset { offset } => *offset,
                _ => 0,
            } + records as u64;
            let continues = match (more(more_path), total_path) {
                (Some(more), _) => more,
                (None, Some(total)) => path::get(body, total)
                    .and_then(Value::as_u64)
                    .is_some_and(|total| offset < total),
                (None, None) => records as u32 >= *limit,
            };
            continues.then_some(PageRequest::Offset { offset })
        }
        Pagination::Page {
            size,
            total_pages_header,
            ..
        } => {
            let page = match request {
                PageRequest::Page { page } => *page,
                _ => 1,
            };
            let continues = match total_pages_header {
                Some(name) => headers
                    .get(name.as_str())
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .is_some_and(|total| page < total),
                None => records as u32 >= *size,
            };
            continues.then_some(PageRequest::Page { page: page + 1 })
        }
        Pagination::LinkHeader { .. } => headers
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(next_link)
            .map(|url| PageRequest::Url { url }),
        Pagination::NextUrl { next_path, .. } => {
            path::get_text(body, next_path).map(|url| PageRequest::Url { url })
        }
    }
}

/// The `rel="next"` target of an RFC 8288 `Link` header value.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        });
        is_next.then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

/// A next-page URL resolved against the API's base URL. Providers give some
/// as paths that repeat the base's version path (Salesforce's
/// `/services/data/v60.0/query/01g…`): those join on the overlap.
pub fn resolve(base: &str, next: &str) -> String {
    if next.starts_with("http://") || next.starts_with("https://") {
        return next.to_string();
    }
    let Ok(base_url) = url::Url::parse(base) else {
        return next.to_string();
    };
    let origin = base_url.origin().ascii_serialization();
    let base_path = base_url.path().trim_end_matches('/');
    // The longest tail of the base path that the next path starts with.
    let mut cut = base_path.len();
    for (i, _) in base_path.match_indices('/') {
        if next.starts_with(&base_path[i..]) {
            cut = i;
            break;
        }
    }
    format!("{origin}{}{next}", &base_path[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cursor() -> Pagination {
        Pagination::Cursor {
            cursor_param: "after".into(),
            cursor_path: "paging.next.after".into(),
            limit_param: Some("limit".into()),
            limit: Some(100),
            more_path: None,
        }
    }

    #[test]
    fn cursors_come_from_the_body_until_there_is_none() {
        let body = json!({ "paging": { "next": { "after": "201" } } });
        let next_page = next(
            &cursor(),
            &PageRequest::First,
            &body,
            &HeaderMap::new(),
            100,
        );
        assert_eq!(
            next_page,
            Some(PageRequest::Cursor {
                value: "201".into()
            })
        );
        let query = query_for(&cursor(), next_page.as_ref().unwrap());
        assert_eq!(query["after"], "201");
        assert_eq!(query["limit"], "100");
        assert_eq!(
            next(
                &cursor(),
                &PageRequest::First,
                &json!({}),
                &HeaderMap::new(),
                100
            ),
            None
        );
        let stripe = Pagination::Cursor {
            cursor_param: "starting_after".into(),
            cursor_path: "data.-1.id".into(),
            limit_param: None,
            limit: None,
            more_path: Some("has_more".into()),
        };
        let body = json!({ "data": [{ "id": "cus_1" }, { "id": "cus_2" }], "has_more": true });
        assert_eq!(
            next(&stripe, &PageRequest::First, &body, &HeaderMap::new(), 2),
            Some(PageRequest::Cursor {
                value: "cus_2".into()
            })
        );
        let last = json!({ "data": [{ "id": "cus_3" }], "has_more": false });
        assert_eq!(
            next(&stripe, &PageRequest::First, &last, &HeaderMap::new(), 1),
            None
        );
    }

    #[test]
    fn offsets_stop_at_the_total() {
        let mailchimp = Pagination::Offset {
            offset_param: "offset".into(),
            limit_param: "count".into(),
            limit: 100,
            total_path: Some("total_items".into()),
            more_path: None,
        };
        let body = json!({ "total_items": 250 });
        let second = next(
            &mailchimp,
            &PageRequest::First,
            &body,
            &HeaderMap::new(),
            100,
        )
        .unwrap();
        assert_eq!(second, PageRequest::Offset { offset: 100 });
        let third = next(&mailchimp, &second, &body, &HeaderMap::new(), 100).unwrap();
        assert_eq!(next(&mailchimp, &third, &body, &HeaderMap::new(), 50), None);
        assert_eq!(query_for(&mailchimp, &third)["offset"], "200");
    }

    #[test]
    fn pages_follow_the_total_pages_header() {
        let wordpress = Pagination::Page {
            page_param: "page".into(),
            size_param: "per_page".into(),
            size: 100,
            total_pages_header: Some("X-WP-TotalPages".into()),
        };
        let mut headers = HeaderMap::new();
        headers.insert("x-wp-totalpages", "2".parse().unwrap());
        let second = next(&wordpress, &PageRequest::First, &json!([]), &headers, 100).unwrap();
        assert_eq!(second, PageRequest::Page { page: 2 });
        assert_eq!(next(&wordpress, &second, &json!([]), &headers, 100), None);
    }

    #[test]
    fn link_headers_and_next_urls() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "link",
            "<https://shop.example/admin/api/2024-10/customers.json?page_info=abc>; rel=\"next\", <https://x/prev>; rel=\"previous\""
                .parse()
                .unwrap(),
        );
        let link = Pagination::LinkHeader {
            limit_param: None,
            limit: None,
        };
        assert_eq!(
            next(&link, &PageRequest::First, &json!({}), &headers, 5),
            Some(PageRequest::Url {
                url: "https://shop.example/admin/api/2024-10/customers.json?page_info=abc".into()
            })
        );
        assert_eq!(
            resolve(
                "https://na1.salesforce.com/services/data/v60.0",
                "/services/data/v60.0/query/01gD-200"
            ),
            "https://na1.salesforce.com/services/data/v60.0/query/01gD-200"
        );
        assert_eq!(
            resolve(
                "http://127.0.0.1:3000/sandbox/salesforce/services/data/v60.0",
                "/services/data/v60.0/query/01gD-200"
            ),
            "http://127.0.0.1:3000/sandbox/salesforce/services/data/v60.0/query/01gD-200"
        );
        assert_eq!(
            resolve("https://a.test/v1", "https://b.test/x"),
            "https://b.test/x"
        );
    }
}
