//! The sandbox's OAuth 2.0 authorization server: a consent page, a token
//! endpoint enforcing PKCE (S256) with single-use, expiring codes, refresh
//! tokens, revocation, and each provider's token-response quirks.

use std::collections::HashMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use base64::Engine;
use chrono::Utc;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{escape, random_token, CodeGrant, RefreshGrant, TokenGrant};
use crate::catalog::{Auth, OAuth2, Provider};
use crate::startup::AppState;

type Params = HashMap<String, String>;

fn oauth_provider<'a>(state: &'a AppState, key: &str) -> Option<(&'a Provider, &'a OAuth2)> {
    let provider = state.catalog.provider(key)?;
    match &provider.auth {
        Auth::Oauth2(oauth) => Some((provider, oauth.as_ref())),
        _ => None,
    }
}

fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body style=\"font-family:system-ui;max-width:36rem;margin:3rem auto;padding:0 1rem\">\
         <h1>{t}</h1><p>{d}</p></body></html>",
        t = escape(title),
        d = escape(detail)
    );
    (status, Html(body)).into_response()
}

/// What an authorization request must carry; the problem in words otherwise.
fn check_request(oauth: &OAuth2, params: &Params) -> Result<(), String> {
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    if get("response_type") != "code" {
        return Err("response_type must be \"code\".".into());
    }
    if get("client_id").is_empty() {
        return Err("client_id is missing.".into());
    }
    if url::Url::parse(get("redirect_uri")).is_err() {
        return Err("redirect_uri must be an absolute URL.".into());
    }
    if get("state").is_empty() {
        return Err(
            "state is missing (the sandbox insists on it, as it protects the client).".into(),
        );
    }
    if oauth.pkce {
        if get("code_challenge").is_empty() {
            return Err("code_challenge is missing: this provider requires PKCE.".into());
        }
        if get("code_challenge_method") != "S256" {
            return Err("code_challenge_method must be S256.".into());
        }
    }
    Ok(())
}

pub async fn authorize_page(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    Query(params): Query<Params>,
) -> Response {
    let Some((provider, oauth)) = oauth_provider(&state, &provider) else {
        return error_page(
            StatusCode::NOT_FOUND,
            "Unknown provider",
            "The sandbox has no OAuth server by that name.",
        );
    };
    if let Err(problem) = check_request(oauth, &params) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid authorization request",
            &problem,
        );
    }
    let scope = params.get("scope").cloned().unwrap_or_default();
    let scopes: Vec<&str> = scope.split([' ', ',']).filter(|s| !s.is_empty()).collect();
    let hidden: String = params
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    let scope_items: String = if scopes.is_empty() {
        "<li>Basic access to your account</li>".to_string()
    } else {
        scopes
            .iter()
            .map(|s| format!("<li><code>{}</code></li>", escape(s)))
            .collect()
    };
    let body = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in with {name} (sandbox)</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f1f5f9; color: #0f172a; margin: 0; }}
main {{ max-width: 28rem; margin: 3rem auto; background: #fff; border-radius: 14px; padding: 1.75rem;
  box-shadow: 0 10px 30px rgb(15 23 42 / 12%); }}
.logo {{ width: 3rem; height: 3rem; border-radius: 12px; display: grid; place-items: center; font-size: 1.6rem;
  background: linear-gradient(135deg, {g0}, {g1}); }}
.note {{ font-size: .85rem; color: #475569; background: #fef9c3; padding: .5rem .75rem; border-radius: 8px; }}
button {{ font: inherit; font-weight: 600; padding: .6rem 1.1rem; border-radius: 8px; border: 1px solid #cbd5e1; cursor: pointer; }}
.allow {{ background: #2563eb; color: #fff; border-color: #2563eb; }}
.deny {{ background: #fff; color: #0f172a; }}
.actions {{ display: flex; gap: .5rem; justify-content: flex-end; margin-top: 1.25rem; }}
</style></head>
<body><main>
<div class="logo" aria-hidden="true">{emoji}</div>
<h1>{name} wants your permission</h1>
<p class="note">This is the Integrations Hub sandbox emulating {name}'s consent screen. No data leaves this machine.</p>
<p>The application <strong>{client}</strong> asks to:</p>
<ul>{scope_items}</ul>
<form method="post">{hidden}
<div class="actions">
<button type="submit" name="decision" value="deny" class="deny">Deny</button>
<button type="submit" name="decision" value="allow" class="allow">Allow</button>
</div></form>
</main></body></html>"#,
        name = escape(&provider.name),
        emoji = escape(&provider.emoji),
        g0 = escape(&provider.gradient[0]),
        g1 = escape(&provider.gradient[1]),
        client = escape(
            params
                .get("client_id")
                .map(String::as_str)
                .unwrap_or_default()
        ),
    );
    Html(body).into_response()
}

pub async fn decide(
    State(state): State<AppState>,
    Path(provider_key): Path<String>,
    Form(params): Form<Params>,
) -> Response {
    let Some((provider, oauth)) = oauth_provider(&state, &provider_key) else {
        return error_page(
            StatusCode::NOT_FOUND,
            "Unknown provider",
            "The sandbox has no OAuth server by that name.",
        );
    };
    if let Err(problem) = check_request(oauth, &params) {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Invalid authorization request",
            &problem,
        );
    }
    let Some(sandbox) = state.sandbox.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    let mut target = match url::Url::parse(&get("redirect_uri")) {
        Ok(url) => url,
        Err(_) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Invalid redirect",
                "redirect_uri is not a URL.",
            )
        }
    };
    if get("decision") != "allow" {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_description", "The user denied the request.")
            .append_pair("state", &get("state"));
        return Redirect::to(target.as_str()).into_response();
    }
    let code = random_token("sbx_code_");
    let expires_at =
        Utc::now() + chrono::Duration::from_std(sandbox.config.code_ttl).unwrap_or_default();
    sandbox.grants().codes.insert(
        code.clone(),
        CodeGrant {
            provider: provider.key.clone(),
            client_id: get("client_id"),
            redirect_uri: get("redirect_uri"),
            code_challenge: params
                .get("code_challenge")
                .cloned()
                .filter(|c| !c.is_empty()),
            scopes: get("scope"),
            expires_at,
            used: false,
        },
    );
    {
        let mut pairs = target.query_pairs_mut();
        pairs
            .append_pair("code", &code)
            .append_pair("state", &get("state"));
        // QuickBooks names the company in the redirect, not in the token response.
        if provider.key == "quickbooks" {
            pairs.append_pair("realmId", "9130350000000001");
        }
    }
    Redirect::to(target.as_str()).into_response()
}

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// Client credentials from HTTP Basic or the form body.
fn client_credentials(headers: &HeaderMap, form: &Params) -> Option<(String, String)> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(encoded) = value.strip_prefix("Basic ") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (id, secret) = text.split_once(':')?;
            let id = url::form_urlencoded::parse(format!("x={id}").as_bytes())
                .next()?
                .1
                .into_owned();
            let secret = url::form_urlencoded::parse(format!("x={secret}").as_bytes())
                .next()?
                .1
                .into_owned();
            return Some((id, secret));
        }
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
    ))
}

/// Extra fields a provider puts in its token response.
fn quirks(state: &AppState, provider: &str) -> Value {
    let root = format!(
        "{}/sandbox/{provider}",
        state.config.public_url.as_str().trim_end_matches('/')
    );
    match provider {
        "salesforce" => {
            json!({ "instance_url": root, "id": format!("{root}/id/00D000000000001/005000000000001"), "signature": "sandbox" })
        }
        "zoho_crm" => json!({ "api_domain": root }),
        "pipedrive" => json!({ "api_domain": root }),
        "gohighlevel" => json!({ "locationId": "loc_sandbox_0001", "userType": "Location" }),
        "slack" => json!({ "ok": true, "team": { "id": "T0SANDBOX", "name": "Sandbox" } }),
        _ => json!({}),
    }
}

pub async fn token(
    State(state): State<AppState>,
    Path(provider_key): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    let (Some((provider, _)), Some(sandbox)) = (
        oauth_provider(&state, &provider_key),
        state.sandbox.as_ref(),
    ) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let grant_type = form.get("grant_type").cloned().unwrap_or_default();
    *sandbox
        .grants()
        .calls
        .entry((provider.key.clone(), grant_type.clone()))
        .or_default() += 1;
    let Some((client_id, client_secret)) = client_credentials(&headers, &form) else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        );
    };
    if client_id.is_empty() || client_secret.is_empty() {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        );
    }
    let scopes = match grant_type.as_str() {
        "authorization_code" => {
            let code = form.get("code").cloned().unwrap_or_default();
            let mut grants = sandbox.grants();
            let Some(grant) = grants.codes.get_mut(&code) else {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The authorization code is unknown.",
                );
            };
            if grant.used {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The authorization code was already used.",
                );
            }
            grant.used = true;
            if grant.expires_at <= Utc::now() {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The authorization code expired.",
                );
            }
            if grant.provider != provider.key || grant.client_id != client_id {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The code was issued to another client.",
                );
            }
            if form.get("redirect_uri") != Some(&grant.redirect_uri) {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri does not match the authorization request.",
                );
            }
            if let Some(challenge) = &grant.code_challenge {
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(Sha256::digest(verifier.as_bytes()));
                if verifier.is_empty() || &computed != challenge {
                    return token_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "PKCE verification failed: code_verifier does not match code_challenge.",
                    );
                }
            }
            grant.scopes.clone()
        }
        "refresh_token" => {
            let token = form.get("refresh_token").cloned().unwrap_or_default();
            let grants = sandbox.grants();
            match grants.refresh.get(&token) {
                Some(grant) if grant.provider == provider.key && grant.client_id == client_id => {
                    grant.scopes.clone()
                }
                _ => {
                    return token_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "The refresh token is invalid, expired or revoked.",
                    )
                }
            }
        }
        other => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("grant_type '{other}' is not supported."),
            )
        }
    };

    // Mailchimp's tokens never expire and come without a refresh token.
    let expiring = provider.key != "mailchimp";
    let access = random_token("sbx_at_");
    let ttl = sandbox.config.access_token_ttl;
    let mut grants = sandbox.grants();
    grants.access.insert(
        access.clone(),
        TokenGrant {
            provider: provider.key.clone(),
            expires_at: expiring
                .then(|| Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default()),
        },
    );
    let mut body = json!({ "access_token": access, "token_type": "bearer", "scope": scopes });
    if expiring {
        body["expires_in"] = json!(ttl.as_secs());
        let refresh = if grant_type == "refresh_token" {
            form.get("refresh_token").cloned().unwrap_or_default()
        } else {
            let refresh = random_token("sbx_rt_");
            grants.refresh.insert(
                refresh.clone(),
                RefreshGrant {
                    provider: provider.key.clone(),
                    client_id,
                    scopes,
                },
            );
            refresh
        };
        body["refresh_token"] = json!(refresh);
    }
    if let (Some(target), Value::Object(extra)) =
        (body.as_object_mut(), quirks(&state, &provider.key))
    {
        target.extend(extra);
    }
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}

/// RFC 7009: always 200; the token (access or refresh) stops working.
pub async fn revoke(
    State(state): State<AppState>,
    Path(_provider): Path<String>,
    Form(form): Form<Params>,
) -> Response {
    let Some(sandbox) = state.sandbox.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(token) = form.get("token") {
        let mut grants = sandbox.grants();
        grants.access.remove(token);
        grants.refresh.remove(token);
        *grants
            .calls
            .entry((_provider.clone(), "revoke".into()))
            .or_default() += 1;
    }
    StatusCode::OK.into_response()
}

/// Mailchimp: `GET /oauth2/metadata` with `Authorization: OAuth <token>` names the data center.
pub async fn metadata(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(sandbox) = state.sandbox.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("OAuth ")
                .or_else(|| v.strip_prefix("Bearer "))
        })
        .unwrap_or_default();
    if !sandbox.access_is_live(&provider, token) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_token" })),
        )
            .into_response();
    }
    let root = format!(
        "{}/sandbox/{provider}",
        state.config.public_url.as_str().trim_end_matches('/')
    );
    Json(json!({
        "dc": "us1",
        "role": "owner",
        "accountname": "Sandbox Audience",
        "user_id": 1,
        "login_url": "https://login.mailchimp.com",
        "api_endpoint": root,
    }))
    .into_response()
}
