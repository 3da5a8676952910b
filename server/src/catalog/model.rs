//! The shape of `providers.toml`. Unknown keys are errors, so a typo in the
//! catalog cannot silently drop a setting.

use std::collections::BTreeMap;

use app::domain::catalog::{AuthKind, Availability, FieldKind};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogFile {
    pub categories: Vec<Category>,
    pub providers: Vec<Provider>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub key: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub key: String,
    pub name: String,
    pub category: String,
    pub emoji: String,
    pub gradient: [String; 2],
    pub description: String,
    pub features: Vec<String>,
    pub availability: Availability,
    pub auth: Auth,
    #[serde(default)]
    pub api: Option<Api>,
    /// Non-secret settings of a connection (an audience id, a form id).
    #[serde(default)]
    pub config: Vec<Field>,
    #[serde(default)]
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub webhooks: Option<Webhooks>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    Oauth2(Box<OAuth2>),
    ApiKey { fields: Vec<Field> },
    Basic { fields: Vec<Field> },
    Smtp { fields: Vec<Field> },
    None,
}

impl Auth {
    pub fn kind(&self) -> AuthKind {
        match self {
            Auth::Oauth2(_) => AuthKind::Oauth2,
            Auth::ApiKey { .. } => AuthKind::ApiKey,
            Auth::Basic { .. } => AuthKind::Basic,
            Auth::Smtp { .. } => AuthKind::Smtp,
            Auth::None => AuthKind::None,
        }
    }

    /// The fields a person enters to connect (for OAuth, the extra ones besides consent).
    pub fn fields(&self) -> &[Field] {
        match self {
            Auth::Oauth2(oauth) => &oauth.fields,
            Auth::ApiKey { fields } | Auth::Basic { fields } | Auth::Smtp { fields } => fields,
            Auth::None => &[],
        }
    }
}

/// How the client id and secret travel to the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// HTTP Basic (`Authorization: Basic base64(id:secret)`), RFC 6749's default.
    #[default]
    BasicAuth,
    /// `client_id` and `client_secret` in the form body.
    RequestBody,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    pub authorize_url: url::Url,
    pub token_url: url::Url,
    #[serde(default)]
    pub revoke_url: Option<url::Url>,
    /// Mailchimp: where the account's data center (`dc`) is learnt after the exchange.
    #[serde(default)]
    pub metadata_url: Option<url::Url>,
    pub scopes: Vec<String>,
    #[serde(default = "default_scope_separator")]
    pub scope_separator: String,
    pub pkce: bool,
    #[serde(default)]
    pub authorize_params: BTreeMap<String, String>,
    #[serde(default)]
    pub token_params: BTreeMap<String, String>,
    /// Token-response fields kept with the tokens (`instance_url`, `api_domain`).
    #[serde(default)]
    pub token_fields: Vec<String>,
    #[serde(default)]
    pub client_auth: ClientAuth,
    /// Extra credentials besides the consent (Google Ads' developer token).
    #[serde(default)]
    pub fields: Vec<Field>,
}

fn default_scope_separator() -> String {
    " ".to_string()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub placeholder: Option<String>,
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// May hold placeholders, e.g. `{instance_url}/services/data/v60.0`.
    pub base_url: String,
    pub auth: ApiAuth,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub verify: Option<Verify>,
    #[serde(default)]
    pub pagination: Pagination,
    #[serde(default)]
    pub rate_limit: Option<RateLimit>,
}

/// How each API request proves who it is.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ApiAuth {
    /// `Authorization: Bearer <value>`; the OAuth access token unless `value` says otherwise.
    Bearer {
        #[serde(default)]
        value: Option<String>,
    },
    Basic {
        username: String,
        password: String,
    },
    Header {
        name: String,
        value: String,
    },
    Query {
        params: BTreeMap<String, String>,
    },
    /// AWS Signature Version 4 from `access_key_id`, `secret_access_key`, `region`.
    AwsSigv4 {
        service: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verify {
    #[serde(default = "default_method")]
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
}

fn default_method() -> String {
    "GET".to_string()
}

/// How a list continues on the next page.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(tag = "style", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pagination {
    #[default]
    None,
    /// A cursor taken from the body and sent back as a parameter.
    Cursor {
        cursor_param: String,
        cursor_path: String,
        #[serde(default)]
        limit_param: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
        /// A boolean in the body saying whether more pages exist.
        #[serde(default)]
        more_path: Option<String>,
    },
    Offset {
        offset_param: String,
        limit_param: String,
        limit: u32,
        #[serde(default)]
        total_path: Option<String>,
        #[serde(default)]
        more_path: Option<String>,
    },
    Page {
        page_param: String,
        size_param: String,
        size: u32,
        #[serde(default)]
        total_pages_header: Option<String>,
    },
    /// RFC 8288 `Link: <…>; rel="next"`.
    LinkHeader {
        #[serde(default)]
        limit_param: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    },
    /// The full URL of the next page, in the body.
    NextUrl {
        next_path: String,
        #[serde(default)]
        limit_param: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    #[serde(default)]
    pub remaining_header: Option<String>,
    #[serde(default)]
    pub reset_header: Option<String>,
    #[serde(default = "default_retry_after")]
    pub retry_after_header: String,
}

fn default_retry_after() -> String {
    "Retry-After".to_string()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    pub key: String,
    pub name: String,
    pub path: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Where the records are in the body ("" for a top-level array).
    pub records_path: String,
    pub id_field: String,
    #[serde(default)]
    pub updated_field: Option<String>,
    /// How an incremental sync asks for the records changed since the last run.
    #[serde(default)]
    pub incremental: Option<Incremental>,
    /// Contact field → path in the provider's record: the default field mapping.
    #[serde(default)]
    pub mapping: BTreeMap<String, String>,
    /// How the hub writes contacts back (direction push); `None`: it cannot.
    #[serde(default)]
    pub push: Option<Push>,
}

/// Writing contacts to a provider: the real create and update requests, the
/// body the field mapping becomes, and how to find a record by email first.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Push {
    pub create: Endpoint,
    /// The request changing record `{id}`.
    pub update: Endpoint,
    /// Where the record sits in the request body ("" is the body itself;
    /// `data.0` for Zoho, `contact` for ActiveCampaign).
    #[serde(default)]
    pub wrap: String,
    #[serde(default)]
    pub encoding: BodyEncoding,
    /// Where the answer to a create carries the new record's id; `None`
    /// when it carries none (SendGrid's upsert answers with a job id).
    #[serde(default)]
    pub id_path: Option<String>,
    /// Where the answer carries the written record, to keep as the
    /// provider's copy (so the next pull finds it unchanged).
    #[serde(default)]
    pub record_path: Option<String>,
    /// Contact field → where it is written, when not where it is read.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Contact fields the provider does not take (read-only relations).
    #[serde(default)]
    pub omit: Vec<String>,
    /// Provider field → a template of contact fields (`{first_name} {last_name}`).
    #[serde(default)]
    pub compose: BTreeMap<String, String>,
    /// Fields of the provider's last copy sent back on update (Google's `etag`).
    #[serde(default)]
    pub keep: Vec<String>,
    /// Contact fields without which the provider refuses a record: a contact
    /// lacking one is not sent (and counted as failed, with the reason).
    #[serde(default)]
    pub required: Vec<String>,
    /// Finding an existing record by email before creating one, so a person
    /// the provider already has is updated instead of duplicated or refused.
    #[serde(default)]
    pub lookup: Option<Lookup>,
}

/// One write request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Provider field → value set on every record this request sends
    /// (strings are templates of credential and config values).
    #[serde(default)]
    pub constants: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyEncoding {
    #[default]
    Json,
    /// `application/x-www-form-urlencoded` with `a[b][0]` keys (Stripe).
    Form,
}

/// A GET that finds records by `{email}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    pub path: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Where the matches are: an array, one record, or null ("" is the body).
    pub records_path: String,
    /// The id within a match, when not the resource's `id_field`.
    #[serde(default)]
    pub id_field: Option<String>,
    /// How a quote in the email is escaped inside the query language.
    #[serde(default)]
    pub quote: Quote,
}

impl Lookup {
    /// The path of the id within a match.
    pub fn id_field_in<'a>(&'a self, resource: &'a Resource) -> &'a str {
        self.id_field.as_deref().unwrap_or(&resource.id_field)
    }

    /// Where a match holds the record itself ("" when the match is the
    /// record; `person` for Google's `person.resourceName`).
    pub fn record_in_match<'a>(&'a self, resource: &'a Resource) -> &'a str {
        self.id_field_in(resource)
            .strip_suffix(resource.id_field.as_str())
            .unwrap_or("")
            .trim_end_matches('.')
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quote {
    #[default]
    None,
    /// `\'` (Salesforce SOQL).
    Backslash,
    /// `''` (OData).
    Double,
}

/// Parameters and headers (templates with `{since}`) that replace or add to
/// the resource's own for an incremental sync.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incremental {
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub since_format: SinceFormat,
}

/// How `{since}` is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinceFormat {
    /// `2026-11-22T10:00:00Z`
    #[default]
    Rfc3339,
    /// Seconds since 1970.
    Unix,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhooks {
    pub scheme: WebhookScheme,
    #[serde(default)]
    pub events: Vec<String>,
}

/// How a provider signs the events it sends (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookScheme {
    Stripe,
    Typeform,
    Meta,
    Shopify,
    Slack,
    HubspotV3,
    Twilio,
    /// `X-Webhook-Signature: <hex HMAC-SHA256 of the body>` with the endpoint's secret.
    HmacSha256,
    /// HTTP Basic credentials in the webhook URL (Pipedrive).
    BasicAuth,
    None,
}

/// The contact fields a resource may map to.
pub const CONTACT_FIELDS: &[&str] = &[
    "email",
    "first_name",
    "last_name",
    "phone",
    "company",
    "job_title",
];
