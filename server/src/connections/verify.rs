//! *Test connection*: the provider's own verification request (or an SMTP
//! handshake), answered in words a person understands.

use std::collections::BTreeMap;

use app::domain::integrations::ConnectionTest;
use reqwest::{Method, StatusCode};

use super::request::{ProviderClient, RequestError};
use crate::catalog::{Auth, Provider};

pub async fn run(
    http: &reqwest::Client,
    provider: &Provider,
    values: BTreeMap<String, String>,
) -> ConnectionTest {
    if let Auth::Smtp { .. } = provider.auth {
        return super::smtp_check(provider, &values).await;
    }
    match request(http, provider, values).await {
        Ok(test) => test,
        Err(err) => ConnectionTest {
            ok: false,
            message: format!("Could not test {}: {err}.", provider.name),
        },
    }
}

async fn request(
    http: &reqwest::Client,
    provider: &Provider,
    values: BTreeMap<String, String>,
) -> Result<ConnectionTest, RequestError> {
    // An optional test path left empty (the custom API's): test the base URL itself.
    let optional_path_missing = |path: &str| {
        crate::catalog::placeholders(path)
            .iter()
            .any(|name| values.get(*name).is_none_or(|v| v.trim().is_empty()))
            && path.starts_with('{')
            && path.ends_with('}')
    };
    let verify_path = provider
        .api
        .as_ref()
        .and_then(|api| api.verify.as_ref())
        .map(|v| {
            if optional_path_missing(&v.path) {
                "/".to_string()
            } else {
                v.path.clone()
            }
        });
    let client = ProviderClient::new(http, provider, values)?;
    let Some(verify) = provider.api.as_ref().and_then(|api| api.verify.as_ref()) else {
        return Ok(ConnectionTest {
            ok: true,
            message: format!("{} needs no test.", provider.name),
        });
    };
    let url = client.url(
        verify_path.as_deref().unwrap_or(&verify.path),
        &verify.query,
    )?;
    let host = url.host_str().unwrap_or_default().to_string();
    let method = Method::from_bytes(verify.method.as_bytes()).unwrap_or(Method::GET);
    let response = match client.request(method, url, b"")?.send().await {
        Ok(response) => response,
        Err(err) => {
            let why = if err.is_timeout() {
                "it did not answer within 10 seconds".to_string()
            } else if err.is_connect() {
                "the connection was refused or the address does not exist".to_string()
            } else {
                "the request failed on the way".to_string()
            };
            return Ok(ConnectionTest {
                ok: false,
                message: format!(
                    "Could not reach {} at {host}: {why}. Check the address, or try again later.",
                    provider.name
                ),
            });
        }
    };
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    Ok(describe(&provider.name, status, &body))
}

/// The provider's answer in words.
pub fn describe(name: &str, status: StatusCode, body: &str) -> ConnectionTest {
    if status.is_success() {
        return ConnectionTest {
            ok: true,
            message: format!("Connected: {name} accepted these credentials."),
        };
    }
    let said = provider_message(body)
        .map(|m| format!(" {name} said: “{}”.", m.trim_end_matches('.')))
        .unwrap_or_default();
    let message = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => format!(
            "{name} refused these credentials (HTTP {}).{said} Check that the key is complete, not revoked and has the access the form describes.",
            status.as_u16()
        ),
        StatusCode::NOT_FOUND => format!(
            "{name} answered 404 Not Found.{said} Check the account, domain or ID fields."
        ),
        StatusCode::TOO_MANY_REQUESTS => format!("{name} is rate limiting requests.{said} Wait a minute and test again."),
        s if s.is_server_error() => format!("{name} is having problems (HTTP {}).{said} Try again later.", s.as_u16()),
        s => format!("{name} answered HTTP {}.{said}", s.as_u16()),
    };
    ConnectionTest { ok: false, message }
}

/// The human message in a provider's error body, in the shapes providers use.
pub fn provider_message(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let candidates = [
        value.pointer("/errors/0/message").and_then(text),
        value.pointer("/error/message").and_then(text),
        value.pointer("/error_description").and_then(text),
        value.pointer("/message").and_then(text),
        value.pointer("/detail").and_then(text),
        value.pointer("/error").and_then(text),
        value.pointer("/0/message").and_then(text),
        value.pointer("/data/0/message").and_then(text),
        value.pointer("/title").and_then(text),
    ];
    candidates
        .into_iter()
        .flatten()
        .map(|m| m.chars().take(300).collect::<String>())
        .find(|m| !m.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_errors_read_as_words() {
        let sendgrid = r#"{"errors":[{"field":null,"message":"authorization required"}]}"#;
        let test = describe("SendGrid", StatusCode::UNAUTHORIZED, sendgrid);
        assert!(!test.ok);
        assert!(test
            .message
            .contains("SendGrid refused these credentials (HTTP 401)"));
        assert!(test.message.contains("“authorization required”"));
        let twilio = r#"{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#;
        assert!(describe("Twilio", StatusCode::UNAUTHORIZED, twilio)
            .message
            .contains("“Authenticate”"));
        let mailchimp = r#"{"type":"https://mailchimp.com/developer/marketing/docs/errors/","title":"API Key Invalid","status":401,"detail":"Your API key may be invalid, or you've attempted to access the wrong datacenter."}"#;
        assert!(describe("Mailchimp", StatusCode::UNAUTHORIZED, mailchimp)
            .message
            .contains("wrong datacenter"));
        assert!(describe("X", StatusCode::OK, "").ok);
        assert!(describe("X", StatusCode::BAD_GATEWAY, "<html>")
            .message
            .contains("having problems (HTTP 502)"));
    }
}
