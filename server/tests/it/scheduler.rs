//! The scheduler: two `hub` processes on one database fire each slot of a
//! schedule once; fires missed while down run once; paused integrations do
//! not fire.

// The tests read rows directly, across tenants, as an operator would.
#![allow(clippy::disallowed_methods)]

use std::time::Duration;

use app::domain::auth::Role;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use server::db::entities::{integration, sync_run};

use crate::connect::connect_any;
use crate::helpers::{spawn_app_with, Db, TestApp};
use crate::on_both_databases;
use crate::sync::hub_process;

on_both_databases!(
    two_processes_fire_each_slot_once,
    missed_fires_run_once_and_paused_integrations_wait,
);

async fn set_schedule(
    app: &TestApp,
    id: i64,
    schedule: Option<&str>,
    next: Option<chrono::DateTime<Utc>>,
    status: &str,
) {
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut active: integration::ActiveModel = row.into();
    active.schedule = Set(schedule.map(str::to_string));
    active.next_run_at = Set(next);
    active.status = Set(status.into());
    active.update(&app.db).await.unwrap();
}

async fn scheduled_runs(app: &TestApp, id: i64) -> Vec<sync_run::Model> {
    sync_run::Entity::find()
        .filter(sync_run::Column::IntegrationId.eq(id))
        .filter(sync_run::Column::Trigger.eq("schedule"))
        .order_by_asc(sync_run::Column::CreatedAt)
        .all(&app.db)
        .await
        .unwrap()
}

async fn two_processes_fire_each_slot_once(db: Db) {
    // The test's own process neither works nor ticks (its tick is an hour).
    let app = spawn_app_with(db, &[("HUB_WORKERS", "0"), ("HUB_SCHEDULER_TICK", "1h")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect_any(&app, &admin, "stripe").await;
    let env = [
        ("HUB_WORKERS", "1"),
        ("HUB_SCHEDULER_TICK", "100ms"),
        ("HUB_SANDBOX_RECORDS", "30"),
    ];
    let mut one = hub_process(&app, &env);
    let mut two = hub_process(&app, &env);
    tokio::time::sleep(Duration::from_secs(2)).await; // both are up
                                                      // The first slot is the next whole second, as saving the schedule would set it.
    let first = server::scheduler::CronSchedule::parse("* * * * * *")
        .unwrap()
        .next_after(Utc::now());
    set_schedule(&app, id, Some("* * * * * *"), first, "active").await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    set_schedule(&app, id, None, None, "active").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    one.kill().unwrap();
    two.kill().unwrap();
    one.wait().unwrap();
    two.wait().unwrap();

    let runs = scheduled_runs(&app, id).await;
    assert!(
        (8..=12).contains(&runs.len()),
        "about one run per second: {}",
        runs.len()
    );
    for pair in runs.windows(2) {
        let gap = pair[1].created_at - pair[0].created_at;
        assert!(
            gap >= chrono::Duration::milliseconds(500),
            "two runs in one slot: {pair:?}"
        );
    }
    let completed = runs.iter().filter(|r| r.status == "completed").count();
    assert!(completed + 1 >= runs.len(), "the runs ran: {runs:?}");
}

async fn missed_fires_run_once_and_paused_integrations_wait(db: Db) {
    let app = spawn_app_with(db, &[("HUB_WORKERS", "0"), ("HUB_SCHEDULER_TICK", "1h")]).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let id = connect_any(&app, &admin, "stripe").await;
    let scheduler = app.state.scheduler();

    // Down for an hour with a schedule every minute: one run, not sixty.
    let now = Utc::now();
    set_schedule(
        &app,
        id,
        Some("* * * * *"),
        Some(now - chrono::Duration::hours(1)),
        "active",
    )
    .await;
    let tick = scheduler.tick(now).await.unwrap();
    assert_eq!(tick.fired, 1);
    let again = scheduler.tick(now).await.unwrap();
    assert_eq!(again.due, 0, "the next slot is in the future");
    assert_eq!(scheduled_runs(&app, id).await.len(), 1);
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.next_run_at.unwrap() > now);

    // Paused: due, but nothing fires.
    set_schedule(
        &app,
        id,
        Some("* * * * *"),
        Some(now - chrono::Duration::minutes(5)),
        "paused",
    )
    .await;
    let paused = scheduler.tick(now).await.unwrap();
    assert_eq!((paused.due, paused.fired), (0, 0));
    assert_eq!(scheduled_runs(&app, id).await.len(), 1);
}
