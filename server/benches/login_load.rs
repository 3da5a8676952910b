//! Sign-in under load: logins per second with 8 concurrent clients, and the
//! p99 latency of an unrelated page (the hub page of a signed-in member)
//! while those logins run, against the same page's p99 when idle.
//!
//!     cargo bench -p server --bench login_load [-- --seconds 10]
//!
//! Runs the real hub in-process on a fresh SQLite file (argon2id OWASP
//! parameters, the hashing semaphore of 2).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::auth::Role;
use app::domain::validate::{DisplayName, Email, Slug};
use server::accounts::{create_account, NewAccount};
use server::auth::Passwords;
use server::config::Config;
use server::startup::Application;

const CLIENTS: usize = 8;
const PASSWORD: &str = "correct horse battery staple";

fn client(base: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, base.parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap()
}

async fn sign_in(client: &reqwest::Client, base: &str, email: &str) -> bool {
    let response = client
        .post(format!("{base}/login"))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await;
    matches!(response, Ok(r) if r.status() == 303)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

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
    let seconds: u64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let duration = Duration::from_secs(seconds);
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let config = Config::from_lookup(|name| match name {
        "HUB_DATA_DIR" => Some(data_dir.clone()),
        "LEPTOS_SITE_ADDR" => Some("127.0.0.1:0".into()),
        "HUB_LOG" => Some("error".into()),
        _ => None,
    })
    .unwrap();
    let app = Application::build(config).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let db = app.state().db.clone();
    tokio::spawn(app.run_until(std::future::pending()));

    let hash = Passwords::new().unwrap().hash(PASSWORD).await.unwrap();
    let mut emails = Vec::new();
    for i in 0..=CLIENTS {
        let email = format!("user{i}@bench.test");
        let account = NewAccount {
            tenant_slug: Slug::parse("bench").unwrap(),
            tenant_name: DisplayName::parse("Bench", "name").unwrap(),
            email: Email::parse(&email).unwrap(),
            name: DisplayName::parse(&format!("User {i}"), "name").unwrap(),
            role: Role::Member,
            password_hash: hash.clone(),
            is_platform_owner: false,
        };
        create_account(&db, account).await.unwrap();
        emails.push(email);
    }

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
    let elapsed = started.elapsed().as_secs_f64();
    let rate = logins.load(Ordering::Relaxed) as f64 / elapsed;

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (idle_p50, idle_p99) = (percentile(&idle, 0.5), percentile(&idle, 0.99));
    let (load_p50, load_p99) = (percentile(&loaded, 0.5), percentile(&loaded, 0.99));
    println!(
        "sign-in under load ({CLIENTS} clients, {seconds} s, {} cores)",
        num_cpus()
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

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
