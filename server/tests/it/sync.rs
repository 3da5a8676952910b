//! Syncing against the sandbox: every contact provider syncs in full and
//! then finds everything unchanged; incremental runs touch only what
//! changed; 429s and 5xx are retried; a persistent failure fails the run;
//! cancelling stops at a page boundary; a crashed worker's run resumes from
//! its last page in another process; the contacts page shows the result.

// The tests read rows directly, across tenants, as an operator would.
#![allow(clippy::disallowed_methods)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::domain::auth::Role;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;
use server::db::entities::{contact, integration, integration_log, sync_run};
use server::sandbox::data::Fault;

use crate::connect::connect_any;
use crate::helpers::{
    insert_integration, spawn_app, spawn_app_with, tenant_of, Browser, Db, TestApp,
};
use crate::on_both_databases;

on_both_databases!(
    every_contact_provider_syncs_then_finds_nothing_changed,
    incremental_runs_touch_only_changed_records,
    rate_limits_and_server_errors_are_retried,
    a_persistent_failure_fails_the_run_and_the_integration,
    cancelling_stops_at_a_page_boundary,
    a_crashed_workers_run_resumes_from_its_last_page,
    a_run_stored_to_its_last_page_finishes_without_pulling_again,
    the_contacts_page_lists_synced_contacts_with_their_sources,
    a_field_mapping_change_applies_to_the_next_sync,
);

pub const CONTACT_PROVIDERS: [&str; 15] = [
    "salesforce",
    "hubspot",
    "zoho_crm",
    "pipedrive",
    "gohighlevel",
    "activecampaign",
    "mailchimp",
    "sendgrid",
    "gmail",
    "outlook",
    "typeform",
    "google_forms",
    "stripe",
    "shopify",
    "zendesk",
];

/// Starts a sync the way the Sync now button does; returns the run id.
pub async fn sync_now(browser: &Browser, id: i64) -> i64 {
    let response = browser
        .server_fn("sync/now", &[("id", &id.to_string())])
        .await;
    let status = response.status();
    let runs: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{runs}");
    runs[0]["id"].as_i64().unwrap()
}

/// Waits until the run has ended.
pub async fn finished(app: &TestApp, run_id: i64) -> sync_run::Model {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let run = sync_run::Entity::find_by_id(run_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        if server::sync::runs::is_finished(&run.status) {
            return run;
        }
        assert!(
            Instant::now() < deadline,
            "run {run_id} did not end: {run:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A run's log lines, `event message`.
pub async fn log_of(app: &TestApp, run_id: i64) -> Vec<String> {
    integration_log::Entity::find()
        .filter(integration_log::Column::SyncRunId.eq(run_id))
        .order_by_asc(integration_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| format!("{} {}", l.event, l.message))
        .collect()
}

/// Sets an integration's sync direction and mode.
pub async fn set_sync(app: &TestApp, id: i64, direction: &str, mode: &str) {
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: integration::ActiveModel = row.into();
    active.sync_direction = Set(direction.into());
    active.sync_mode = Set(mode.into());
    active.update(&app.db).await.unwrap();
}

async fn every_contact_provider_syncs_then_finds_nothing_changed(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SANDBOX_RECORDS", "120")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    for provider in CONTACT_PROVIDERS {
        let id = connect_any(&app, &admin, provider).await;
        let first = finished(&app, sync_now(&admin, id).await).await;
        assert_eq!(first.status, "completed", "{provider}: {first:?}");
        assert_eq!(first.records_processed, 120, "{provider}: {first:?}");
        assert_eq!(first.records_created, 120, "{provider}");
        assert!(first.pages_fetched >= 1, "{provider}");

        set_sync(&app, id, "pull", "full").await;
        let second = finished(&app, sync_now(&admin, id).await).await;
        assert_eq!(second.status, "completed", "{provider}: {second:?}");
        assert_eq!(second.records_unchanged, 120, "{provider}: {second:?}");
        assert_eq!(
            second.records_created + second.records_updated,
            0,
            "{provider}"
        );

        let row = integration::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "active", "{provider}");
        assert!(row.last_synced_at.is_some());
        let log = log_of(&app, first.id).await;
        assert!(log.iter().any(|l| l.starts_with("sync.started")), "{log:?}");
        assert!(
            log.iter()
                .any(|l| l.starts_with("sync.completed Synced 120 records")),
            "{log:?}"
        );
    }
    // The same people came from every provider: one contact each, by email.
    let contacts = contact::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(contacts, 120);
    let ada = contact::Entity::find()
        .filter(contact::Column::Email.eq("ada.lovelace.0@example.com"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the first person is a contact");
    assert_eq!(ada.last_name.as_deref(), Some("Lovelace"));
}

async fn incremental_runs_touch_only_changed_records(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SANDBOX_RECORDS", "300")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let sandbox = app.state.sandbox.clone().unwrap();
    for provider in ["shopify", "mailchimp", "salesforce"] {
        let id = connect_any(&app, &admin, provider).await;
        let full = finished(&app, sync_now(&admin, id).await).await;
        assert_eq!(full.records_created, 300, "{provider}");
        // Later than the full run's start, as time passes for real providers.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let changed = sandbox.change_records(provider, 3);
        let incremental = finished(&app, sync_now(&admin, id).await).await;
        assert_eq!(incremental.mode, "incremental");
        assert_eq!(
            incremental.status, "completed",
            "{provider}: {incremental:?}"
        );
        assert_eq!(
            incremental.records_processed, 3,
            "{provider}: only the changed records came"
        );
        assert_eq!(incremental.records_updated, 3, "{provider}");
        // The changed values reached the contacts (a changed record's phone
        // moves with its revision).
        for index in changed {
            let email = server::sandbox::data::person(index, 0).email;
            let now = sandbox.person_by_email(provider, &email).unwrap();
            let contact = contact::Entity::find()
                .filter(contact::Column::Email.eq(email.clone()))
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                contact.phone.as_deref(),
                now.get("phone").map(String::as_str),
                "{provider} {email}"
            );
        }
    }
}

async fn rate_limits_and_server_errors_are_retried(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SANDBOX_RECORDS", "350")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let sandbox = app.state.sandbox.clone().unwrap();
    let id = connect_any(&app, &admin, "hubspot").await;

    sandbox.inject_fault(
        "hubspot",
        Fault {
            status: 429,
            retry_after: Some(1),
            after: 1,
            times: 3,
        },
    );
    let started = Instant::now();
    let run = finished(&app, sync_now(&admin, id).await).await;
    assert_eq!(run.status, "completed", "{run:?}");
    assert_eq!(run.records_processed, 350);
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "waited as Retry-After asked"
    );
    let log = log_of(&app, run.id).await;
    let waits = log
        .iter()
        .filter(|l| l.contains("HTTP 429") && l.contains("waited 1 s as Retry-After asked"))
        .count();
    assert_eq!(waits, 3, "{log:?}");

    set_sync(&app, id, "pull", "full").await;
    sandbox.inject_fault(
        "hubspot",
        Fault {
            status: 500,
            retry_after: None,
            after: 2,
            times: 1,
        },
    );
    let run = finished(&app, sync_now(&admin, id).await).await;
    assert_eq!(run.status, "completed", "{run:?}");
    assert_eq!(run.records_unchanged, 350);
    let log = log_of(&app, run.id).await;
    assert!(log.iter().any(|l| l.contains("HTTP 500")), "{log:?}");
}

async fn a_persistent_failure_fails_the_run_and_the_integration(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SANDBOX_RECORDS", "250")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let sandbox = app.state.sandbox.clone().unwrap();
    let id = connect_any(&app, &admin, "stripe").await;
    sandbox.inject_fault(
        "stripe",
        Fault {
            status: 503,
            retry_after: None,
            after: 1,
            times: 1000,
        },
    );
    let run = finished(&app, sync_now(&admin, id).await).await;
    assert_eq!(run.status, "failed");
    assert_eq!(run.records_processed, 100, "the first page was kept");
    let error = run.error.unwrap();
    assert!(
        error.contains("Stripe had a problem (HTTP 503)")
            && error.contains("gave up after 6 tries"),
        "{error}"
    );
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "error");
    assert_eq!(row.last_error.as_deref(), Some(error.as_str()));
    assert!(log_of(&app, run.id)
        .await
        .iter()
        .any(|l| l.starts_with("sync.failed")));

    // A 4xx other than 401/429 ends at once with the provider's message.
    sandbox.clear_faults("stripe");
    sandbox.inject_fault(
        "stripe",
        Fault {
            status: 400,
            retry_after: None,
            after: 0,
            times: 1,
        },
    );
    let run = finished(&app, sync_now(&admin, id).await).await;
    assert_eq!(run.status, "failed");
    assert!(run
        .error
        .unwrap()
        .contains("Stripe refused the request (HTTP 400)"));
}

async fn cancelling_stops_at_a_page_boundary(db: Db) {
    let app = spawn_app_with(
        db,
        &[
            ("HUB_SANDBOX_RECORDS", "2000"),
            ("HUB_SANDBOX_LATENCY", "150ms"),
        ],
    )
    .await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect_any(&app, &admin, "sendgrid").await;
    let run_id = sync_now(&admin, id).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let run = sync_run::Entity::find_by_id(run_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        if run.pages_fetched >= 2 {
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let (member, _) = app.signed_in("acme", "mo@acme.test", Role::Member).await;
    let refused = member
        .server_fn("sync/cancel", &[("id", &run_id.to_string())])
        .await;
    assert_eq!(refused.status(), 403, "members cannot cancel");
    let cancelled = admin
        .server_fn("sync/cancel", &[("id", &run_id.to_string())])
        .await;
    assert_eq!(cancelled.status(), 200);
    let run = finished(&app, run_id).await;
    assert_eq!(run.status, "cancelled");
    assert!(run.pages_fetched < 20, "{run:?}");
    assert_eq!(
        run.records_processed,
        i64::from(run.pages_fetched) * 100,
        "whole pages only"
    );
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "active");
}

/// A `hub serve` process on the test app's database.
pub fn hub_process(app: &TestApp, extra: &[(&str, &str)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hub"));
    command
        .arg("serve")
        .envs(app.cli_env())
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_SITE_ROOT", crate::helpers::site_root())
        .env("HUB_SANDBOX", "1")
        .env("HUB_SANDBOX_CHANGE_EVERY", "off")
        .env_remove("HUB_PUBLIC_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in extra {
        command.env(k, v);
    }
    command.spawn().expect("hub starts")
}

async fn a_crashed_workers_run_resumes_from_its_last_page(db: Db) {
    // This process only serves; the `hub` processes below do the work.
    let app = spawn_app_with(db, &[("HUB_WORKERS", "0"), ("HUB_SANDBOX_RECORDS", "1500")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect_any(&app, &admin, "stripe").await;
    let worker_env = [
        ("HUB_SANDBOX_RECORDS", "1500"),
        ("HUB_SANDBOX_LATENCY", "200ms"),
        ("HUB_JOB_LEASE", "2s"),
        ("HUB_WORKERS", "1"),
    ];
    let mut first = hub_process(&app, &worker_env);
    let run_id = sync_now(&admin, id).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let reached = loop {
        let run = sync_run::Entity::find_by_id(run_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        if run.pages_fetched >= 3 {
            break run.pages_fetched;
        }
        assert!(
            Instant::now() < deadline,
            "the worker process did not start the run"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    first.kill().unwrap(); // SIGKILL: no chance to hand the job back
    first.wait().unwrap();
    let at_kill = sync_run::Entity::find_by_id(run_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        at_kill.pages_fetched >= reached && at_kill.pages_fetched < 15,
        "{at_kill:?}"
    );
    assert_eq!(at_kill.status, "running");

    let mut second = hub_process(&app, &worker_env);
    let run = finished(&app, run_id).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(run.status, "completed", "{run:?}");
    assert_eq!(run.records_processed, 1500, "no page twice, none lost");
    assert_eq!(run.records_created, 1500);
    assert_eq!(run.pages_fetched, 15);
    let stored = server::db::entities::integration_data::Entity::find()
        .filter(server::db::entities::integration_data::Column::IntegrationId.eq(id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 1500);
}

/// The worker stored the last page, then could not mark the run finished
/// (it died, or the database refused the write): the job runs again and
/// must finish the run with what it stored, not pull everything a second time.
async fn a_run_stored_to_its_last_page_finishes_without_pulling_again(db: Db) {
    use server::jobs::{NewJob, Queue};
    use server::sync::pager::PageRequest;
    let app = spawn_app_with(db, &[("HUB_SANDBOX_RECORDS", "120")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect_any(&app, &admin, "stripe").await;
    let done = finished(&app, sync_now(&admin, id).await).await;
    assert_eq!(done.status, "completed");
    assert_eq!(done.records_processed, 120);

    // Back to the moment after the last page's commit.
    let mut active: sync_run::ActiveModel = done.clone().into();
    active.status = Set("running".into());
    active.finished_at = Set(None);
    active.cursor = Set(Some(PageRequest::Done.to_text()));
    active.update(&app.db).await.unwrap();
    Queue::enqueue(
        &app.db,
        NewJob::now(
            Some(done.tenant_id),
            server::sync::SYNC_JOB,
            serde_json::json!({ "run_id": done.id }),
        ),
    )
    .await
    .unwrap();
    app.state.queue.wake();

    let again = finished(&app, done.id).await;
    assert_eq!(again.status, "completed", "{again:?}");
    assert_eq!(again.records_processed, 120, "no record counted twice");
    assert_eq!(again.records_created, 120);
    assert_eq!(
        again.pages_fetched, done.pages_fetched,
        "no page fetched again"
    );
}

async fn the_contacts_page_lists_synced_contacts_with_their_sources(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SANDBOX_RECORDS", "60")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    for provider in ["hubspot", "shopify"] {
        let id = connect_any(&app, &admin, provider).await;
        finished(&app, sync_now(&admin, id).await).await;
    }
    let (member, _) = app.signed_in("acme", "mo@acme.test", Role::Member).await;
    let html = member
        .get("/contacts?q=lovelace")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Ada Lovelace"), "search finds by name");
    assert!(html.contains("ada.lovelace.0@example.com"));
    assert!(
        html.contains("HubSpot") && html.contains("Shopify"),
        "both sources shown"
    );
    assert!(!html.contains("Grace Hopper"), "search narrows");
    let upper = member
        .get("/contacts?q=LOVELACE")
        .await
        .text()
        .await
        .unwrap();
    assert!(upper.contains("Ada Lovelace"), "search ignores case");
    for wildcard in ["%25", "_"] {
        let html = member
            .get(&format!("/contacts?q={wildcard}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !html.contains("Ada Lovelace"),
            "{wildcard} is a character to find, not a wildcard"
        );
    }
    let page2 = member
        .get("/contacts?sort=email&page=2")
        .await
        .text()
        .await
        .unwrap();
    assert!(page2.contains("51–60 of 60 contacts"), "paged by 50");

    let ada = contact::Entity::find()
        .filter(contact::Column::Email.eq("ada.lovelace.0@example.com"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let detail = member.get(&format!("/contacts/{}", ada.id)).await;
    assert_eq!(detail.status(), 200);
    let html = detail.text().await.unwrap();
    assert!(html.contains("Provider records"));
    assert!(
        html.contains("hs_object_id"),
        "the raw HubSpot record is shown"
    );

    let (stranger, _) = app.signed_in("globex", "gu@globex.test", Role::Admin).await;
    assert_eq!(
        stranger
            .get(&format!("/contacts/{}", ada.id))
            .await
            .status(),
        404
    );
    let theirs = stranger.get("/contacts").await.text().await.unwrap();
    assert!(
        !theirs.contains("Ada Lovelace"),
        "contacts stay in their workspace"
    );
}

async fn a_field_mapping_change_applies_to_the_next_sync(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SANDBOX_RECORDS", "20")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect_any(&app, &admin, "hubspot").await;
    finished(&app, sync_now(&admin, id).await).await;

    let view: Value = admin
        .server_fn("sync/mapping", &[("id", &id.to_string())])
        .await
        .json()
        .await
        .unwrap();
    let fields: Vec<&str> = view["provider_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"properties.company") && fields.contains(&"properties.hs_object_id"),
        "{fields:?}"
    );
    assert_eq!(
        view["preview"].as_array().unwrap().len(),
        3,
        "three records previewed"
    );

    let save = |fields: Value, who: &Browser| {
        who.client
            .post(format!("{}/api/sync/mapping-save", who.base()))
            .json(&serde_json::json!({ "id": id, "fields": fields }))
            .send()
    };
    let refused = save(serde_json::json!({ "email": "" }), &admin)
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("contacts are matched by email"));
    let (member, _) = app.signed_in("acme", "mo@acme.test", Role::Member).await;
    let forbidden = save(
        serde_json::json!({ "job_title": "properties.company" }),
        &member,
    )
    .await
    .unwrap();
    assert_eq!(forbidden.status(), 403);
    let saved = save(
        serde_json::json!({ "job_title": "properties.company" }),
        &admin,
    )
    .await
    .unwrap();
    assert_eq!(saved.status(), 200);

    let run = finished(&app, sync_now(&admin, id).await).await;
    assert_eq!(
        run.records_updated, 20,
        "every record mapped again: {run:?}"
    );
    let ada = contact::Entity::find()
        .filter(contact::Column::Email.eq("ada.lovelace.0@example.com"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ada.job_title, ada.company,
        "job title now comes from the company field"
    );
}

/// On PostgreSQL a page's lookups probe the unique index with every key
/// even when the planner's statistics predate the integration's rows (the
/// first sync of a new workspace or integration on a busy database): a plan
/// made for such values would read all of the integration's rows and filter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_lookups_probe_keys_whatever_the_statistics_say() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app(Db::Postgres).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let tenant = tenant_of(&admin).await;
    let old = insert_integration(&app, tenant, "hubspot", "active").await;
    let new = insert_integration(&app, tenant, "stripe", "active").await;
    let rows = |integration: i64| {
        format!(
            "INSERT INTO integration_data (tenant_id, integration_id, resource, external_id, \
             content_hash, data, created_at, updated_at) \
             SELECT {tenant}, {integration}, 'contacts', n::text, '', '{{}}', now(), now() \
             FROM generate_series(1, 5000) AS n"
        )
    };
    app.db.execute_unprepared(&rows(old)).await.unwrap();
    app.db
        .execute_unprepared("ANALYZE integration_data")
        .await
        .unwrap();
    // The statistics now say the new integration has no rows; it gets them.
    app.db.execute_unprepared(&rows(new)).await.unwrap();

    let txn = server::sync::store::begin_page(&app.db).await.unwrap();
    txn.execute_unprepared(
        "PREPARE lookup(bigint, text, text, text) AS \
         SELECT id, external_id, content_hash, contact_id FROM integration_data \
         WHERE integration_id = $1 AND resource = $2 AND external_id IN ($3, $4)",
    )
    .await
    .unwrap();
    let plan: Vec<String> = txn
        .query_all_raw(Statement::from_string(
            txn.get_database_backend(),
            format!("EXPLAIN EXECUTE lookup({new}, 'contacts', '17', '4242')"),
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect();
    txn.rollback().await.unwrap();
    let plan = plan.join("\n");
    assert!(
        plan.contains("Index Cond") && plan.contains("external_id") && !plan.contains("Filter"),
        "the lookup probes every key:\n{plan}"
    );
}
