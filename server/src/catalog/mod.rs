//! The provider catalog (SPEC §3): `providers.toml`, parsed at start-up into
//! typed structures and validated; a broken entry stops the hub naming the
//! provider and the field. Deployments override base URLs and OAuth
//! endpoints; the sandbox points them all at itself.

mod model;
mod validate;

use std::collections::BTreeMap;

pub use model::*;

use app::domain::catalog::{
    CategorySummary, FieldSpec, ProviderBrief, ProviderSummary, ResourceSummary,
};

/// The catalog shipped with the hub.
pub const PROVIDERS_TOML: &str = include_str!("providers.toml");

/// Where the problem is: provider key (or "catalog"), field path, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("provider catalog: {provider}: {field}: {problem}")]
pub struct CatalogError {
    pub provider: String,
    pub field: String,
    pub problem: String,
}

impl CatalogError {
    pub(crate) fn new(
        provider: &str,
        field: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Self {
            provider: provider.to_string(),
            field: field.into(),
            problem: problem.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Catalog {
    categories: Vec<Category>,
    providers: Vec<Provider>,
}

impl Catalog {
    /// Parses and validates a catalog file.
    pub fn parse(text: &str) -> Result<Self, CatalogError> {
        let file: CatalogFile = toml::from_str(text).map_err(|e| {
            let span = e.span().map(|s| locate(text, s.start)).unwrap_or_default();
            CatalogError::new("catalog", span, e.message().to_string())
        })?;
        let catalog = Catalog {
            categories: file.categories,
            providers: file.providers,
        };
        validate::catalog(&catalog)?;
        Ok(catalog)
    }

    /// The shipped catalog.
    pub fn builtin() -> Result<Self, CatalogError> {
        Self::parse(PROVIDERS_TOML)
    }

    /// Applies deployment overrides: `HUB_PROVIDER_<KEY>_BASE_URL`, `_AUTHORIZE_URL`,
    /// `_TOKEN_URL`, `_REVOKE_URL` (the key upper-cased, e.g. `HUB_PROVIDER_ZOHO_CRM_TOKEN_URL`).
    pub fn with_overrides(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, CatalogError> {
        for provider in &mut self.providers {
            let prefix = format!("HUB_PROVIDER_{}_", provider.key.to_ascii_uppercase());
            let get = |suffix: &str| {
                lookup(&format!("{prefix}{suffix}")).filter(|v| !v.trim().is_empty())
            };
            if let (Some(value), Some(api)) = (get("BASE_URL"), provider.api.as_mut()) {
                api.base_url = value.trim().trim_end_matches('/').to_string();
            }
            if let Auth::Oauth2(oauth) = &mut provider.auth {
                for (suffix, slot) in [
                    ("AUTHORIZE_URL", &mut oauth.authorize_url),
                    ("TOKEN_URL", &mut oauth.token_url),
                ] {
                    if let Some(value) = get(suffix) {
                        *slot = parse_url(&provider.key, &format!("{prefix}{suffix}"), &value)?;
                    }
                }
                if let Some(value) = get("REVOKE_URL") {
                    oauth.revoke_url = Some(parse_url(
                        &provider.key,
                        &format!("{prefix}REVOKE_URL"),
                        &value,
                    )?);
                }
            }
        }
        Ok(self)
    }

    /// Points every endpoint at the built-in sandbox under `{public_url}/sandbox/{key}`,
    /// keeping each base URL's path (`…/services/data/v60.0`).
    pub fn pointed_at_sandbox(mut self, public_url: &url::Url) -> Self {
        let origin = public_url.as_str().trim_end_matches('/').to_string();
        for provider in &mut self.providers {
            let root = format!("{origin}/sandbox/{}", provider.key);
            if let Some(api) = provider.api.as_mut() {
                api.base_url = format!("{root}{}", path_of_template(&api.base_url));
            }
            if let Auth::Oauth2(oauth) = &mut provider.auth {
                let url = |path: &str| {
                    url::Url::parse(&format!("{root}{path}")).expect("sandbox URLs are valid")
                };
                oauth.authorize_url = url("/oauth/authorize");
                oauth.token_url = url("/oauth/token");
                if oauth.revoke_url.is_some() {
                    oauth.revoke_url = Some(url("/oauth/revoke"));
                }
                if oauth.metadata_url.is_some() {
                    oauth.metadata_url = Some(url("/oauth/metadata"));
                }
            }
        }
        self
    }

    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    pub fn provider(&self, key: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.key == key)
    }

    /// What the browser may see.
    pub fn summaries(&self) -> (Vec<CategorySummary>, Vec<ProviderBrief>) {
        let categories = self
            .categories
            .iter()
            .map(|c| CategorySummary {
                key: c.key.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
            })
            .collect();
        let providers = self.providers.iter().map(Provider::brief).collect();
        (categories, providers)
    }
}

impl Provider {
    pub fn summary(&self) -> ProviderSummary {
        ProviderSummary {
            brief: self.brief(),
            credential_fields: self.auth.fields().iter().map(Field::spec).collect(),
            config_fields: self.config.iter().map(Field::spec).collect(),
            resources: self
                .resources
                .iter()
                .map(|r| ResourceSummary {
                    key: r.key.clone(),
                    name: r.name.clone(),
                    push: r.push.is_some(),
                })
                .collect(),
        }
    }

    /// What the hub's card of this provider shows.
    pub fn brief(&self) -> ProviderBrief {
        ProviderBrief {
            key: self.key.clone(),
            name: self.name.clone(),
            category: self.category.clone(),
            emoji: self.emoji.clone(),
            gradient: (self.gradient[0].clone(), self.gradient[1].clone()),
            description: self.description.clone(),
            features: self.features.clone(),
            availability: self.availability,
            auth_kind: self.auth.kind(),
            syncs: !self.resources.is_empty(),
            receives_webhooks: self
                .webhooks
                .as_ref()
                .is_some_and(|w| w.scheme != WebhookScheme::None),
        }
    }
}

impl Field {
    pub fn spec(&self) -> FieldSpec {
        FieldSpec {
            key: self.key.clone(),
            label: self.label.clone(),
            kind: self.kind,
            required: self.required,
            secret: self.secret,
            pattern: self.pattern.clone(),
            placeholder: self.placeholder.clone(),
            help: self.help.clone(),
            options: self.options.clone(),
        }
    }
}

fn parse_url(provider: &str, var: &str, value: &str) -> Result<url::Url, CatalogError> {
    url::Url::parse(value.trim())
        .map_err(|e| CatalogError::new(provider, var, format!("'{value}' is not a URL ({e})")))
}

/// The path part of a base URL template: what follows the scheme and host,
/// or the leading `{placeholder}` standing for them.
fn path_of_template(template: &str) -> &str {
    let rest = if let Some(after) = template.strip_prefix('{') {
        after.find('}').map(|i| &after[i + 1..]).unwrap_or("")
    } else if let Some(i) = template.find("://") {
        let after = &template[i + 3..];
        after.find('/').map(|j| &after[j..]).unwrap_or("")
    } else {
        template
    };
    rest.trim_end_matches('/')
}

/// "line 12, column 3" for a byte offset.
fn locate(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map(str::len).unwrap_or(0) + 1;
    format!("line {line}, column {column}")
}

/// Placeholders `{name}` in a template.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        found.push(&after[..end]);
        rest = &after[end + 1..];
    }
    found
}

/// Fills `{name}` placeholders from `values`; unknown names are left as they are.
pub fn fill(template: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = template.to_string();
    for name in placeholders(template) {
        if let Some(value) = values.get(name) {
            out = out.replace(&format!("{{{name}}}"), value);
        }
    }
    out
}

#[cfg(test)]
mod tests;
