//! Sign-in under load: logins per second with 8 concurrent clients, and the
//! p99 latency of an unrelated page (the hub page of a signed-in member)
//! while those logins run, against the same page's p99 when idle.
//!
//!     cargo bench -p server --bench login_load [-- --seconds 10]
//!
//! Runs the real hub in-process on a fresh SQLite file (argon2id OWASP
//! parameters, the hashing semaphore of half the cores).

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::auth::Role;
use support::*;

const CLIENTS: usize = 8;

/// Requests the page back to back for `duration`; returns sorted latencies.
async fn probe(client: &reqwest::Client, url: &str, duration: Duration) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let end = Instant::now() + duration;
    while Instant::now() < end {
        let started = Instant::now();
        let response = client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let _ = response.bytes().await.unwrap();
        latencies.push(started.elapsed());
    }
    latencies.sort();
    latencies
}

#[tokio::main]
async fn main() {
    let seconds = seconds_arg(10);
    let duration = Duration::from_secs(seconds);
    let hub = spawn_hub().await;
    let base = hub.base.clone();
    let emails = create_users(&hub.db, CLIENTS + 1, Role::Member).await;

    let viewer = client(&base);
    assert!(sign_in(&viewer, &base, &emails[0]).await);
    let page = format!("{base}/integrations");
    probe(&viewer, &page, Duration::from_secs(1)).await; // warm-up
    let idle = probe(&viewer, &page, duration).await;

    let logins = Arc::new(AtomicU64::new(0));
    let stop = Instant::now() + duration;
    let mut workers = Vec::new();
    for email in emails.iter().skip(1) {
        let email = email.clone();
        let logins = logins.clone();
        let base = base.clone();
        workers.push(tokio::spawn(async move {
            while Instant::now() < stop {
                let fresh = client(&base);
                if sign_in(&fresh, &base, &email).await {
                    logins.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let started = Instant::now();
    let loaded = probe(&viewer, &page, duration).await;
    for worker in workers {
        worker.await.unwrap();
    }
    let rate = logins.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();

    let (idle_p50, idle_p99) = (percentile(&idle, 0.5), percentile(&idle, 0.99));
    let (load_p50, load_p99) = (percentile(&loaded, 0.5), percentile(&loaded, 0.99));
    println!(
        "sign-in under load ({CLIENTS} clients, {seconds} s, {} cores)",
        cores()
    );
    println!("| measure | value |");
    println!("|---|---|");
    println!("| successful sign-ins per second | {rate:.1} |");
    println!(
        "| hub page p50 idle / under load | {:.2} ms / {:.2} ms |",
        ms(idle_p50),
        ms(load_p50)
    );
    println!(
        "| hub page p99 idle / under load | {:.2} ms / {:.2} ms |",
        ms(idle_p99),
        ms(load_p99)
    );
    println!(
        "| p99 under load ÷ idle p99 | {:.2}× (target ≤ 2×) |",
        ms(load_p99) / ms(idle_p99)
    );
}
