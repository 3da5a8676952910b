//! Token lifecycle: keeping what the token endpoint answered, refreshing
//! before expiry (single-flight in the process and across processes), and
//! revoking on disconnect.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use oauth2::basic::BasicErrorResponseType;
use oauth2::{RefreshToken, RequestTokenError, StandardErrorResponse, TokenResponse as _};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::client::{self, TokenResponse};
use super::{oauth_of, OAuthService, EXPIRES_AT};
use crate::activity::Level;
use crate::catalog::OAuth2;
use crate::connections::credentials::{ACCESS_TOKEN, REFRESH_TOKEN};
use crate::connections::Credentials;
use crate::db::entities::integration;

/// Refresh this long before the access token expires.
pub const REFRESH_MARGIN: Duration = Duration::minutes(5);
/// How long a process may hold the refresh lease of an integration.
const LEASE: Duration = Duration::seconds(30);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The provider no longer accepts the stored authorization: a person must reconnect.
    #[error("Reconnect needed: {0}")]
    Revoked(String),
    /// A passing problem (network, provider down); retry later.
    #[error("{0}")]
    Transient(String),
    #[error("the integration is not connected with OAuth")]
    NotConnected,
}

pub fn apply_response(credentials: &mut Credentials, response: &TokenResponse, oauth: &OAuth2) {
    credentials.set(ACCESS_TOKEN, response.access_token().secret().clone());
    if let Some(refresh) = response.refresh_token() {
        credentials.set(REFRESH_TOKEN, refresh.secret().clone());
    }
    let now = Utc::now();
    credentials.set(ISSUED_AT, now.to_rfc3339());
    match response.expires_in() {
        Some(lifetime) => {
            let at = now + Duration::from_std(lifetime).unwrap_or_default();
            credentials.set(EXPIRES_AT, at.to_rfc3339());
        }
        None => credentials.remove(EXPIRES_AT),
    }
    for field in &oauth.token_fields {
        if let Some(value) = response.extra_fields().0.get(field) {
            let text = value
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| value.to_string());
            credentials.set(field.clone(), text);
        }
    }
}

/// When the access token was issued; kept to size the refresh margin.
const ISSUED_AT: &str = "issued_at";

fn time_of(credentials: &Credentials, key: &str) -> Option<DateTime<Utc>> {
    let text = credentials.get(key)?;
    DateTime::parse_from_rfc3339(text.expose())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub fn expires_at(credentials: &Credentials) -> Option<DateTime<Utc>> {
    time_of(credentials, EXPIRES_AT)
}

/// Whether the access token is good for a while yet: more than five minutes
/// left, or — for tokens that live shorter than ten minutes — more than half
/// their lifetime.
pub fn still_good(credentials: &Credentials, now: DateTime<Utc>) -> bool {
    let Some(expires) = expires_at(credentials) else {
        return true;
    };
    let margin = match time_of(credentials, ISSUED_AT) {
        Some(issued) => REFRESH_MARGIN.min((expires - issued) / 2),
        None => REFRESH_MARGIN,
    };
    expires - now > margin
}

type TokenRequestError = RequestTokenError<
    oauth2::HttpClientError<reqwest::Error>,
    StandardErrorResponse<BasicErrorResponseType>,
>;

/// (failure code, words) for a failed token request.
pub fn describe_token_error(err: &TokenRequestError) -> (&'static str, String) {
    match err {
        RequestTokenError::ServerResponse(response) => {
            let description = response
                .error_description()
                .cloned()
                .unwrap_or_else(|| response.error().to_string());
            (
                "provider_error",
                format!("{}: {description}", response.error()),
            )
        }
        RequestTokenError::Request(_) => (
            "token_unreachable",
            "the token endpoint did not answer (down, or unreachable from the hub)".into(),
        ),
        RequestTokenError::Parse(_, _) => (
            "provider_error",
            "the token endpoint answered something that is not a token".into(),
        ),
        RequestTokenError::Other(text) => ("provider_error", text.clone()),
    }
}

/// Mailchimp: the account's data center, from the metadata endpoint.
pub async fn fetch_metadata(
    http: &reqwest::Client,
    url: &url::Url,
    credentials: &Credentials,
) -> Result<String, String> {
    let token = credentials.get(ACCESS_TOKEN).ok_or("no access token")?;
    let response = http
        .get(url.clone())
        .header("authorization", format!("OAuth {}", token.expose()))
        .send()
        .await
        .map_err(|_| "the metadata endpoint did not answer".to_string())?;
    if !response.status().is_success() {
        return Err(format!(
            "the metadata endpoint answered HTTP {}",
            response.status().as_u16()
        ));
    }
    let body: serde_json::Value = response
        .json()
        .await
        .map_err(|_| "the metadata was not JSON".to_string())?;
    body.get("dc")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| "the metadata named no data center".to_string())
}

impl OAuthService {
    /// The credentials of an OAuth integration with an access token valid for
    /// at least the refresh margin; refreshes first when needed (or when
    /// `force`, after the provider answered 401 to the current token).
    pub async fn fresh_credentials(
        self: &Arc<Self>,
        integration_id: i64,
        force: bool,
    ) -> Result<Credentials, TokenError> {
        let lock = self.lock_for(integration_id);
        let _guard = lock.lock().await;
        let deadline = Utc::now() + Duration::seconds(45);
        let mut seen_token: Option<String> = None;
        loop {
            let row = self.load(integration_id).await?;
            let credentials = self.credentials_of(&row).ok_or(TokenError::NotConnected)?;
            let current = credentials
                .get(ACCESS_TOKEN)
                .map(|t| t.expose().to_string());
            let still_good = still_good(&credentials, Utc::now());
            // Forced: another process may have refreshed meanwhile; a different token counts as fresh.
            let replaced = force
                && seen_token
                    .as_ref()
                    .is_some_and(|seen| Some(seen) != current.as_ref());
            if (!force && still_good) || replaced {
                return Ok(credentials);
            }
            seen_token.get_or_insert_with(|| current.clone().unwrap_or_default());
            if self.take_lease(integration_id).await? {
                // The refresh runs to its end even if the caller goes away (a
                // request dropped, a sync stopping mid-fetch): a provider that
                // rotates refresh tokens has forgotten the old one once it has
                // answered, so the new one must be stored whatever happens here.
                let this = Arc::clone(self);
                let refresh = tokio::spawn(async move {
                    let result = this.refresh(&row, credentials).await;
                    this.release_lease(integration_id).await;
                    result
                });
                return refresh.await.unwrap_or_else(|err| {
                    Err(TokenError::Transient(format!(
                        "the token refresh stopped: {err}"
                    )))
                });
            }
            if Utc::now() > deadline {
                return Err(TokenError::Transient(
                    "another hub process is still refreshing the token".into(),
                ));
            }
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
    }

    async fn load(&self, integration_id: i64) -> Result<integration::Model, TokenError> {
        // The id comes from a row this process already scoped to its tenant.
        #[allow(clippy::disallowed_methods)]
        let row = integration::Entity::find_by_id(integration_id)
            .one(&self.db)
            .await
            .map_err(|e| TokenError::Transient(e.to_string()))?;
        row.ok_or(TokenError::NotConnected)
    }

    async fn take_lease(&self, integration_id: i64) -> Result<bool, TokenError> {
        let now = Utc::now();
        let result = integration::Entity::update_many()
            .col_expr(
                integration::Column::RefreshLeaseOwner,
                Expr::value(self.process_id.clone()),
            )
            .col_expr(
                integration::Column::RefreshLeaseExpiresAt,
                Expr::value(now + LEASE),
            )
            .filter(integration::Column::Id.eq(integration_id))
            .filter(
                Condition::any()
                    .add(integration::Column::RefreshLeaseExpiresAt.is_null())
                    .add(integration::Column::RefreshLeaseExpiresAt.lt(now))
                    .add(integration::Column::RefreshLeaseOwner.eq(self.process_id.clone())),
            )
            .exec(&self.db)
            .await
            .map_err(|e| TokenError::Transient(e.to_string()))?;
        Ok(result.rows_affected == 1)
    }

    async fn release_lease(&self, integration_id: i64) {
        let released = integration::Entity::update_many()
            .col_expr(
                integration::Column::RefreshLeaseOwner,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                integration::Column::RefreshLeaseExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(integration::Column::Id.eq(integration_id))
            .filter(integration::Column::RefreshLeaseOwner.eq(self.process_id.clone()))
            .exec(&self.db)
            .await;
        if let Err(err) = released {
            tracing::warn!(error = %err, integration_id, "could not release a refresh lease (it expires by itself)");
        }
    }

    async fn refresh(
        &self,
        row: &integration::Model,
        mut credentials: Credentials,
    ) -> Result<Credentials, TokenError> {
        let provider = self
            .catalog
            .provider(&row.provider)
            .ok_or(TokenError::NotConnected)?;
        let oauth = oauth_of(provider).ok_or(TokenError::NotConnected)?;
        let Some(refresh_token) = credentials.get(REFRESH_TOKEN) else {
            return self
                .mark_revoked(
                    row,
                    &provider.name,
                    format!("{} gave no refresh token; connect it again.", provider.name),
                )
                .await;
        };
        let app = self
            .app_for(row.tenant_id, &provider.key)
            .await
            .map_err(|e| TokenError::Transient(e.to_string()))?
            .ok_or_else(|| {
                TokenError::Revoked(format!(
                    "{} has no OAuth app configured any more.",
                    provider.name
                ))
            })?;
        let client =
            client::build(oauth, &app, &self.redirect_uri).map_err(TokenError::Transient)?;
        let token = RefreshToken::new(refresh_token.expose().to_string());
        let mut request = client.exchange_refresh_token(&token);
        for (name, value) in &oauth.token_params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        match request.request_async(&self.http).await {
            Ok(response) => {
                apply_response(&mut credentials, &response, oauth);
                let sealed = credentials
                    .seal(&self.keyring, crate::integrations::credentials_subject(row))
                    .map_err(|e| TokenError::Transient(e.to_string()))?;
                let mut active: integration::ActiveModel = row.clone().into();
                active.credentials = Set(Some(sealed));
                active.token_expires_at = Set(expires_at(&credentials));
                active.updated_at = Set(Utc::now());
                active
                    .update(&self.db)
                    .await
                    .map_err(|e| TokenError::Transient(e.to_string()))?;
                tracing::info!(integration_id = row.id, provider = %provider.key, "access token refreshed");
                Ok(credentials)
            }
            Err(RequestTokenError::ServerResponse(response))
                if matches!(
                    response.error(),
                    BasicErrorResponseType::InvalidGrant
                        | BasicErrorResponseType::InvalidClient
                        | BasicErrorResponseType::UnauthorizedClient
                ) =>
            {
                let why = response
                    .error_description()
                    .cloned()
                    .unwrap_or_else(|| response.error().to_string());
                self.mark_revoked(
                    row,
                    &provider.name,
                    format!(
                        "{} no longer accepts the saved authorization ({why}).",
                        provider.name
                    ),
                )
                .await
            }
            Err(err) => Err(TokenError::Transient(describe_token_error(&err).1)),
        }
    }

    /// The refresh failed for good: the integration is in error until someone reconnects.
    async fn mark_revoked(
        &self,
        row: &integration::Model,
        provider: &str,
        reason: String,
    ) -> Result<Credentials, TokenError> {
        let message = format!("Reconnect needed: {reason}");
        let mut active: integration::ActiveModel = row.clone().into();
        active.status = Set("error".into());
        active.last_error = Set(Some(message.clone()));
        active.last_error_at = Set(Some(Utc::now()));
        active.error_count = Set(row.error_count + 1);
        active.updated_at = Set(Utc::now());
        if let Err(err) = active.update(&self.db).await {
            tracing::error!(error = %err, "could not mark an integration as needing reconnection");
        }
        self.log(row, Level::Error, "integration.error", message)
            .await;
        tracing::warn!(
            integration_id = row.id,
            provider,
            "token refresh refused; reconnect needed"
        );
        Err(TokenError::Revoked(reason))
    }

    /// Revokes the stored tokens at the provider, when it supports revocation.
    /// Returns what happened, in words, for the activity log.
    pub async fn revoke(&self, row: &integration::Model) -> Option<String> {
        let provider = self.catalog.provider(&row.provider)?;
        let oauth = oauth_of(provider)?;
        oauth.revoke_url.as_ref()?;
        let credentials = self.credentials_of(row)?;
        let (refresh, access) = super::stored_tokens(&credentials);
        let (token, hint) = match (refresh, access) {
            (Some(refresh), _) => (refresh, "refresh_token"),
            (None, Some(access)) => (access, "access_token"),
            (None, None) => return None,
        };
        let app = self
            .app_for(row.tenant_id, &provider.key)
            .await
            .ok()
            .flatten()?;
        let outcome = revoke_request(&self.http, oauth, &app, token.expose(), hint).await;
        Some(match outcome {
            Ok(()) => format!("The tokens were revoked at {}.", provider.name),
            Err(err) => {
                tracing::warn!(integration_id = row.id, error = %err, "token revocation failed");
                format!(
                    "{} could not revoke the tokens ({err}); they were deleted here anyway.",
                    provider.name
                )
            }
        })
    }
}

/// RFC 7009 revocation. (The `oauth2` crate insists on HTTPS endpoints,
/// which the sandbox and self-hosted providers on a LAN do not have.)
async fn revoke_request(
    http: &reqwest::Client,
    oauth: &OAuth2,
    app: &client::OAuthApp,
    token: &str,
    hint: &str,
) -> Result<(), String> {
    let Some(url) = &oauth.revoke_url else {
        return Ok(());
    };
    let mut form = vec![
        ("token", token.to_string()),
        ("token_type_hint", hint.to_string()),
    ];
    let mut request = http.post(url.clone());
    match oauth.client_auth {
        crate::catalog::ClientAuth::BasicAuth => {
            request = request.basic_auth(&app.client_id, Some(app.client_secret.expose()));
        }
        crate::catalog::ClientAuth::RequestBody => {
            form.push(("client_id", app.client_id.clone()));
            form.push(("client_secret", app.client_secret.expose().to_string()));
        }
    }
    let response = request
        .form(&form)
        .send()
        .await
        .map_err(|_| "the revocation endpoint did not answer".to_string())?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!(
            "the revocation endpoint answered HTTP {}",
            response.status().as_u16()
        ))
    }
}
