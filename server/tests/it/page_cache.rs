//! The page cache: the hub is served again while nothing it shows changed,
//! and rendered afresh the moment something did — whoever wrote it — or a
//! time text moved; kept pages are never shared between principals, and
//! the settings modal is never kept.

// The tests write rows directly, as another process or an operator would.
#![allow(clippy::disallowed_methods)]

use app::domain::auth::Role;
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use server::db::entities::{integration, provider_interest, sync_run, tenant, user};

use crate::helpers::{insert_integration, spawn_app, tenant_of, Browser, Db, TestApp};
use crate::on_both_databases;

on_both_databases!(
    writes_to_what_the_hub_shows_raise_the_tenant_revision,
    the_hub_is_served_again_until_something_it_shows_changes,
    kept_pages_belong_to_one_principal,
    the_settings_modal_is_never_kept,
    a_kept_page_ends_when_its_time_texts_move,
);

async fn revision(app: &TestApp, tenant_id: i64) -> i64 {
    tenant::Entity::find_by_id(tenant_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .revision
}

/// `hub_page_cache_total{outcome="…"}` from `/metrics`.
async fn outcome(app: &TestApp, outcome: &str) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    let prefix = format!("hub_page_cache_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map(|n| n.trim().parse().unwrap())
        .unwrap_or(0)
}

async fn run_row(tenant_id: i64, integration_id: i64, status: &str) -> sync_run::ActiveModel {
    let now = Utc::now();
    sync_run::ActiveModel {
        tenant_id: Set(tenant_id),
        integration_id: Set(integration_id),
        trigger: Set("manual".into()),
        mode: Set("full".into()),
        direction: Set("pull".into()),
        resource: Set("contacts".into()),
        status: Set(status.into()),
        records_processed: Set(7),
        records_created: Set(7),
        records_updated: Set(0),
        records_unchanged: Set(0),
        records_failed: Set(0),
        pages_fetched: Set(1),
        cursor: Set(None),
        error: Set(None),
        cancel_requested: Set(false),
        started_at: Set(Some(now - Duration::seconds(5))),
        finished_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

fn stat<'a>(html: &'a str, name: &str) -> &'a str {
    let start = html
        .find(&format!(r#"data-testid="stat-{name}""#))
        .unwrap_or_else(|| panic!("stat {name} on the page"));
    &html[start..(start + 400).min(html.len())]
}

async fn hub(browser: &Browser) -> String {
    let response = browser.get("/integrations").await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get(app::api::page_cache::HEADER)
            .is_none(),
        "the internal header never leaves the hub"
    );
    response.text().await.unwrap()
}

async fn writes_to_what_the_hub_shows_raise_the_tenant_revision(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let (other, _) = app
        .signed_in("globex", "gus@globex.test", Role::Admin)
        .await;
    let tenant = tenant_of(&admin).await;
    let other_tenant = tenant_of(&other).await;
    assert_eq!(
        migration::REVISION_TABLES,
        ["integrations", "sync_runs", "provider_interests"]
    );

    let mut last = revision(&app, tenant).await;
    let others = revision(&app, other_tenant).await;
    let mut raised = |now: i64, what: &str| {
        assert!(now > last, "{what} raised the revision ({last} → {now})");
        last = now;
    };

    // integrations: insert, update, delete.
    let id = insert_integration(&app, tenant, "hubspot", "active").await;
    raised(revision(&app, tenant).await, "an integration inserted");
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: integration::ActiveModel = row.into();
    active.status = Set("paused".into());
    active.update(&app.db).await.unwrap();
    raised(revision(&app, tenant).await, "an integration updated");

    // sync_runs: insert, update.
    let run = run_row(tenant, id, "running")
        .await
        .insert(&app.db)
        .await
        .unwrap();
    raised(revision(&app, tenant).await, "a run inserted");
    let mut active: sync_run::ActiveModel = run.into();
    active.status = Set("completed".into());
    active.update(&app.db).await.unwrap();
    raised(revision(&app, tenant).await, "a run updated");

    // provider_interests: insert, delete.
    let interest = provider_interest::ActiveModel {
        tenant_id: Set(tenant),
        provider: Set("discord".into()),
        user_id: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    raised(revision(&app, tenant).await, "an interest inserted");
    provider_interest::Entity::delete_by_id(interest.id)
        .exec(&app.db)
        .await
        .unwrap();
    raised(revision(&app, tenant).await, "an interest deleted");

    // Deleting the integration deletes its runs too (cascade); all of it counts.
    integration::Entity::delete_by_id(id)
        .exec(&app.db)
        .await
        .unwrap();
    raised(revision(&app, tenant).await, "an integration deleted");

    assert_eq!(
        revision(&app, other_tenant).await,
        others,
        "another tenant's revision did not move"
    );

    // A tenant with rows in the watched tables can still be deleted: its
    // integrations and runs go by cascade, raising a revision being deleted.
    let id = insert_integration(&app, other_tenant, "stripe", "active").await;
    run_row(other_tenant, id, "completed")
        .await
        .insert(&app.db)
        .await
        .unwrap();
    let deleted = app
        .db
        .execute_unprepared(&format!("DELETE FROM tenants WHERE id = {other_tenant}"))
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 1);
}

async fn the_hub_is_served_again_until_something_it_shows_changes(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let tenant = tenant_of(&admin).await;
    let hubspot = insert_integration(&app, tenant, "hubspot", "active").await;

    let first = hub(&admin).await;
    assert_eq!(outcome(&app, "stored").await, 1);
    let again = hub(&admin).await;
    assert_eq!(
        outcome(&app, "hit").await,
        1,
        "the second request is served kept"
    );
    assert_eq!(first, again, "the kept page is the rendered page");
    assert!(stat(&first, "active").contains(">1<"));

    // Another writer (here the test's own connection) pauses HubSpot.
    let row = integration::Entity::find_by_id(hubspot)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: integration::ActiveModel = row.into();
    active.status = Set("paused".into());
    active.update(&app.db).await.unwrap();
    let html = hub(&admin).await;
    assert_eq!(outcome(&app, "stale").await, 1);
    assert!(
        stat(&html, "active").contains(">0<"),
        "{}",
        stat(&html, "active")
    );
    assert!(html.contains(r#"data-status="paused""#));

    // A failed run shows in the stats at once.
    run_row(tenant, hubspot, "failed")
        .await
        .insert(&app.db)
        .await
        .unwrap();
    let html = hub(&admin).await;
    assert!(
        stat(&html, "failed").contains(">1<"),
        "{}",
        stat(&html, "failed")
    );

    // So does "Notify me", set through the hub's own server function.
    let on = admin
        .server_fn(
            "integrations/notify",
            &[("provider", "discord"), ("on", "true")],
        )
        .await;
    assert_eq!(on.status(), 200);
    let html = hub(&admin).await;
    let card = html.find(r#"data-testid="card-discord""#).unwrap();
    assert!(html[card..card + 2000].contains(r#"aria-pressed="true""#));

    // Unchanged again: served kept.
    let hits = outcome(&app, "hit").await;
    assert_eq!(hub(&admin).await, html);
    assert_eq!(outcome(&app, "hit").await, hits + 1);
}

async fn kept_pages_belong_to_one_principal(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let (member, member_id) = app.signed_in("acme", "mo@acme.test", Role::Member).await;
    let tenant = tenant_of(&admin).await;
    insert_integration(&app, tenant, "hubspot", "active").await;

    let admin_html = hub(&admin).await;
    hub(&admin).await;
    let member_html = hub(&member).await;
    assert!(admin_html.contains(">Disconnect<"));
    assert!(
        !member_html.contains(">Disconnect<"),
        "the member's own page"
    );

    // The member becomes an admin: the next page is rendered for the new role.
    let row = user::Entity::find_by_id(member_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: user::ActiveModel = row.into();
    active.role = Set("admin".into());
    active.update(&app.db).await.unwrap();
    let promoted = hub(&member).await;
    assert!(
        promoted.contains(">Disconnect<"),
        "admin actions after promotion"
    );

    // Deactivated: signed out at once, kept page or not.
    let row = user::Entity::find_by_id(member_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: user::ActiveModel = row.into();
    active.is_active = Set(false);
    active.update(&app.db).await.unwrap();
    let response = member.get("/integrations").await;
    assert_eq!(response.status(), 303);
    assert!(response.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

async fn the_settings_modal_is_never_kept(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let tenant = tenant_of(&admin).await;
    let id = insert_integration(&app, tenant, "hubspot", "active").await;
    for _ in 0..2 {
        let response = admin.get(&format!("/integrations/{id}")).await;
        assert_eq!(response.status(), 200);
        assert!(response
            .headers()
            .get(app::api::page_cache::HEADER)
            .is_none());
    }
    assert_eq!(outcome(&app, "stored").await, 0);
    assert_eq!(outcome(&app, "hit").await, 0);
}

async fn a_kept_page_ends_when_its_time_texts_move(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let tenant = tenant_of(&admin).await;
    let id = insert_integration(&app, tenant, "hubspot", "active").await;
    // A run that finished 40 s ago reads "just now" for five more seconds.
    let mut run = run_row(tenant, id, "completed").await;
    run.finished_at = Set(Some(Utc::now() - Duration::seconds(40)));
    run.insert(&app.db).await.unwrap();

    let html = hub(&admin).await;
    assert!(
        stat(&html, "last-sync").contains("just now"),
        "{}",
        stat(&html, "last-sync")
    );
    tokio::time::sleep(std::time::Duration::from_millis(5_500)).await;
    let html = hub(&admin).await;
    assert!(
        stat(&html, "last-sync").contains(" s ago"),
        "{}",
        stat(&html, "last-sync")
    );
    assert_eq!(
        outcome(&app, "stale").await,
        1,
        "re-rendered because time moved"
    );
}

/// On PostgreSQL the tenant row is locked only when a transaction commits,
/// after every other lock it holds: two transactions writing different rows
/// of one tenant do not wait for each other while they run (and so cannot
/// deadlock on the tenant row whatever order they take their own rows in).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_locks_the_tenant_row_only_at_commit() {
    let app = spawn_app(Db::Postgres).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let tenant = tenant_of(&admin).await;
    let first = insert_integration(&app, tenant, "hubspot", "active").await;
    let second = insert_integration(&app, tenant, "stripe", "active").await;
    let before = revision(&app, tenant).await;

    let a = server::db::begin_write(&app.db).await.unwrap();
    a.execute_unprepared(&format!(
        "UPDATE integrations SET status = 'paused' WHERE id = {first}"
    ))
    .await
    .unwrap();
    let b = server::db::begin_write(&app.db).await.unwrap();
    b.execute_unprepared("SET LOCAL lock_timeout = '2s'")
        .await
        .unwrap();
    b.execute_unprepared(&format!(
        "UPDATE integrations SET status = 'paused' WHERE id = {second}"
    ))
    .await
    .expect("the second writer does not wait for the first one's tenant row");
    a.commit().await.unwrap();
    b.commit().await.unwrap();
    assert_eq!(
        revision(&app, tenant).await,
        before + 2,
        "both writes counted"
    );
}
