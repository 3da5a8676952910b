//! One provider request the way a sync needs it: 429 and 5xx retried with
//! exponential backoff and jitter, honouring `Retry-After`; a 401 refreshes
//! an OAuth token once; any other 4xx ends with the provider's own message;
//! a rate-limit header saying nothing is left pauses before the next call.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::catalog::Provider;
use crate::connections::verify::provider_message;
use crate::connections::ProviderClient;
use crate::oauth::{OAuthService, TokenError};

/// How hard to try before giving up on a page.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries per page, the first included.
    pub attempts: u32,
    /// The first backoff; doubled each time, with jitter.
    pub base: Duration,
    /// The longest the worker waits in place; a longer `Retry-After` hands
    /// the run back to the queue to continue later.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 6,
            base: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff for try `n` (0-based) with "equal jitter": half fixed, half random.
    pub fn backoff(&self, n: u32) -> Duration {
        let full = self
            .base
            .saturating_mul(2u32.saturating_pow(n.min(16)))
            .min(self.max_wait);
        let half = full / 2;
        let jitter = rand::random_range(0..=half.as_millis().max(1) as u64);
        half + Duration::from_millis(jitter)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The provider refuses the credentials even after a refresh.
    #[error("{0}")]
    Unauthorized(String),
    /// The OAuth grant is gone: a person must reconnect.
    #[error("{0}")]
    Reconnect(String),
    /// A 4xx other than 401/404/429: retrying will not help.
    #[error("{0}")]
    Rejected(String),
    /// 404: the provider has no such record (or address).
    #[error("{0}")]
    NotFound(String),
    /// Still failing after every try.
    #[error("{0}")]
    Exhausted(String),
    /// The provider asked to wait longer than a worker waits in place.
    #[error("{message}")]
    RetryLater { message: String, after: Duration },
    /// The request could not be built (a missing value, a bad URL).
    #[error("{0}")]
    Invalid(String),
}

/// A page as the provider sent it (`Null` for an empty body, as in 204).
pub struct Page {
    pub body: Value,
    pub headers: HeaderMap,
}

/// A request body and its media type.
pub struct Body {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// The API of one integration during one run.
pub struct ApiSession<'a> {
    pub http: &'a reqwest::Client,
    pub provider: &'a Provider,
    /// Credentials, settings and tokens the catalog's templates use.
    pub values: BTreeMap<String, String>,
    /// Settings kept when the credentials are refreshed.
    pub config: BTreeMap<String, String>,
    /// For OAuth integrations: where fresh tokens come from.
    pub oauth: Option<(&'a Arc<OAuthService>, i64)>,
    pub policy: RetryPolicy,
    /// What happened on the way, for the run's log ("waited 2 s after a 429").
    pub notes: Vec<String>,
    /// A pause the last answer's rate-limit headers asked for.
    pause: Option<Duration>,
}

impl<'a> ApiSession<'a> {
    pub fn new(
        http: &'a reqwest::Client,
        provider: &'a Provider,
        values: BTreeMap<String, String>,
        config: BTreeMap<String, String>,
        oauth: Option<(&'a Arc<OAuthService>, i64)>,
        policy: RetryPolicy,
    ) -> Self {
        Self {
            http,
            provider,
            values,
            config,
            oauth,
            policy,
            notes: Vec::new(),
            pause: None,
        }
    }

    pub fn client(&self) -> Result<ProviderClient<'a>, FetchError> {
        ProviderClient::new(self.http, self.provider, self.values.clone())
            .map_err(|e| FetchError::Invalid(e.to_string()))
    }

    /// GETs `url` (with `headers` added) until it succeeds or cannot.
    pub async fn get(
        &mut self,
        url: url::Url,
        headers: &BTreeMap<String, String>,
    ) -> Result<Page, FetchError> {
        self.send(Method::GET, url, headers, None).await
    }

    /// Sends one request until it succeeds or cannot, with the retries,
    /// token refresh and rate-limit pauses described above.
    pub async fn send(
        &mut self,
        method: Method,
        url: url::Url,
        headers: &BTreeMap<String, String>,
        body: Option<&Body>,
    ) -> Result<Page, FetchError> {
        let name = self.provider.name.clone();
        let mut refreshed = false;
        let mut last_problem = String::new();
        if let Some(pause) = self.pause.take() {
            tokio::time::sleep(pause).await;
        }
        let mut tries = 0;
        while tries < self.policy.attempts {
            tries += 1;
            let client = self.client()?;
            let bytes = body.map(|b| b.bytes.as_slice()).unwrap_or_default();
            let mut request = client
                .request(method.clone(), url.clone(), bytes)
                .map_err(|e| FetchError::Invalid(e.to_string()))?;
            if let Some(body) = body {
                request = request.header(reqwest::header::CONTENT_TYPE, body.content_type);
            }
            for (header, value) in headers {
                request = request.header(header.as_str(), value.as_str());
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(err) => {
                    last_problem = if err.is_timeout() {
                        format!("{name} did not answer in time")
                    } else {
                        format!("could not reach {name}")
                    };
                    let wait = self.policy.backoff(tries - 1);
                    self.note(format!("{last_problem}; trying again in {}", words(wait)));
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            let status = response.status();
            let response_headers = response.headers().clone();
            let text = response.text().await.unwrap_or_default();
            if status.is_success() {
                self.pause = self.rate_limit_pause(&response_headers);
                if text.trim().is_empty() {
                    return Ok(Page {
                        body: Value::Null,
                        headers: response_headers,
                    });
                }
                let body = serde_json::from_str(&text).map_err(|_| {
                    FetchError::Rejected(format!("{name} answered with something that is not JSON"))
                })?;
                return Ok(Page {
                    body,
                    headers: response_headers,
                });
            }
            let said = provider_message(&text)
                .map(|m| format!(": “{}”", m.trim_end_matches('.')))
                .unwrap_or_default();
            match status {
                StatusCode::UNAUTHORIZED => {
                    if let (Some((oauth, id)), false) = (self.oauth, refreshed) {
                        refreshed = true;
                        tries -= 1;
                        self.note(format!("{name} refused the access token; refreshing it"));
                        match oauth.fresh_credentials(id, true).await {
                            Ok(credentials) => {
                                self.values = credentials.template_values(&self.config);
                                continue;
                            }
                            Err(TokenError::Revoked(why)) => {
                                return Err(FetchError::Reconnect(format!(
                                    "Reconnect needed: {why}"
                                )))
                            }
                            Err(other) => {
                                return Err(FetchError::Exhausted(format!(
                                "{name} refused the access token and refreshing it failed: {other}"
                            )))
                            }
                        }
                    }
                    return Err(FetchError::Unauthorized(format!(
                        "{name} refused the credentials (HTTP 401){said}. Check them in Configuration, or reconnect."
                    )));
                }
                s if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
                    last_problem = if s == StatusCode::TOO_MANY_REQUESTS {
                        format!("{name} is rate limiting (HTTP 429){said}")
                    } else {
                        format!("{name} had a problem (HTTP {}){said}", s.as_u16())
                    };
                    let asked = retry_after(&response_headers);
                    let wait = asked.unwrap_or_else(|| self.policy.backoff(tries - 1));
                    if wait > self.policy.max_wait {
                        return Err(FetchError::RetryLater {
                            message: format!("{last_problem}; continuing in {}", words(wait)),
                            after: wait,
                        });
                    }
                    if tries < self.policy.attempts {
                        let why = if asked.is_some() {
                            " as Retry-After asked"
                        } else {
                            ""
                        };
                        self.note(format!("{last_problem}; waited {}{why}", words(wait)));
                        tokio::time::sleep(wait).await;
                    }
                }
                StatusCode::NOT_FOUND => {
                    return Err(FetchError::NotFound(format!(
                        "{name} has no such record (HTTP 404){said}"
                    )))
                }
                s => {
                    return Err(FetchError::Rejected(format!(
                        "{name} refused the request (HTTP {}){said}",
                        s.as_u16()
                    )))
                }
            }
        }
        Err(FetchError::Exhausted(format!(
            "{last_problem}; gave up after {} tries",
            self.policy.attempts
        )))
    }

    fn note(&mut self, line: String) {
        tracing::debug!(provider = %self.provider.key, "{line}");
        self.notes.push(line);
    }

    /// When the rate-limit headers say nothing is left: how long to wait.
    fn rate_limit_pause(&self, headers: &HeaderMap) -> Option<Duration> {
        let limits = self.provider.api.as_ref()?.rate_limit.as_ref()?;
        let remaining = headers
            .get(limits.remaining_header.as_deref()?)?
            .to_str()
            .ok()?
            .trim()
            .parse::<u64>()
            .ok()?;
        if remaining > 0 {
            return None;
        }
        let reset = limits.reset_header.as_deref().and_then(|name| {
            let value = headers
                .get(name)?
                .to_str()
                .ok()?
                .trim()
                .parse::<f64>()
                .ok()?;
            let millis = name.to_ascii_lowercase().contains("millisecond");
            Some(Duration::from_secs_f64(if millis {
                value / 1000.0
            } else {
                value
            }))
        });
        Some(
            reset
                .unwrap_or(Duration::from_secs(1))
                .min(self.policy.max_wait),
        )
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return Some(Duration::from_secs_f64(seconds.max(0.0)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or_default())
}

/// "2 s", "350 ms", "3 min".
pub fn words(wait: Duration) -> String {
    if wait < Duration::from_secs(1) {
        format!("{} ms", wait.as_millis())
    } else if wait < Duration::from_secs(120) {
        format!("{} s", (wait.as_secs_f64()).round() as u64)
    } else {
        format!("{} min", wait.as_secs() / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        headers.insert("retry-after", later.parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_ceiling() {
        let policy = RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(100),
            max_wait: Duration::from_secs(1),
        };
        for n in 0..8 {
            let full = (Duration::from_millis(100) * 2u32.pow(n)).min(Duration::from_secs(1));
            let wait = policy.backoff(n);
            assert!(
                wait >= full / 2 && wait <= full + Duration::from_millis(1),
                "{n}: {wait:?}"
            );
        }
    }
}
