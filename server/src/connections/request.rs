//! Requests to a provider built from its catalog entry: the base URL and
//! path templates filled from the connection's values, its authentication
//! and extra headers applied. The sync engine and *Test connection* share it.

use std::collections::BTreeMap;

use chrono::Utc;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;

use super::{aws, credentials::ACCESS_TOKEN};
use crate::catalog::{fill, placeholders, Api, ApiAuth, Provider};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("{provider} has no API to call")]
    NoApi { provider: String },
    #[error("{what} is missing: {name}")]
    Missing { what: String, name: String },
    #[error("the address {0} is not a valid URL")]
    BadUrl(String),
    #[error("the header {0} is not valid")]
    BadHeader(String),
}

/// A provider's API with one connection's values (credentials, config, tokens).
pub struct ProviderClient<'a> {
    http: &'a reqwest::Client,
    provider: &'a Provider,
    api: &'a Api,
    values: BTreeMap<String, String>,
}

impl<'a> ProviderClient<'a> {
    pub fn new(
        http: &'a reqwest::Client,
        provider: &'a Provider,
        values: BTreeMap<String, String>,
    ) -> Result<Self, RequestError> {
        let api = provider.api.as_ref().ok_or_else(|| RequestError::NoApi {
            provider: provider.name.clone(),
        })?;
        Ok(Self {
            http,
            provider,
            api,
            values,
        })
    }

    fn fill(&self, template: &str, what: &str) -> Result<String, RequestError> {
        for name in placeholders(template) {
            if !self.values.contains_key(name) {
                return Err(RequestError::Missing {
                    what: what.to_string(),
                    name: self.label_of(name),
                });
            }
        }
        Ok(fill(template, &self.values))
    }

    /// The person-facing name of a value ("API key"), or the key itself.
    fn label_of(&self, key: &str) -> String {
        self.provider
            .auth
            .fields()
            .iter()
            .chain(self.provider.config.iter())
            .find(|f| f.key == key)
            .map(|f| f.label.clone())
            .unwrap_or_else(|| key.to_string())
    }

    /// `path` under the base URL (or an absolute URL the provider gave, e.g. a next page).
    pub fn url(
        &self,
        path: &str,
        query: &BTreeMap<String, String>,
    ) -> Result<url::Url, RequestError> {
        let text = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            let base = self.fill(&self.api.base_url, "a value of the base URL")?;
            let path = self.fill(path, "a value of the request path")?;
            format!("{}{}", base.trim_end_matches('/'), path)
        };
        let mut url = url::Url::parse(&text).map_err(|_| RequestError::BadUrl(text.clone()))?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query {
                pairs.append_pair(name, &self.fill(value, "a query value")?);
            }
        }
        Ok(url)
    }

    /// A request with the provider's authentication and headers.
    pub fn request(
        &self,
        method: Method,
        mut url: url::Url,
        body: &[u8],
    ) -> Result<reqwest::RequestBuilder, RequestError> {
        let mut headers = Vec::new();
        match &self.api.auth {
            ApiAuth::Bearer { value } => {
                let token = match value {
                    Some(template) => self.fill(template, "the credential")?,
                    None => self.values.get(ACCESS_TOKEN).cloned().ok_or_else(|| {
                        RequestError::Missing {
                            what: "the connection".into(),
                            name: "an access token (connect the integration first)".into(),
                        }
                    })?,
                };
                headers.push(("authorization".to_string(), format!("Bearer {token}")));
            }
            ApiAuth::Basic { username, password } => {
                use base64::Engine;
                let user = self.fill(username, "the credential")?;
                let pass = self.fill(password, "the credential")?;
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
                headers.push(("authorization".to_string(), format!("Basic {encoded}")));
            }
            ApiAuth::Header { name, value } => {
                headers.push((
                    self.fill(name, "the header name")?,
                    self.fill(value, "the credential")?,
                ));
            }
            ApiAuth::Query { params } => {
                let mut pairs = url.query_pairs_mut();
                for (name, value) in params {
                    pairs.append_pair(name, &self.fill(value, "the credential")?);
                }
            }
            ApiAuth::AwsSigv4 { service } => {
                let get = |key: &str| {
                    self.values
                        .get(key)
                        .cloned()
                        .ok_or_else(|| RequestError::Missing {
                            what: "the credential".into(),
                            name: self.label_of(key),
                        })
                };
                let (region, access_key_id, secret_access_key) = (
                    get("region")?,
                    get("access_key_id")?,
                    get("secret_access_key")?,
                );
                let key = aws::SigningKey {
                    service,
                    region: &region,
                    access_key_id: &access_key_id,
                    secret_access_key: &secret_access_key,
                };
                let (date, authorization) =
                    aws::sign(method.as_str(), &url, body, &key, Utc::now());
                headers.push(("x-amz-date".to_string(), date));
                headers.push(("authorization".to_string(), authorization));
            }
        }
        for (name, value) in &self.api.headers {
            headers.push((name.clone(), self.fill(value, "a header value")?));
        }
        let mut request = self
            .http
            .request(method, url)
            .header("accept", "application/json");
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| RequestError::BadHeader(name.clone()))?;
            let mut value = HeaderValue::from_str(&value)
                .map_err(|_| RequestError::BadHeader(name.to_string()))?;
            value.set_sensitive(true);
            request = request.header(name, value);
        }
        if !body.is_empty() {
            request = request.body(body.to_vec());
        }
        Ok(request)
    }

    pub fn provider(&self) -> &Provider {
        self.provider
    }
}
