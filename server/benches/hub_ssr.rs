//! Server rendering of the hub page for a signed-in admin with 40
//! integrations: requests per second and p50/p99 at 50 concurrent
//! connections, beside a bare axum handler returning the same bytes, in the
//! same run and the same way, in one-second slices taking turns. The hub is
//! measured as deployed (its page cache on) and with the cache off, which
//! renders every request.
//!
//!     cargo bench -p server --bench hub_ssr [-- --seconds 10]

mod support;

use std::time::{Duration, Instant};

use app::domain::auth::Role;
use axum::routing::get;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use server::db::entities::integration;
use support::*;

const CONNECTIONS: usize = 50;

/// Latencies of one server over all its slices, and the time they took.
#[derive(Default)]
struct Samples {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

struct Run {
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
}

impl Samples {
    fn run(mut self) -> Run {
        self.latencies.sort();
        Run {
            requests_per_second: self.latencies.len() as f64 / self.elapsed.as_secs_f64(),
            p50: percentile(&self.latencies, 0.5),
            p99: percentile(&self.latencies, 0.99),
        }
    }
}

/// `CONNECTIONS` tasks requesting `url` back to back for `duration`.
async fn load(client: &reqwest::Client, url: &str, duration: Duration, into: &mut Samples) {
    let stop = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let client = client.clone();
        let url = url.to_string();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < stop {
                let at = Instant::now();
                let response = client.get(&url).send().await.unwrap();
                assert_eq!(response.status(), 200);
                let _ = response.bytes().await.unwrap();
                latencies.push(at.elapsed());
            }
            latencies
        }));
    }
    for task in tasks {
        into.latencies.extend(task.await.unwrap());
    }
    into.elapsed += started.elapsed();
}

/// A hub (with `extra` settings) with a signed-in admin and 40 integrations:
/// the admin's client, the hub page's URL and the page.
async fn prepared_hub(extra: &[(&str, &str)]) -> (Hub, reqwest::Client, String, axum::body::Bytes) {
    let hub = spawn_hub_with(extra).await;
    let emails = create_users(&hub.db, 1, Role::Admin).await;
    let admin = client(&hub.base);
    assert!(sign_in(&admin, &hub.base, &emails[0]).await);
    let me: serde_json::Value = admin
        .get(format!("{}/api/v1/me", hub.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tenant = me["tenant_id"].as_i64().unwrap();

    let catalog = server::catalog::Catalog::builtin().unwrap();
    let statuses = ["active", "active", "paused", "error", "syncing", "pending"];
    let now = Utc::now();
    for (i, provider) in catalog.providers().iter().take(40).enumerate() {
        integration::ActiveModel {
            schedule: Set(Some("0 * * * *".into())),
            last_error: Set(Some("HTTP 401 from the provider".into())),
            last_synced_at: Set(Some(now)),
            ..integration_row(tenant, &provider.key, statuses[i % statuses.len()])
        }
        .insert(&hub.db)
        .await
        .unwrap();
    }

    let page_url = format!("{}/integrations", hub.base);
    let body = admin
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        body.len() > 50_000,
        "the hub page with 40 integrations renders"
    );
    (hub, admin, page_url, body)
}

#[tokio::main]
async fn main() {
    let seconds = seconds_arg(10);
    // The hub as deployed (rendered pages kept while nothing they show
    // changes), and the same hub rendering every request.
    let (_hub, admin, page_url, body) = prepared_hub(&[]).await;
    let (_uncached, uncached_admin, uncached_url, _) =
        prepared_hub(&[("HUB_PAGE_CACHE_MB", "0")]).await;

    // The same bytes from a bare handler: the ceiling of this machine and client.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_url = format!("http://{}/", listener.local_addr().unwrap());
    let bytes = body.clone();
    let bare = axum::Router::new().route(
        "/",
        get(move || {
            let bytes = bytes.clone();
            async move { ([("content-type", "text/html; charset=utf-8")], bytes) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, bare).await.unwrap() });
    let bare_client = client(&bare_url);

    // One-second slices, taking turns, so that the machine's other load
    // weighs on the three alike; the first round warms up and is dropped.
    let targets = [
        (&admin, &page_url),
        (&uncached_admin, &uncached_url),
        (&bare_client, &bare_url),
    ];
    let mut samples: [Samples; 3] = Default::default();
    for round in 0..=seconds {
        for ((client, url), into) in targets.iter().zip(samples.iter_mut()) {
            let mut warm_up = Samples::default();
            let into = if round == 0 { &mut warm_up } else { into };
            load(client, url, Duration::from_secs(1), into).await;
        }
    }
    let [hub_run, uncached_run, bare_run] = samples.map(Samples::run);

    println!(
        "hub page SSR, signed-in admin, 40 integrations, {CONNECTIONS} connections, {seconds} s, {} cores, page {} KB",
        cores(),
        body.len() / 1024
    );
    println!("| server | requests/s | p50 | p99 |");
    println!("|---|---|---|---|");
    for (name, run) in [
        ("hub page (SSR, page cache on: the default)", &hub_run),
        (
            "hub page, rendered on every request (HUB_PAGE_CACHE_MB=0)",
            &uncached_run,
        ),
        ("bare axum, same bytes", &bare_run),
    ] {
        println!(
            "| {name} | {:.0} | {:.2} ms | {:.2} ms |",
            run.requests_per_second,
            ms(run.p50),
            ms(run.p99)
        );
    }
    println!(
        "| hub ÷ bare throughput | {:.2}× (target ≥ 0.25×, p99 ≤ 10 ms); rendering every request {:.3}× | | |",
        hub_run.requests_per_second / bare_run.requests_per_second,
        uncached_run.requests_per_second / bare_run.requests_per_second
    );
}
