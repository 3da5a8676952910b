//! The server-rendered shell: every page is HTML with the hydration scripts,
//! its own title and the navigation; unknown pages are real 404s.

use serde_json::Value;

use app::domain::auth::Role;

use crate::helpers::{spawn_app, Db};
use crate::on_both_databases;

on_both_databases!(
    pages_are_rendered_on_the_server,
    unknown_pages_answer_404,
    the_root_leads_to_the_hub,
    the_status_server_function_reports_the_database
);

async fn pages_are_rendered_on_the_server(db: Db) {
    let app = spawn_app(db).await;
    let (browser, _) = app.signed_in("acme", "ana@acme.test", Role::Admin).await;
    for (path, title, heading) in [
        (
            "/integrations",
            "Integrations · Integrations Hub",
            "<h1>Integrations<",
        ),
        (
            "/integrations/activity",
            "Activity · Integrations Hub",
            "<h1>Activity<",
        ),
        (
            "/admin/integrations",
            "Admin · Integrations · Integrations Hub",
            "<h1>Integrations admin<",
        ),
    ] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = response.text().await.unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"), "{path}");
        assert!(
            html.contains(&format!("<title>{title}</title>")),
            "{path}: {html}"
        );
        assert!(html.contains(heading), "{path}");
        // The hydration scripts and the bundle's stylesheet.
        assert!(html.contains(r#"href="/pkg/hub.js""#), "{path}");
        assert!(html.contains(r#"href="/pkg/hub_bg.wasm""#), "{path}");
        assert!(html.contains(r#"href="/pkg/hub.css""#), "{path}");
        assert!(html.contains(r#"<script src="/theme.js"></script>"#));
        // Navigation, with the current page marked.
        for link in [
            r#"href="/integrations""#,
            r#"href="/integrations/activity""#,
            r#"href="/admin/integrations""#,
        ] {
            assert!(html.contains(link), "{path} links {link}");
        }
        assert!(html.contains(r#"aria-current="page""#), "{path}");
        assert!(html.contains(r#"data-hydrated="false""#), "{path}");
    }
}

async fn unknown_pages_answer_404(db: Db) {
    let app = spawn_app(db).await;
    let (browser, _) = app.signed_in("acme", "ana@acme.test", Role::Member).await;
    let response = browser.get("/integrations/nope/really").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("<title>Page not found · Integrations Hub</title>"));
    assert!(html.contains("This page does not exist"));
    assert!(html.contains(r#"href="/integrations""#));
}

async fn the_root_leads_to_the_hub(db: Db) {
    let app = spawn_app(db).await;
    let first_run = app.get("/").await;
    assert_eq!(first_run.headers()["location"], "/setup");
    let (browser, _) = app.signed_in("acme", "ana@acme.test", Role::Member).await;
    let response = browser.get("/").await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/integrations");
    let signed_out = app.get("/").await;
    assert_eq!(signed_out.headers()["location"], "/login?next=%2F");
}

async fn the_status_server_function_reports_the_database(db: Db) {
    let app = spawn_app(db).await;
    app.create_user(
        "acme",
        "ana@acme.test",
        Role::Member,
        crate::helpers::PASSWORD,
    )
    .await;
    assert_eq!(
        app.browser().server_fn("system/status", &[]).await.status(),
        401
    );
    let (browser, _) = app.signed_in("acme", "bo@acme.test", Role::Member).await;
    let response = browser.server_fn("system/status", &[]).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let expected = match db {
        Db::Sqlite => "SQLite",
        Db::Postgres => "PostgreSQL",
    };
    assert_eq!(body["database"], expected);
    assert_eq!(body["migrations_applied"], body["migrations_total"]);
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}
