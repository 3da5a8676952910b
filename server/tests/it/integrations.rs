//! The hub page and the settings of an integration: SSR content and stats,
//! role-limited actions, configuring key-based providers against the
//! sandbox, schedules, pause/resume/disconnect, and tenant isolation.

// The tests read rows directly, across tenants, as an operator would.
#![allow(clippy::disallowed_methods)]

use app::domain::auth::Role;
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};
use server::db::entities::{integration, sync_run};

use crate::helpers::{insert_integration, spawn_app, tenant_of, Browser, Db, TestApp};
use crate::on_both_databases;

on_both_databases!(
    the_hub_renders_every_category_card_and_true_stats,
    members_see_no_admin_actions,
    a_key_provider_connects_only_with_credentials_the_provider_accepts,
    missing_required_fields_are_named_and_nothing_is_saved,
    aws_signed_requests_verify_against_the_sandbox,
    schedules_are_validated_and_previewed,
    pause_resume_and_disconnect,
    notify_me_is_for_coming_soon_providers,
    another_tenants_integration_answers_404,
);

const SENDGRID_KEY: &str = "SG.sandbox-sendgrid-key.sandbox-sendgrid-secret-0000000000001";
const WRONG_SENDGRID_KEY: &str = "SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

async fn insert_run(
    app: &TestApp,
    tenant_id: i64,
    integration_id: i64,
    status: &str,
    processed: i64,
    finished: chrono::DateTime<Utc>,
) {
    sync_run::ActiveModel {
        tenant_id: Set(tenant_id),
        integration_id: Set(integration_id),
        trigger: Set("manual".into()),
        mode: Set("full".into()),
        direction: Set("pull".into()),
        resource: Set("contacts".into()),
        status: Set(status.into()),
        records_processed: Set(processed),
        records_created: Set(processed),
        records_updated: Set(0),
        records_unchanged: Set(0),
        records_failed: Set(0),
        pages_fetched: Set(1),
        cursor: Set(None),
        error: Set(None),
        cancel_requested: Set(false),
        started_at: Set(Some(finished - Duration::seconds(10))),
        finished_at: Set(Some(finished)),
        created_at: Set(finished),
        updated_at: Set(finished),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

fn between<'a>(html: &'a str, start: &str, len: usize) -> &'a str {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} in page"));
    &html[i..(i + len).min(html.len())]
}

async fn the_hub_renders_every_category_card_and_true_stats(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let tenant = tenant_of(&admin).await;
    let hubspot = insert_integration(&app, tenant, "hubspot", "active").await;
    let stripe = insert_integration(&app, tenant, "stripe", "active").await;
    insert_integration(&app, tenant, "salesforce", "error").await;
    insert_integration(&app, tenant, "twilio", "paused").await;
    let now = Utc::now();
    insert_run(
        &app,
        tenant,
        hubspot,
        "completed",
        120,
        now - Duration::minutes(3),
    )
    .await;
    insert_run(
        &app,
        tenant,
        stripe,
        "partial",
        30,
        now - Duration::minutes(1),
    )
    .await;
    insert_run(&app, tenant, stripe, "failed", 0, now - Duration::hours(2)).await;
    insert_run(&app, tenant, stripe, "failed", 0, now - Duration::hours(50)).await;
    insert_run(
        &app,
        tenant,
        hubspot,
        "completed",
        999,
        now - Duration::days(2),
    )
    .await;

    let response = admin.get("/integrations").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let catalog = server::catalog::Catalog::builtin().unwrap();
    for category in catalog.categories() {
        assert!(
            html.contains(&format!(r#"data-testid="category-{}""#, category.key)),
            "{}",
            category.key
        );
    }
    for provider in catalog.providers() {
        assert!(
            html.contains(&format!(r#"data-testid="card-{}""#, provider.key)),
            "{}",
            provider.key
        );
    }
    let soon = between(&html, r#"data-testid="coming-soon""#, 20_000);
    for key in [
        "dynamics365",
        "discord",
        "linkedin_ads",
        "x_ads",
        "onedrive",
    ] {
        assert!(
            soon.contains(&format!(r#"data-testid="card-{key}""#)),
            "{key} is coming soon"
        );
    }
    assert!(!soon.contains(r#"data-testid="card-hubspot""#));

    let stat =
        |name: &str| between(&html, &format!(r#"data-testid="stat-{name}""#), 400).to_string();
    assert!(stat("active").contains(">2<"), "{}", stat("active"));
    assert!(stat("records").contains(">150<"), "{}", stat("records"));
    assert!(stat("failed").contains(">1<"), "{}", stat("failed"));
    assert!(
        html.contains(r#"class="stat stat-warning""#) || html.contains("stat-warning"),
        "failed syncs warn"
    );
    assert!(
        stat("last-sync").contains("1 min ago"),
        "{}",
        stat("last-sync")
    );
    assert!(
        stat("last-sync").contains("<time title=\""),
        "the exact time on hover"
    );

    // Each status has its own look; an error shows its reason on hover.
    for status in ["active", "error", "paused", "inactive"] {
        assert!(
            html.contains(&format!(r#"data-status="{status}""#)),
            "{status}"
        );
    }
    assert!(html.contains(r#"title="HubSpot answered 401: token revoked""#));
}

async fn members_see_no_admin_actions(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let (member, _) = app.signed_in("acme", "mo@acme.test", Role::Member).await;
    insert_integration(&app, tenant_of(&admin).await, "hubspot", "active").await;
    let admin_html = admin.get("/integrations").await.text().await.unwrap();
    let member_html = member.get("/integrations").await.text().await.unwrap();
    for action in [
        r#"data-testid="connect-sendgrid""#,
        ">Disconnect<",
        ">Pause<",
    ] {
        assert!(admin_html.contains(action), "admins see {action}");
        assert!(!member_html.contains(action), "members do not see {action}");
    }
    assert!(
        member_html.contains(">Settings<"),
        "members may open settings read-only"
    );
    let start = member
        .server_fn("integrations/start", &[("provider", "sendgrid")])
        .await;
    assert_eq!(start.status(), 403);
}

async fn connect(admin: &Browser, provider: &str) -> i64 {
    let started: Value = admin
        .server_fn("integrations/start", &[("provider", provider)])
        .await
        .json()
        .await
        .unwrap();
    let id = started["id"].as_i64().unwrap();
    assert_eq!(started["next"], format!("/integrations/{id}"));
    id
}

async fn configure(admin: &Browser, id: i64, values: Value, untested: bool) -> reqwest::Response {
    admin
        .client
        .post(format!("{}/api/integrations/configure", admin_base(admin)))
        .json(&json!({ "id": id, "values": values, "untested": untested }))
        .send()
        .await
        .unwrap()
}

fn admin_base(browser: &Browser) -> String {
    browser.base().to_string()
}

async fn a_key_provider_connects_only_with_credentials_the_provider_accepts(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect(&admin, "sendgrid").await;
    let detail: Value = admin
        .server_fn("integrations/get", &[("id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["status"], "pending");

    // A well-formed key the provider refuses: its words, nothing saved.
    let refused = configure(&admin, id, json!({ "api_key": WRONG_SENDGRID_KEY }), false).await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    let message = body["Validation"][0]["message"].as_str().unwrap();
    assert_eq!(body["Validation"][0]["field"], "connection");
    assert!(
        message.contains("SendGrid refused these credentials (HTTP 401)"),
        "{message}"
    );
    assert!(message.contains("authorization required"), "{message}");
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.credentials.is_none(), "nothing saved");
    assert_eq!(row.status, "pending");

    // Test connection says the same without saving.
    let test: Value = admin
        .client
        .post(format!("{}/api/integrations/test", admin.base()))
        .json(&json!({ "id": id, "values": { "api_key": SENDGRID_KEY } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(test["ok"], true, "{test}");
    assert!(test["message"]
        .as_str()
        .unwrap()
        .contains("SendGrid accepted these credentials"));

    let saved = configure(&admin, id, json!({ "api_key": SENDGRID_KEY }), false).await;
    assert_eq!(saved.status(), 200);
    let detail: Value = saved.json().await.unwrap();
    assert_eq!(detail["status"], "active");
    assert_eq!(detail["credentials"]["api_key"]["Masked"], "••••0001");
    assert!(
        !detail.to_string().contains(SENDGRID_KEY),
        "the key never goes back to the browser"
    );

    // Encrypted at rest, and bound to this integration.
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let sealed = row.credentials.clone().unwrap();
    assert!(
        !String::from_utf8_lossy(&sealed).contains("sandbox-sendgrid"),
        "no plain text in the row"
    );
    let subject = server::integrations::credentials_subject(&row);
    let opened = server::connections::Credentials::open(&app.keyring, subject, &sealed).unwrap();
    assert_eq!(opened.get("api_key").unwrap().expose(), SENDGRID_KEY);

    // Saving again with the secret left empty keeps it.
    let kept = configure(&admin, id, json!({ "api_key": "" }), false).await;
    assert_eq!(kept.status(), 200);
    let page = admin.get(&format!("/integrations/{id}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("SendGrid settings"));
    assert!(html.contains("••••0001"), "the stored key shows masked");
    assert!(!html.contains(SENDGRID_KEY));
    let activity: Value = admin
        .server_fn("integrations/get", &[("id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    let events: Vec<&str> = activity["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["event"].as_str().unwrap())
        .collect();
    assert!(events.contains(&"integration.connected"), "{events:?}");

    // Twilio: HTTP Basic with the account SID and auth token.
    let twilio = connect(&admin, "twilio").await;
    let refused = configure(&admin, twilio, json!({ "account_sid": "AC5a11dbbc5a11dbbc5a11dbbc5a11dbbc", "auth_token": "00000000000000000000000000000000" }), false).await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused.text().await.unwrap().contains("Authenticate"),
        "Twilio's own error"
    );
    let saved = configure(&admin, twilio, json!({ "account_sid": "AC5a11dbbc5a11dbbc5a11dbbc5a11dbbc", "auth_token": "5a11dbbc5a11dbbc5a11dbbc5a11dbbc" }), false).await;
    assert_eq!(saved.status(), 200);

    // Stripe: a bearer secret key; an explicit untested save is allowed and logged as such.
    let stripe = connect(&admin, "stripe").await;
    let untested = configure(
        &admin,
        stripe,
        json!({ "secret_key": "sk_live_notthesandboxkey123456" }),
        true,
    )
    .await;
    assert_eq!(untested.status(), 200);
    let detail: Value = admin
        .server_fn("integrations/get", &[("id", &stripe.to_string())])
        .await
        .json()
        .await
        .unwrap();
    assert!(detail["activity"]
        .to_string()
        .contains("saved without testing"));
}

async fn missing_required_fields_are_named_and_nothing_is_saved(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect(&admin, "zendesk").await;
    let response = configure(
        &admin,
        id,
        json!({ "subdomain": "Not A Subdomain!", "email": "" }),
        false,
    )
    .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let fields: Vec<(String, String)> = body["Validation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        fields.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        ["subdomain", "email", "api_token"]
    );
    assert!(
        fields[0]
            .1
            .contains("does not look like a Zendesk subdomain"),
        "{fields:?}"
    );
    assert_eq!(fields[1].1, "Enter the agent email.");
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.credentials.is_none());
}

async fn aws_signed_requests_verify_against_the_sandbox(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect(&admin, "amazon_ses").await;
    let wrong = configure(
        &admin,
        id,
        json!({ "access_key_id": "AKIASANDBOXEXAMPLE01", "secret_access_key": "wrongSecretAccessKeyForTheHub00000000001", "region": "eu-west-1" }),
        false,
    )
    .await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("signature we calculated does not match"));
    let right = configure(
        &admin,
        id,
        json!({ "access_key_id": "AKIASANDBOXEXAMPLE01", "secret_access_key": "sandboxSecretAccessKeyForTheHub000000001", "region": "eu-west-1" }),
        false,
    )
    .await;
    assert_eq!(right.status(), 200, "{}", right.text().await.unwrap());
}

async fn schedules_are_validated_and_previewed(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = insert_integration(&app, tenant_of(&admin).await, "hubspot", "active").await;
    let preview: Value = admin
        .server_fn(
            "integrations/schedule-preview",
            &[("schedule", "0 6 * * *")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preview.as_array().unwrap().len(), 3);
    assert!(preview[0].as_str().unwrap().contains("06:00 UTC"));
    let bad = admin
        .server_fn(
            "integrations/schedule-preview",
            &[("schedule", "every day")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("has 2"));

    let save = |schedule: &str, mode: &str| {
        admin
            .client
            .post(format!("{}/api/integrations/sync-settings", admin.base()))
            .json(&json!({ "id": id, "schedule": schedule, "mode": mode, "direction": "pull", "resources": ["contacts"] }))
            .send()
    };
    let refused = save("61 * * * *", "sometimes").await.unwrap();
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(text.contains("schedule") && text.contains("mode"), "{text}");
    let saved = save("*/30 * * * *", "full").await.unwrap();
    assert_eq!(saved.status(), 200);
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.schedule.as_deref(), Some("*/30 * * * *"));
    assert_eq!(row.sync_mode, "full");
    let next = row.next_run_at.expect("next run stored");
    assert!(next > Utc::now() && next <= Utc::now() + Duration::minutes(30));
}

async fn pause_resume_and_disconnect(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect(&admin, "sendgrid").await;
    assert_eq!(
        configure(&admin, id, json!({ "api_key": SENDGRID_KEY }), false)
            .await
            .status(),
        200
    );
    let id_text = id.to_string();

    let paused: Value = admin
        .server_fn(
            "integrations/pause",
            &[("id", &id_text), ("paused", "true")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(paused["status"], "paused");
    let resumed: Value = admin
        .server_fn(
            "integrations/pause",
            &[("id", &id_text), ("paused", "false")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(resumed["status"], "active");

    let gone: Value = admin
        .server_fn("integrations/disconnect", &[("id", &id_text)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(gone["status"], "inactive");
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.credentials.is_none(), "credentials deleted");
    let refused = admin
        .server_fn(
            "integrations/pause",
            &[("id", &id_text), ("paused", "true")],
        )
        .await;
    assert_eq!(refused.status(), 409);
    let html = admin.get("/integrations").await.text().await.unwrap();
    assert!(
        between(&html, r#"data-testid="card-sendgrid""#, 200).contains(r#"data-status="inactive""#)
    );
    let detail: Value = admin
        .server_fn("integrations/get", &[("id", &id_text)])
        .await
        .json()
        .await
        .unwrap();
    let events: Vec<&str> = detail["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        &events[..3],
        [
            "integration.disconnected",
            "integration.resumed",
            "integration.paused"
        ]
    );
}

async fn notify_me_is_for_coming_soon_providers(db: Db) {
    let app = spawn_app(db).await;
    let (member, _) = app.signed_in("acme", "mo@acme.test", Role::Member).await;
    let on = member
        .server_fn(
            "integrations/notify",
            &[("provider", "discord"), ("on", "true")],
        )
        .await;
    assert_eq!(on.status(), 200);
    let html = member.get("/integrations").await.text().await.unwrap();
    assert!(
        between(&html, r#"data-testid="card-discord""#, 2000).contains(r#"aria-pressed="true""#)
    );
    let wrong = member
        .server_fn(
            "integrations/notify",
            &[("provider", "hubspot"), ("on", "true")],
        )
        .await;
    assert_eq!(wrong.status(), 409);
    member
        .server_fn(
            "integrations/notify",
            &[("provider", "discord"), ("on", "false")],
        )
        .await;
    let html = member.get("/integrations").await.text().await.unwrap();
    assert!(
        between(&html, r#"data-testid="card-discord""#, 2000).contains(r#"aria-pressed="false""#)
    );
}

async fn another_tenants_integration_answers_404(db: Db) {
    let app = spawn_app(db).await;
    let (owner_a, _) = app.signed_in("tenant-a", "ada@a.test", Role::Owner).await;
    let (owner_b, _) = app.signed_in("tenant-b", "bob@b.test", Role::Owner).await;
    let id = connect(&owner_a, "sendgrid").await;
    assert_eq!(
        configure(&owner_a, id, json!({ "api_key": SENDGRID_KEY }), false)
            .await
            .status(),
        200
    );
    let id_text = id.to_string();
    for (endpoint, args) in [
        ("integrations/get", vec![("id", id_text.as_str())]),
        (
            "integrations/pause",
            vec![("id", id_text.as_str()), ("paused", "true")],
        ),
        ("integrations/disconnect", vec![("id", id_text.as_str())]),
    ] {
        let response = owner_b.server_fn(endpoint, &args).await;
        assert_eq!(response.status(), 404, "{endpoint}");
    }
    assert_eq!(
        configure(&owner_b, id, json!({ "api_key": SENDGRID_KEY }), false)
            .await
            .status(),
        404
    );
    assert_eq!(
        owner_b.get(&format!("/integrations/{id}")).await.status(),
        404
    );
    assert_eq!(
        owner_a.get(&format!("/integrations/{id}")).await.status(),
        200
    );
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "active", "untouched");
}
