//! What the browser learns about the provider catalog: names, looks, the
//! fields a connection needs. Endpoints and secrets stay on the server.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    Oauth2,
    ApiKey,
    Basic,
    Smtp,
    None,
}

impl AuthKind {
    pub fn label(self) -> &'static str {
        match self {
            AuthKind::Oauth2 => "OAuth",
            AuthKind::ApiKey => "API key",
            AuthKind::Basic => "Username and secret",
            AuthKind::Smtp => "SMTP server",
            AuthKind::None => "No credentials",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Available,
    ComingSoon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    #[default]
    Text,
    Password,
    Email,
    Url,
    Number,
    Select,
}

impl FieldKind {
    /// The `type` of the HTML input.
    pub fn input_type(self) -> &'static str {
        match self {
            FieldKind::Text | FieldKind::Select => "text",
            FieldKind::Password => "password",
            FieldKind::Email => "email",
            FieldKind::Url => "url",
            FieldKind::Number => "number",
        }
    }
}

/// One input of a provider's credential or configuration form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    /// Stored encrypted, never sent back to the browser.
    pub secret: bool,
    /// A regular expression the whole value must match.
    pub pattern: Option<String>,
    pub placeholder: Option<String>,
    pub help: Option<String>,
    pub options: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSummary {
    pub key: String,
    pub name: String,
    /// Whether the hub can write this resource to the provider (direction push).
    pub push: bool,
}

/// What a hub card shows of a provider: small, since the hub page carries
/// one per provider on every render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderBrief {
    pub key: String,
    pub name: String,
    pub category: String,
    pub emoji: String,
    pub gradient: (String, String),
    pub description: String,
    pub features: Vec<String>,
    pub availability: Availability,
    pub auth_kind: AuthKind,
    /// Whether the provider has records to sync (and so a Sync now button).
    pub syncs: bool,
    pub receives_webhooks: bool,
}

/// Everything the settings modal needs of a provider: the brief and its forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderSummary {
    pub brief: ProviderBrief,
    /// Credentials the person enters (API key, basic, SMTP; extra OAuth fields).
    pub credential_fields: Vec<FieldSpec>,
    /// Non-secret settings (an audience, a form).
    pub config_fields: Vec<FieldSpec>,
    pub resources: Vec<ResourceSummary>,
}

/// `summary.name` and the like read the brief.
impl std::ops::Deref for ProviderSummary {
    type Target = ProviderBrief;

    fn deref(&self) -> &ProviderBrief {
        &self.brief
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategorySummary {
    pub key: String,
    pub name: String,
    pub description: String,
}
