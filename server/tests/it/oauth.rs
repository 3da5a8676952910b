//! Connecting with OAuth 2.0 against the sandbox: the whole flow for
//! HubSpot, Salesforce, Gmail and Mailchimp; PKCE; every failure path;
//! refreshing (single-flight, also across processes); revocation; and no
//! token in plain text anywhere in the database.

// The tests read rows directly, across tenants, as an operator would.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;

use app::domain::auth::Role;
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseBackend, EntityTrait, Set, Statement};
use serde_json::Value;
use server::connections::Credentials;
use server::db::entities::{integration, oauth_state};
use server::oauth::OAuthService;

use crate::connect::{authorize_url, callback, connect, consent, location, query_of};
use crate::helpers::{spawn_app, spawn_app_with, Db, TestApp};
use crate::on_both_databases;

on_both_databases!(
    hubspot_salesforce_gmail_and_mailchimp_connect_through_consent,
    denied_consent_leaves_the_card_unchanged,
    unknown_reused_and_expired_states_are_refused,
    a_state_from_another_session_is_refused,
    provider_errors_and_a_down_token_endpoint_end_cleanly,
    the_sandbox_enforces_pkce,
    tokens_refresh_before_expiry_once_even_when_asked_concurrently,
    a_refused_refresh_asks_for_reconnection,
    disconnect_revokes_at_the_provider,
    without_an_oauth_app_connect_explains_what_is_missing,
    a_workspace_oauth_app_is_used_and_its_secret_kept,
);

fn credentials(app: &TestApp, row: &integration::Model) -> Credentials {
    let subject = server::integrations::credentials_subject(row);
    Credentials::open(&app.keyring, subject, row.credentials.as_ref().unwrap()).unwrap()
}

async fn row(app: &TestApp, id: i64) -> integration::Model {
    integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn hubspot_salesforce_gmail_and_mailchimp_connect_through_consent(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;

    // The authorization request: PKCE S256, a state, the exact redirect URI, the scopes.
    let (_, authorize) = authorize_url(&admin, "hubspot").await;
    let params = query_of(&authorize);
    assert!(authorize.starts_with(&format!("{}/sandbox/hubspot/oauth/authorize?", app.base)));
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43);
    assert!(params["state"].len() >= 16);
    assert_eq!(
        params["redirect_uri"],
        format!("{}/api/integrations/oauth/callback", app.base)
    );
    assert_eq!(params["client_id"], "hub-sandbox-hubspot");
    assert!(params["scope"].contains("crm.objects.contacts.read"));

    let mut tokens = Vec::new();
    for provider in ["hubspot", "salesforce", "gmail", "mailchimp"] {
        let id = connect(&app, &admin, provider).await;
        let row = row(&app, id).await;
        let creds = credentials(&app, &row);
        let access = creds.get("access_token").unwrap().expose().to_string();
        assert!(access.starts_with("sbx_at_"), "{provider}");
        tokens.push(access);
        if let Some(refresh) = creds.get("refresh_token") {
            tokens.push(refresh.expose().to_string());
        }
        match provider {
            "salesforce" => {
                assert_eq!(
                    creds.get("instance_url").unwrap().expose(),
                    format!("{}/sandbox/salesforce", app.base)
                );
                assert!(row.token_expires_at.is_some());
            }
            "mailchimp" => {
                assert_eq!(
                    creds.get("dc").unwrap().expose(),
                    "us1",
                    "learnt from the metadata call"
                );
                assert!(
                    row.token_expires_at.is_none(),
                    "Mailchimp tokens do not expire"
                );
            }
            _ => assert!(row.token_expires_at.is_some()),
        }
        // Test connection calls the provider's API with the stored token.
        let test: Value = admin
            .client
            .post(format!("{}/api/integrations/test", app.base))
            .json(&serde_json::json!({ "id": id, "values": { "list_id": "a1b2c3d4e5" } }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(test["ok"], true, "{provider}: {test}");
    }

    // No token, refresh token or verifier in plain text anywhere.
    scan_for(&app, &tokens).await;
    let states = oauth_state::Entity::find().all(&app.db).await.unwrap();
    let unused = states.iter().filter(|s| s.used_at.is_none()).count();
    assert_eq!(
        unused, 1,
        "each completed authorization used its state; the inspected one is left"
    );
}

async fn scan_for(app: &TestApp, secrets: &[String]) {
    let backend = app.db.get_database_backend();
    for table in [
        "integrations",
        "oauth_states",
        "oauth_apps",
        "integration_logs",
        "sessions",
    ] {
        let sql = match backend {
            DatabaseBackend::Postgres => format!("SELECT CAST(t.* AS text) AS row FROM {table} t"),
            _ => format!("SELECT * FROM {table}"),
        };
        let rows = app
            .db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap();
        for row in rows {
            let text = format!("{row:?}");
            for secret in secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{table} holds a token in plain text"
                );
            }
        }
    }
}

async fn denied_consent_leaves_the_card_unchanged(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let (id, authorize) = authorize_url(&admin, "hubspot").await;
    let redirect = consent(&admin, &authorize, "deny").await;
    assert!(redirect.contains("error=access_denied"));
    let landed = callback(&admin, &redirect).await;
    let notice = query_of(&landed);
    assert_eq!(notice["oauth"], "denied");
    assert_eq!(notice["provider"], "hubspot");
    let row = row(&app, id).await;
    assert_eq!(row.status, "inactive");
    assert!(row.credentials.is_none());
    let html = admin.get(&landed).await.text().await.unwrap();
    assert!(
        html.contains(r#"data-testid="card-hubspot" data-status="inactive""#)
            || html.contains(r#"data-status="inactive""#)
    );
}

async fn unknown_reused_and_expired_states_are_refused(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let unknown = callback(
        &admin,
        &format!(
            "{}/api/integrations/oauth/callback?code=x&state=forged",
            app.base
        ),
    )
    .await;
    assert_eq!(query_of(&unknown)["oauth"], "state_unknown");

    let (_, authorize) = authorize_url(&admin, "hubspot").await;
    let redirect = consent(&admin, &authorize, "allow").await;
    assert!(callback(&admin, &redirect)
        .await
        .contains("oauth=connected"));
    let reused = callback(&admin, &redirect).await;
    assert_eq!(query_of(&reused)["oauth"], "state_used");

    let (id, authorize) = authorize_url(&admin, "salesforce").await;
    let redirect = consent(&admin, &authorize, "allow").await;
    for state in oauth_state::Entity::find().all(&app.db).await.unwrap() {
        if state.integration_id == id {
            let mut active: oauth_state::ActiveModel = state.into();
            active.expires_at = Set(Utc::now() - Duration::seconds(1));
            active.update(&app.db).await.unwrap();
        }
    }
    let expired = callback(&admin, &redirect).await;
    assert_eq!(query_of(&expired)["oauth"], "state_expired");
    assert_eq!(row(&app, id).await.status, "inactive", "nothing half-saved");
}

async fn a_state_from_another_session_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let (other, _) = app.signed_in("acme", "bo@acme.test", Role::Admin).await;
    let (id, authorize) = authorize_url(&admin, "hubspot").await;
    let redirect = consent(&admin, &authorize, "allow").await;
    let landed = callback(&other, &redirect).await;
    assert_eq!(query_of(&landed)["oauth"], "state_session");
    assert_eq!(row(&app, id).await.status, "inactive");
}

async fn provider_errors_and_a_down_token_endpoint_end_cleanly(db: Db) {
    let app = spawn_app_with(
        db,
        &[(
            "HUB_PROVIDER_SLACK_TOKEN_URL",
            "http://127.0.0.1:9/oauth.v2.access",
        )],
    )
    .await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    // The provider redirects back with an error of its own.
    let (id, authorize) = authorize_url(&admin, "hubspot").await;
    let state = query_of(&authorize)["state"].clone();
    let landed = callback(
        &admin,
        &format!("{}/api/integrations/oauth/callback?error=server_error&error_description=Try+later&state={state}", app.base),
    )
    .await;
    let notice = query_of(&landed);
    assert_eq!(notice["oauth"], "provider_error");
    assert_eq!(notice["detail"], "Try later");
    assert_eq!(row(&app, id).await.status, "inactive");

    // The token endpoint does not answer at all.
    let (id, authorize) = authorize_url(&admin, "slack").await;
    let redirect = consent(&admin, &authorize, "allow").await;
    let landed = callback(&admin, &redirect).await;
    assert_eq!(query_of(&landed)["oauth"], "token_unreachable");
    let row = row(&app, id).await;
    assert_eq!(row.status, "inactive");
    assert!(row.credentials.is_none(), "nothing half-saved");
}

async fn the_sandbox_enforces_pkce(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let (_, authorize) = authorize_url(&admin, "hubspot").await;
    let redirect = consent(&admin, &authorize, "allow").await;
    let code = query_of(&redirect)["code"].clone();
    let token = |verifier: &str| {
        reqwest::Client::new()
            .post(format!("{}/sandbox/hubspot/oauth/token", app.base))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                (
                    "redirect_uri",
                    &format!("{}/api/integrations/oauth/callback", app.base),
                ),
                ("client_id", "hub-sandbox-hubspot"),
                ("client_secret", "sandbox-secret-hubspot"),
                ("code_verifier", verifier),
            ])
            .send()
    };
    let wrong = token("a-verifier-that-does-not-match-the-challenge-at-all-000000")
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].as_str().unwrap().contains("PKCE"));
    // The code is spent: the real callback now fails too, cleanly.
    let landed = callback(&admin, &redirect).await;
    assert_eq!(query_of(&landed)["oauth"], "provider_error");
}

async fn tokens_refresh_before_expiry_once_even_when_asked_concurrently(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SANDBOX_TOKEN_TTL", "4s")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect(&app, &admin, "hubspot").await;
    let sandbox = app.state.sandbox.clone().unwrap();
    let before = credentials(&app, &row(&app, id).await)
        .get("access_token")
        .unwrap()
        .expose()
        .to_string();
    assert_eq!(sandbox.token_calls("hubspot", "refresh_token"), 0);

    // Within the margin (half of a 4 s lifetime): two callers, one refresh.
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let oauth = app.state.oauth.clone();
    let (a, b) = tokio::join!(
        oauth.fresh_credentials(id, false),
        oauth.fresh_credentials(id, false)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(sandbox.token_calls("hubspot", "refresh_token"), 1);
    assert_eq!(a.get("access_token"), b.get("access_token"));
    assert_ne!(a.get("access_token").unwrap().expose(), before);

    // A second process on the same database (its own lock, the shared lease).
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let config = app.state.config.as_ref().clone();
    let other = Arc::new(OAuthService::new(
        app.db.clone(),
        app.state.catalog.clone(),
        app.keyring.clone(),
        &config,
    ));
    let (a, b) = tokio::join!(
        oauth.fresh_credentials(id, false),
        other.fresh_credentials(id, false)
    );
    assert_eq!(
        a.unwrap().get("access_token"),
        b.unwrap().get("access_token")
    );
    assert_eq!(
        sandbox.token_calls("hubspot", "refresh_token"),
        2,
        "one refresh across both processes"
    );
    let row = row(&app, id).await;
    assert!(row.refresh_lease_owner.is_none(), "the lease is released");
}

async fn a_refused_refresh_asks_for_reconnection(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SANDBOX_TOKEN_TTL", "1s")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect(&app, &admin, "hubspot").await;
    // The provider forgets the grant (revoked on its side).
    let refresh = credentials(&app, &row(&app, id).await)
        .get("refresh_token")
        .unwrap()
        .expose()
        .to_string();
    reqwest::Client::new()
        .post(format!("{}/sandbox/hubspot/oauth/revoke", app.base))
        .form(&[("token", refresh.as_str())])
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let err = app
        .state
        .oauth
        .fresh_credentials(id, false)
        .await
        .unwrap_err();
    assert!(err.to_string().starts_with("Reconnect needed"), "{err}");
    let row = row(&app, id).await;
    assert_eq!(row.status, "error");
    assert!(row
        .last_error
        .unwrap()
        .starts_with("Reconnect needed: HubSpot no longer accepts"));
    // The card offers to reconnect; Connect starts a new authorization.
    let html = admin.get("/integrations").await.text().await.unwrap();
    assert!(html.contains("Reconnect needed"));
    assert!(html.contains(r#"data-testid="reconnect-hubspot""#));
}

async fn disconnect_revokes_at_the_provider(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect(&app, &admin, "salesforce").await;
    let refresh = credentials(&app, &row(&app, id).await)
        .get("refresh_token")
        .unwrap()
        .expose()
        .to_string();
    let sandbox = app.state.sandbox.clone().unwrap();
    assert!(sandbox.refresh_is_live(&refresh));
    let gone = admin
        .server_fn("integrations/disconnect", &[("id", &id.to_string())])
        .await;
    assert_eq!(gone.status(), 200);
    let detail: Value = admin
        .server_fn("integrations/get", &[("id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !sandbox.refresh_is_live(&refresh),
        "revoked at the provider: {}",
        detail["activity"][0]
    );
    assert!(detail["activity"][0]["message"]
        .as_str()
        .unwrap()
        .contains("revoked at Salesforce"));
    assert!(row(&app, id).await.credentials.is_none());
}

async fn without_an_oauth_app_connect_explains_what_is_missing(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SANDBOX", "0")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let started: Value = admin
        .server_fn("integrations/start", &[("provider", "hubspot")])
        .await
        .json()
        .await
        .unwrap();
    let start = admin.get(started["next"].as_str().unwrap()).await;
    let landed = location(&start);
    let notice = query_of(&landed);
    assert_eq!(notice["oauth"], "no_client");
    assert!(notice["detail"].contains("HUB_OAUTH_HUBSPOT_CLIENT_ID"));
    let html = admin.get(&landed).await.text().await.unwrap();
    assert!(
        html.contains("HUB_OAUTH_HUBSPOT_CLIENT_ID"),
        "the page explains it"
    );
}

async fn a_workspace_oauth_app_is_used_and_its_secret_kept(db: Db) {
    const SECRET: &str = "acme-app-secret-5a11dbbc";
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let started: Value = admin
        .server_fn("integrations/start", &[("provider", "hubspot")])
        .await
        .json()
        .await
        .unwrap();
    let id = started["id"].as_i64().unwrap().to_string();
    let form = [
        ("id", id.as_str()),
        ("client_id", "acme-hubspot-app"),
        ("client_secret", SECRET),
    ];

    let (member, _) = app.signed_in("acme", "mo@acme.test", Role::Member).await;
    assert_eq!(
        member
            .server_fn("integrations/oauth-app", &form)
            .await
            .status(),
        403
    );

    let saved = admin.server_fn("integrations/oauth-app", &form).await;
    assert_eq!(saved.status(), 200);
    let detail = saved.text().await.unwrap();
    assert!(
        !detail.contains(SECRET),
        "the secret never goes back to the browser"
    );
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["oauth"]["app_source"], "workspace");
    assert_eq!(detail["oauth"]["workspace_client_id"], "acme-hubspot-app");
    scan_for(&app, &[SECRET.to_string()]).await;

    // Connect uses the workspace's app, through to the token exchange.
    let (_, authorize) = authorize_url(&admin, "hubspot").await;
    assert_eq!(query_of(&authorize)["client_id"], "acme-hubspot-app");
    let redirect = consent(&admin, &authorize, "allow").await;
    let landed = callback(&admin, &redirect).await;
    assert_eq!(landed, "/integrations?oauth=connected&provider=hubspot");

    let removed: Value = admin
        .server_fn("integrations/oauth-app-remove", &[("id", id.as_str())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(removed["oauth"]["app_source"], "sandbox");
}
