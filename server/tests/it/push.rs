//! Direction push against the sandbox: every provider that can receive
//! contacts gets the hub's new ones created, the ones it already has (found
//! by email) updated, contacts it cannot take refused with the reason, and
//! nothing twice; an incremental push sends only what changed since; a
//! two-way run pulls and then pushes.

// The tests read and write rows directly, as an operator would.
#![allow(clippy::disallowed_methods)]

use app::domain::auth::Role;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;
use server::db::entities::contact;
use server::sandbox::data::person;

use crate::connect::connect_any;
use crate::helpers::{spawn_app_with, tenant_of, Db, TestApp};
use crate::on_both_databases;
use crate::sync::{finished, log_of, set_sync, sync_now, CONTACT_PROVIDERS};

on_both_databases!(
    every_writable_provider_receives_the_hubs_contacts,
    a_two_way_run_pulls_then_pushes,
);

/// The contact providers the catalog can write to: all but the two form tools.
fn push_providers(app: &TestApp) -> Vec<&'static str> {
    let writable: Vec<&str> = CONTACT_PROVIDERS
        .into_iter()
        .filter(|key| {
            let provider = app.state.catalog.provider(key).unwrap();
            provider.resources.iter().any(|r| r.push.is_some())
        })
        .collect();
    assert_eq!(writable.len(), 13, "{writable:?}");
    assert!(!writable.contains(&"typeform") && !writable.contains(&"google_forms"));
    writable
}

async fn add_contact(app: &TestApp, tenant_id: i64, values: [Option<&str>; 5]) -> contact::Model {
    let [email, first, last, phone, company] = values.map(|v| v.map(str::to_string));
    let now = Utc::now();
    contact::ActiveModel {
        tenant_id: Set(tenant_id),
        email: Set(email),
        first_name: Set(first),
        last_name: Set(last),
        phone: Set(phone),
        company: Set(company),
        attributes: Set(json!({})),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
}

async fn set_phone(app: &TestApp, contact_id: i64, phone: &str) {
    contact::ActiveModel {
        id: Set(contact_id),
        phone: Set(Some(phone.into())),
        updated_at: Set(Utc::now() + chrono::Duration::seconds(1)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
}

async fn every_writable_provider_receives_the_hubs_contacts(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SANDBOX_RECORDS", "20")]).await;
    let sandbox = app.state.sandbox.clone().unwrap();
    for (i, provider) in push_providers(&app).into_iter().enumerate() {
        // A tenant per provider, each with three contacts: new to the provider;
        // known to it (the data set's person 4); without email.
        let (admin, _) = app
            .signed_in(&format!("t{i}"), &format!("al@t{i}.test"), Role::Admin)
            .await;
        let tenant = tenant_of(&admin).await;
        let fresh = add_contact(
            &app,
            tenant,
            [
                Some("grace.new@hub.test"),
                Some("Grace"),
                Some("Newton"),
                Some("+15550001111"),
                Some("Hub Co"),
            ],
        )
        .await;
        let known = person(4, 0);
        let known_row = add_contact(
            &app,
            tenant,
            [
                Some(&known.email),
                Some(&known.first_name),
                Some(&known.last_name),
                Some("+15559990000"),
                None,
            ],
        )
        .await;
        add_contact(
            &app,
            tenant,
            [None, Some("Nomail"), Some("Person"), None, None],
        )
        .await;

        let id = connect_any(&app, &admin, provider).await;
        set_sync(&app, id, "push", "incremental").await;
        let run = finished(&app, sync_now(&admin, id).await).await;
        let email_required = !matches!(provider, "salesforce" | "zoho_crm" | "stripe");
        // A refused contact makes the run partial.
        let done = if email_required {
            "partial"
        } else {
            "completed"
        };
        assert_eq!(run.status, done, "{provider}: {run:?}");
        assert_eq!(run.direction, "push");
        // SendGrid upserts by email and answers without an id: the known person counts as sent anew.
        let upsert = provider == "sendgrid";
        assert_eq!(run.records_processed, 3, "{provider}: {run:?}");
        assert_eq!(
            run.records_created,
            1 + i64::from(!email_required) + i64::from(upsert),
            "{provider}: {run:?}"
        );
        assert_eq!(
            run.records_updated,
            i64::from(!upsert),
            "{provider}: {run:?}"
        );
        assert_eq!(
            run.records_failed,
            i64::from(email_required),
            "{provider}: {run:?}"
        );
        let log = log_of(&app, run.id).await;
        assert!(
            log.iter().any(|l| l.starts_with("sync.pushed Pushed to")),
            "{log:?}"
        );
        if email_required {
            assert!(
                log.iter()
                    .any(|l| l.contains("a contact without email was not pushed")
                        && l.contains("needs the contact's email")),
                "{provider}: {log:?}"
            );
        }
        let held = sandbox
            .person_by_email(provider, "grace.new@hub.test")
            .unwrap_or_default();
        assert_eq!(
            held.get("phone").map(String::as_str),
            Some("+15550001111"),
            "{provider}: {held:?}"
        );
        assert_eq!(
            held.get("last_name").map(String::as_str).or(Some("Newton")),
            Some("Newton")
        );
        let held = sandbox.person_by_email(provider, &known.email).unwrap();
        assert_eq!(
            held["phone"], "+15559990000",
            "{provider}: the known person was updated"
        );

        // Nothing changed since: an incremental push sends nothing (but retries what it refused).
        let again = finished(&app, sync_now(&admin, id).await).await;
        assert_eq!(again.status, done, "{provider}: {again:?}");
        if !upsert {
            assert_eq!(
                again.records_created + again.records_updated,
                0,
                "{provider}: {again:?}"
            );
        }

        // A change in the hub goes out as an update of the linked record.
        set_phone(&app, fresh.id, &format!("+1555{:07}", id)).await;
        let changed = finished(&app, sync_now(&admin, id).await).await;
        // (SendGrid's contacts stay unlinked until a pull: its upsert counts as sent anew.)
        assert_eq!(
            changed.records_updated,
            i64::from(!upsert),
            "{provider}: {changed:?}"
        );
        assert_eq!(
            changed.records_created,
            i64::from(upsert) * 2,
            "{provider}: {changed:?}"
        );
        let held = sandbox
            .person_by_email(provider, "grace.new@hub.test")
            .unwrap();
        assert_eq!(held["phone"], format!("+1555{:07}", id), "{provider}");

        // Pulling back finds the written records and duplicates nothing.
        set_sync(&app, id, "pull", "full").await;
        let pulled = finished(&app, sync_now(&admin, id).await).await;
        assert_eq!(pulled.status, "completed", "{provider}: {pulled:?}");
        let new_records = 1 + i64::from(!email_required);
        assert_eq!(
            pulled.records_processed,
            20 + new_records,
            "{provider}: {pulled:?}"
        );
        let contacts = contact::Entity::find()
            .filter(contact::Column::TenantId.eq(tenant))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(contacts, 3 + 19, "{provider}: no contact twice");
        let row = contact::Entity::find_by_id(known_row.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.phone.as_deref(), Some("+15559990000"), "{provider}");
    }
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;

    // A provider that only sends contacts refuses the direction.
    let typeform = connect_any(&app, &admin, "typeform").await;
    let refused = admin
        .client
        .post(format!("{}/api/integrations/sync-settings", admin.base()))
        .json(&json!({ "id": typeform, "schedule": "", "mode": "incremental", "direction": "push", "resources": ["contacts"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains("Typeform cannot receive responses from the hub"),
        "{text}"
    );
    set_sync(&app, typeform, "push", "incremental").await;
    let run = finished(&app, sync_now(&admin, typeform).await).await;
    assert_eq!(run.status, "failed");
    assert!(
        run.error
            .as_deref()
            .unwrap_or_default()
            .contains("Typeform cannot receive"),
        "{run:?}"
    );
}

async fn a_two_way_run_pulls_then_pushes(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SANDBOX_RECORDS", "30")]).await;
    let sandbox = app.state.sandbox.clone().unwrap();
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let tenant = tenant_of(&admin).await;
    add_contact(
        &app,
        tenant,
        [
            Some("only.in.hub@hub.test"),
            Some("Only"),
            Some("Hub"),
            None,
            None,
        ],
    )
    .await;
    let id = connect_any(&app, &admin, "hubspot").await;
    set_sync(&app, id, "bidirectional", "incremental").await;
    let run = finished(&app, sync_now(&admin, id).await).await;
    assert_eq!(run.status, "completed", "{run:?}");
    // 30 pulled (new contacts), then the one hub-only contact pushed; the pulled ones are not sent back.
    assert_eq!(run.records_processed, 31, "{run:?}");
    assert_eq!(run.records_created, 31, "{run:?}");
    let log = log_of(&app, run.id).await;
    assert!(
        log.iter().any(|l| l == "sync.pushed Pushed to HubSpot: 1 created, 0 updated, 0 failed; 30 contacts unchanged since their last sync were left alone."),
        "{log:?}"
    );
    assert!(sandbox
        .person_by_email("hubspot", "only.in.hub@hub.test")
        .is_some());
    // The next two-way run: the pull finds the pushed record as the hub wrote it, nothing goes back.
    let again = finished(&app, sync_now(&admin, id).await).await;
    assert_eq!(again.status, "completed", "{again:?}");
    assert_eq!(
        again.records_created + again.records_updated,
        0,
        "{again:?}"
    );
}
