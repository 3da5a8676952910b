//! Connecting integrations in tests the way a person does: OAuth through
//! the sandbox's consent page, keys through the configuration form.

// The helpers read rows directly, as an operator would.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;

use sea_orm::EntityTrait;
use serde_json::{json, Value};
use server::db::entities::integration;

use crate::helpers::{Browser, TestApp};

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

pub fn query_of(url: &str) -> BTreeMap<String, String> {
    url::Url::parse(&format!("http://x{}", url.trim_start_matches("http://x")))
        .or_else(|_| url::Url::parse(url))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Connect → the provider's authorize URL (followed up to the consent page).
pub async fn authorize_url(browser: &Browser, provider: &str) -> (i64, String) {
    let started: Value = browser
        .server_fn("integrations/start", &[("provider", provider)])
        .await
        .json()
        .await
        .unwrap();
    let id = started["id"].as_i64().unwrap();
    let next = started["next"].as_str().unwrap().to_string();
    assert_eq!(next, format!("/api/integrations/{id}/oauth/start"));
    let start = browser.get(&next).await;
    assert_eq!(start.status(), 303, "start redirects to the provider");
    (id, location(&start))
}

/// Answers the sandbox's consent page with `decision`; returns where the provider sends the browser.
pub async fn consent(browser: &Browser, authorize: &str, decision: &str) -> String {
    let page = browser.client.get(authorize).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("wants your permission"), "{html}");
    let mut form: Vec<(String, String)> = query_of(authorize).into_iter().collect();
    form.push(("decision".into(), decision.into()));
    let answer = browser
        .client
        .post(authorize.split('?').next().unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    location(&answer)
}

/// The callback, followed back to the hub; returns the hub URL with its notice.
pub async fn callback(browser: &Browser, url: &str) -> String {
    let response = browser.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 303);
    location(&response)
}

pub async fn connect(app: &TestApp, browser: &Browser, provider: &str) -> i64 {
    let (id, authorize) = authorize_url(browser, provider).await;
    let redirect = consent(browser, &authorize, "allow").await;
    let landed = callback(browser, &redirect).await;
    assert_eq!(
        landed,
        format!("/integrations?oauth=connected&provider={provider}"),
        "{provider}"
    );
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "active", "{provider}");
    id
}

/// Connects `provider` as a person would: OAuth providers through consent,
/// the others with the sandbox's credentials (tested before saving); then
/// the provider's settings (an audience, a form) with valid values.
pub async fn connect_any(app: &TestApp, browser: &Browser, provider: &str) -> i64 {
    let settings = sandbox_settings(provider);
    let keys = server::sandbox::credentials::for_provider(provider);
    let oauth = matches!(
        app.state.catalog.provider(provider).map(|p| &p.auth),
        Some(server::catalog::Auth::Oauth2(_))
    );
    let id = if oauth {
        connect(app, browser, provider).await
    } else {
        let started: Value = browser
            .server_fn("integrations/start", &[("provider", provider)])
            .await
            .json()
            .await
            .unwrap();
        started["id"].as_i64().unwrap()
    };
    let mut values: BTreeMap<String, String> = keys.into_iter().collect();
    values.extend(settings);
    if !values.is_empty() {
        let saved = browser
            .client
            .post(format!("{}/api/integrations/configure", browser.base()))
            .json(&json!({ "id": id, "values": values, "untested": false }))
            .send()
            .await
            .unwrap();
        let status = saved.status();
        assert_eq!(status, 200, "{provider}: {}", saved.text().await.unwrap());
    }
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "active", "{provider} is connected");
    id
}

/// Valid settings for the providers that need them.
pub fn sandbox_settings(provider: &str) -> BTreeMap<String, String> {
    let pairs: &[(&str, &str)] = match provider {
        "mailchimp" => &[("list_id", "a1b2c3d4e5")],
        "typeform" => &[("form_id", "u6nXL7")],
        "google_forms" => &[("form_id", "1FAIpQLSdSandboxFormId000000001")],
        "signup_pages" => &[("title", "Join our newsletter")],
        "zapier" => &[(
            "hook_url",
            "https://hooks.zapier.com/hooks/catch/123456/abcdef/",
        )],
        _ => &[],
    };
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every available provider, connected in one workspace.
mod every_provider {
    use app::domain::auth::Role;
    use app::domain::catalog::Availability;
    use server::catalog::Auth;

    use super::connect_any;
    use crate::helpers::{spawn_app, Db};
    use crate::on_both_databases;

    on_both_databases!(every_available_provider_connects_through_the_sandbox);

    /// Every available provider connects the way its auth kind implies
    /// (SMTP needs a mail server, which the sandbox does not emulate).
    async fn every_available_provider_connects_through_the_sandbox(db: Db) {
        let app = spawn_app(db).await;
        let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
        let providers: Vec<String> = app
            .state
            .catalog
            .providers()
            .iter()
            .filter(|p| p.availability == Availability::Available)
            .filter(|p| !matches!(p.auth, Auth::Smtp { .. }))
            .map(|p| p.key.clone())
            .collect();
        assert!(providers.len() >= 35, "{providers:?}");
        for provider in providers {
            connect_any(&app, &admin, &provider).await;
        }
    }
}
