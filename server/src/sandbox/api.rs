//! The sandbox's provider APIs: each request must carry the provider's kind
//! of authentication with sandbox credentials (or a live sandbox access
//! token); wrong ones get the provider's own error shape.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Value};

use super::credentials;
use crate::catalog::{fill, ApiAuth, Provider};
use crate::connections::aws;
use crate::startup::AppState;

/// The API's root (`/sandbox/{provider}/`): AWS query APIs post their actions there.
pub async fn handle_root(
    state: State<AppState>,
    Path(provider_key): Path<String>,
    method: Method,
    headers: HeaderMap,
    query: Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    handle(
        state,
        Path((provider_key, String::new())),
        method,
        headers,
        query,
        body,
    )
    .await
}

pub async fn handle(
    State(state): State<AppState>,
    Path((provider_key, rest)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let (Some(provider), Some(sandbox)) = (
        state.catalog.provider(&provider_key),
        state.sandbox.as_ref(),
    ) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(api) = provider.api.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = format!("/{rest}");
    let request_url = {
        let mut url = state.config.public_url.clone();
        url.set_path(&format!("/sandbox/{provider_key}{path}"));
        let pairs: Vec<(String, String)> =
            query.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        url
    };
    let authorized = match &api.auth {
        ApiAuth::Bearer { value: None } => {
            bearer(&headers).is_some_and(|t| sandbox.access_is_live(&provider.key, t))
        }
        ApiAuth::Bearer {
            value: Some(template),
        } => {
            bearer(&headers)
                == Some(fill(template, &credentials::for_provider(&provider.key)).as_str())
        }
        ApiAuth::Basic { password, .. } => basic_password(&headers).is_some_and(|given| {
            given == fill(password, &credentials::for_provider(&provider.key))
        }),
        // An OAuth provider's own header scheme (Zoho's `Zoho-oauthtoken …`).
        ApiAuth::Header { name, value }
            if matches!(provider.auth, crate::catalog::Auth::Oauth2(_)) =>
        {
            let (before, after) = value.split_once("{access_token}").unwrap_or((value, ""));
            headers
                .get(name.as_str())
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix(before)?.strip_suffix(after))
                .is_some_and(|token| sandbox.access_is_live(&provider.key, token))
        }
        ApiAuth::Header { name, value } => {
            let expected = credentials::for_provider(&provider.key);
            let name = fill(name, &expected);
            headers.get(name.as_str()).and_then(|v| v.to_str().ok())
                == Some(fill(value, &expected).as_str())
        }
        ApiAuth::Query { params } => {
            let expected = credentials::for_provider(&provider.key);
            params
                .iter()
                .all(|(name, template)| query.get(name) == Some(&fill(template, &expected)))
        }
        ApiAuth::AwsSigv4 { service } => aws_signature_valid(
            &provider.key,
            service,
            method.as_str(),
            &request_url,
            &headers,
            &body,
        ),
    };
    if !authorized {
        return unauthorized(provider);
    }

    // The verification request of *Test connection*.
    let base_path = url::Url::parse(&api.base_url)
        .map(|u| u.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    let relative = path_after(&format!("/sandbox/{provider_key}{path}"), &base_path);
    // Writes and find-by-email lookups (direction push), before lists that share their paths.
    if let Some(response) = super::writes::serve(
        sandbox, provider, &method, &relative, &query, &headers, &body,
    ) {
        return response;
    }
    // Lists first: some providers verify with a list request (HubSpot).
    if method == Method::GET {
        let public_root = state
            .config
            .public_url
            .as_str()
            .trim_end_matches('/')
            .to_string();
        let api_path = base_path
            .strip_prefix(&format!("/sandbox/{provider_key}"))
            .unwrap_or(&base_path);
        let root = format!("{public_root}/sandbox/{provider_key}");
        if let Some(response) = super::lists::serve(
            sandbox, provider, &root, api_path, &relative, &query, &headers,
        )
        .await
        {
            return response;
        }
    }
    if let Some(verify) = &api.verify {
        if method.as_str() == verify.method && template_matches(&verify.path, &relative) {
            return Json(json!({
                "sandbox": true,
                "provider": provider.key,
                "account": { "id": "acct_sandbox", "name": "Sandbox account" },
            }))
            .into_response();
        }
    }
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "not_found", "message": format!("The {} sandbox has no {method} {relative}.", provider.name) })),
    )
        .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn basic_password(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_string())
}

/// Recomputes the SigV4 signature with the sandbox secret and compares.
fn aws_signature_valid(
    provider: &str,
    service: &str,
    method: &str,
    url: &url::Url,
    headers: &HeaderMap,
    body: &[u8],
) -> bool {
    let expected = credentials::for_provider(provider);
    let (Some(key_id), Some(secret), Some(region)) = (
        expected.get("access_key_id"),
        expected.get("secret_access_key"),
        expected.get("region"),
    ) else {
        return false;
    };
    let Some(date) = headers.get("x-amz-date").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Ok(at) = chrono::NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ") else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut signed_url = url.clone();
    let (hostname, port) = match host.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse::<u16>().ok()),
        None => (host.to_string(), None),
    };
    let _ = signed_url.set_host(Some(&hostname));
    let _ = signed_url.set_port(port);
    let key = aws::SigningKey {
        service,
        region,
        access_key_id: key_id,
        secret_access_key: secret,
    };
    let (_, authorization) = aws::sign(method, &signed_url, body, &key, at.and_utc());
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(authorization.as_str())
}

/// `full` with the leading `base` removed.
fn path_after(full: &str, base: &str) -> String {
    full.strip_prefix(base).unwrap_or(full).to_string()
}

/// Whether `path` is an instance of `template` (`{placeholder}` = one segment).
pub fn template_matches(template: &str, path: &str) -> bool {
    // A path that is one placeholder (the custom API's `{verify_path}`) matches any path.
    if template.starts_with('{') && template.ends_with('}') && template.matches('{').count() == 1 {
        return true;
    }
    let template = template.trim_end_matches('/');
    let path = path.trim_end_matches('/');
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if let (Some(start), Some(end)) = (t.find('{'), t.rfind('}')) {
                let (prefix, suffix) = (&t[..start], &t[end + 1..]);
                p.starts_with(prefix)
                    && p.ends_with(suffix)
                    && p.len() > prefix.len() + suffix.len()
            } else {
                t == p
            }
        })
}

/// The provider's own "who are you?" answer.
fn unauthorized(provider: &Provider) -> Response {
    let body: Value = match provider.key.as_str() {
        "sendgrid" => json!({ "errors": [{ "field": null, "message": "authorization required" }] }),
        "twilio" => {
            json!({ "code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401 })
        }
        "mailchimp" => json!({
            "type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": "API Key Invalid",
            "status": 401,
            "detail": "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            "instance": "00000000-0000-0000-0000-000000000000"
        }),
        "stripe" => {
            json!({ "error": { "message": "Invalid API Key provided: sk_test_****", "type": "invalid_request_error" } })
        }
        "hubspot" | "hubspot_marketing" => json!({
            "status": "error",
            "message": "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
            "category": "INVALID_AUTHENTICATION"
        }),
        "mailgun" => json!({ "message": "Invalid private key" }),
        "shopify" => {
            json!({ "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)" })
        }
        "zendesk" => json!({ "error": "Couldn't authenticate you" }),
        "activecampaign" => json!({ "message": "No Result found for Subscriber with id 0" }),
        "amazon_ses" | "amazon_sns" => {
            json!({ "message": "The request signature we calculated does not match the signature you provided." })
        }
        "vonage" => {
            json!({ "type": "https://developer.nexmo.com/api-errors#unauthorized", "title": "Invalid credentials supplied", "detail": "You did not provide correct credentials." })
        }
        "whatsapp" => {
            json!({ "error": { "message": "Invalid OAuth access token - Cannot parse access token", "type": "OAuthException", "code": 190 } })
        }
        _ => {
            json!({ "error": "invalid_token", "message": "The access token is invalid or has expired." })
        }
    };
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer realm=\"sandbox\"")],
        Json(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::template_matches;

    #[test]
    fn templates_match_one_segment_per_placeholder() {
        assert!(template_matches(
            "/domains/{domain}",
            "/domains/mg.example.com"
        ));
        assert!(template_matches(
            "/Accounts/{account_sid}.json",
            "/Accounts/AC123.json"
        ));
        assert!(!template_matches(
            "/Accounts/{account_sid}.json",
            "/Accounts/AC123"
        ));
        assert!(template_matches("/scopes", "/scopes/"));
        assert!(!template_matches("/scopes", "/scopes/x"));
    }
}
