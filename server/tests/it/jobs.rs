//! The job queue on both databases: concurrent workers never get the same
//! job, only the lease holder can finish a job, and a job whose worker
//! vanished is claimed again once its lease expires.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;
use server::jobs::{NewJob, Queue};

use crate::helpers::{spawn_app_with, Db};
use crate::on_both_databases;

on_both_databases!(
    concurrent_claims_never_share_a_job,
    only_the_lease_holder_finishes_and_expired_leases_are_taken_again
);

async fn concurrent_claims_never_share_a_job(db: Db) {
    // No workers of its own: the test is the only one claiming.
    let app = spawn_app_with(db, &[("HUB_WORKERS", "0")]).await;
    let queue = Queue::new(app.db.clone(), Duration::from_secs(30));
    for n in 0..40 {
        Queue::enqueue(&app.db, NewJob::now(None, "test", json!({ "n": n })))
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for worker in 0..4 {
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("worker-{worker}");
            let mut mine = Vec::new();
            while let Some(job) = queue.claim(&owner).await.unwrap() {
                assert!(queue.complete(job.id, &owner).await.unwrap());
                mine.push(job.id);
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(all.len(), 40, "every job ran once");
    assert_eq!(distinct.len(), 40, "no job ran twice");
}

async fn only_the_lease_holder_finishes_and_expired_leases_are_taken_again(db: Db) {
    let app = spawn_app_with(db, &[("HUB_WORKERS", "0")]).await;
    let queue = Queue::new(app.db.clone(), Duration::from_millis(600));
    let id = Queue::enqueue(&app.db, NewJob::now(None, "test", json!({})))
        .await
        .unwrap();
    let job = queue.claim("first").await.unwrap().unwrap();
    assert_eq!((job.id, job.attempts), (id, 1));
    assert!(
        queue.claim("second").await.unwrap().is_none(),
        "held by its lease"
    );
    assert!(
        !queue.complete(id, "second").await.unwrap(),
        "not the holder"
    );
    assert!(queue.heartbeat(&app.db, id, "first").await.unwrap());

    tokio::time::sleep(Duration::from_millis(800)).await; // "first" died
    let again = queue
        .claim("second")
        .await
        .unwrap()
        .expect("taken again after the lease");
    assert_eq!((again.id, again.attempts), (id, 2));
    assert!(
        !queue.complete(id, "first").await.unwrap(),
        "the old holder cannot finish it"
    );
    assert!(!queue.heartbeat(&app.db, id, "first").await.unwrap());
    assert!(queue.complete(id, "second").await.unwrap());
    assert!(
        queue.claim("third").await.unwrap().is_none(),
        "done jobs stay done"
    );
}
