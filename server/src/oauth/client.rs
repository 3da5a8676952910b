//! The `oauth2` crate's client for one provider, with the token response
//! keeping the provider's extra fields (`instance_url`, `api_domain`, …).

use std::collections::BTreeMap;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    ExtraTokenFields, RedirectUrl, RevocationUrl, StandardRevocableToken, StandardTokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};

use crate::catalog::{ClientAuth, OAuth2};
use crate::crypto::SecretString;

/// Every field of the token response besides the standard ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExtraFields(pub BTreeMap<String, serde_json::Value>);

impl ExtraTokenFields for ExtraFields {}

pub type TokenResponse = StandardTokenResponse<ExtraFields, BasicTokenType>;

pub type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointSet,
>;

/// The OAuth app (client) the hub uses with a provider, and where it comes from.
#[derive(Debug, Clone)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: SecretString,
    pub source: AppSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppSource {
    /// Entered by an admin of the tenant.
    Tenant,
    /// `HUB_OAUTH_<PROVIDER>_CLIENT_ID` / `_SECRET`.
    Deployment,
    /// The sandbox's built-in app.
    Sandbox,
}

pub fn build(oauth: &OAuth2, app: &OAuthApp, redirect_uri: &str) -> Result<OAuthClient, String> {
    let auth_url = AuthUrl::new(oauth.authorize_url.to_string()).map_err(|e| e.to_string())?;
    let token_url = TokenUrl::new(oauth.token_url.to_string()).map_err(|e| e.to_string())?;
    let revocation = oauth
        .revoke_url
        .as_ref()
        .map(|u| RevocationUrl::new(u.to_string()))
        .transpose()
        .map_err(|e| e.to_string())?;
    let redirect = RedirectUrl::new(redirect_uri.to_string()).map_err(|e| e.to_string())?;
    Ok(oauth2::Client::new(ClientId::new(app.client_id.clone()))
        .set_client_secret(ClientSecret::new(app.client_secret.expose().to_string()))
        .set_auth_uri(auth_url)
        .set_token_uri(token_url)
        .set_revocation_url_option(revocation)
        .set_redirect_uri(redirect)
        .set_auth_type(match oauth.client_auth {
            ClientAuth::BasicAuth => AuthType::BasicAuth,
            ClientAuth::RequestBody => AuthType::RequestBody,
        }))
}

/// The HTTP client of token requests: no redirects (the crate's advice against SSRF).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(crate::connections::REQUEST_TIMEOUT)
        .user_agent(concat!("IntegrationsHub/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client configuration is valid")
}
