//! First run, signing in and out, sessions, CSRF and throttling.

use std::time::Duration;

use app::domain::auth::Role;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use server::db::entities::{session, tenant, user};

use crate::helpers::{spawn_app, spawn_app_with, Db, PASSWORD};
use crate::on_both_databases;

on_both_databases!(
    setup_happens_once_and_signs_the_owner_in,
    setup_refuses_bad_input_and_writes_nothing,
    login_succeeds_and_fails_with_one_message,
    the_session_id_changes_at_sign_in,
    sign_out_deletes_the_session_server_side,
    sessions_end_after_idle_time,
    sessions_end_after_their_absolute_lifetime,
    foreign_origins_cannot_change_state,
    throttling_kicks_in_and_recovers,
    deactivation_ends_sessions_at_once,
);

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn setup_happens_once_and_signs_the_owner_in(db: Db) {
    let app = spawn_app(db).await;
    let browser = app.browser();

    // Every page leads to the setup while no user exists.
    for path in ["/integrations", "/login", "/admin/users", "/no/such/page"] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(location(&response), "/setup", "{path}");
    }
    let page = browser.get("/setup").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Create workspace"), "{html}");

    let response = browser
        .post_form(
            "/setup",
            &[
                ("workspace_name", "Acme Sales"),
                ("workspace_slug", "acme-sales"),
                ("name", "Olivia Owner"),
                ("email", "Olivia@Acme.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/integrations");

    let hub = browser.get("/integrations").await;
    assert_eq!(hub.status(), 200);
    let html = hub.text().await.unwrap();
    assert!(
        html.contains("Olivia Owner"),
        "the header names the signed-in user"
    );

    let me: serde_json::Value = browser.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["email"], "olivia@acme.test");
    assert_eq!(me["role"], "owner");
    assert_eq!(me["tenant_slug"], "acme-sales");
    assert_eq!(me["is_platform_owner"], true);

    // Afterwards /setup does not exist, for anyone.
    assert_eq!(browser.get("/setup").await.status(), 404);
    let stranger = app.browser();
    assert_eq!(stranger.get("/setup").await.status(), 404);
    let again = stranger
        .post_form(
            "/setup",
            &[
                ("workspace_name", "Evil"),
                ("workspace_slug", "evil"),
                ("name", "Eve"),
                ("email", "eve@evil.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status(), 404);
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 1);
    // Signed out, pages now lead to the sign-in page, remembering where to go.
    let response = stranger.get("/admin/users").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login?next=%2Fadmin%2Fusers");
}

async fn setup_refuses_bad_input_and_writes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let browser = app.browser();
    let response = browser
        .post_form(
            "/setup",
            &[
                ("workspace_name", "Acme"),
                ("workspace_slug", "-bad slug-"),
                ("name", ""),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    for message in [
        "Use lower-case letters, digits and dashes",
        "Enter your name.",
        "is not an email address",
        "Use at least 10 characters for the password.",
    ] {
        assert!(html.contains(message), "shows {message}");
    }
    assert!(html.contains(r#"value="Acme""#), "keeps what was typed");
    assert!(!html.contains("short"), "never echoes the password");
    assert_eq!(tenant::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 0);
}

async fn login_succeeds_and_fails_with_one_message(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("acme", "ana@acme.test", Role::Admin, PASSWORD)
        .await;
    let browser = app.browser();

    let page = browser.get("/login?next=%2Fadmin%2Fapi-tokens").await;
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains(r#"value="/admin/api-tokens""#));

    let wrong_password = browser.sign_in("ana@acme.test", "wrong password!").await;
    assert_eq!(wrong_password.status(), 401);
    let wrong_password = wrong_password.text().await.unwrap();
    let unknown_email = browser.sign_in("nobody@acme.test", PASSWORD).await;
    assert_eq!(unknown_email.status(), 401);
    let unknown_email = unknown_email.text().await.unwrap();
    let message = "That email and password do not match an account.";
    assert!(wrong_password.contains(message) && unknown_email.contains(message));
    assert!(
        !wrong_password.contains("wrong password!"),
        "the password is not echoed"
    );
    assert!(
        browser.session_cookie().is_none(),
        "no session for a failed sign-in"
    );

    let ok = browser
        .post_form(
            "/login",
            &[
                ("email", " ANA@acme.test "),
                ("password", PASSWORD),
                ("next", "/admin/api-tokens"),
            ],
        )
        .await;
    assert_eq!(ok.status(), 303);
    assert_eq!(location(&ok), "/admin/api-tokens");
    assert!(browser.session_cookie().is_some());
    assert_eq!(browser.get("/admin/api-tokens").await.status(), 200);

    // An absolute URL as `next` is not followed off-site.
    let other = app.browser();
    let response = other
        .post_form(
            "/login",
            &[
                ("email", "ana@acme.test"),
                ("password", PASSWORD),
                ("next", "https://evil.test/"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/integrations");
}

async fn the_session_id_changes_at_sign_in(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("acme", "ana@acme.test", Role::Member, PASSWORD)
        .await;
    let browser = app.browser();
    // A session id planted before sign-in (fixation) is not the one used after.
    browser.set_session_cookie("planted-by-an-attacker");
    assert_eq!(
        browser.sign_in("ana@acme.test", PASSWORD).await.status(),
        303
    );
    let first = browser.session_cookie().expect("a session cookie");
    assert_ne!(first, "planted-by-an-attacker");

    assert_eq!(
        browser.sign_in("ana@acme.test", PASSWORD).await.status(),
        303
    );
    let second = browser.session_cookie().expect("a session cookie");
    assert_ne!(first, second, "signing in again issues a new id");

    let replay = app.browser();
    replay.set_session_cookie(&first);
    assert_eq!(
        replay.get("/integrations").await.status(),
        303,
        "the old id opens nothing"
    );
    let current = app.browser();
    current.set_session_cookie(&second);
    assert_eq!(current.get("/integrations").await.status(), 200);
}

async fn sign_out_deletes_the_session_server_side(db: Db) {
    let app = spawn_app(db).await;
    let (browser, _) = app.signed_in("acme", "ana@acme.test", Role::Member).await;
    let cookie = browser.session_cookie().unwrap();
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 1);

    let response = browser.post_form("/logout", &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login");
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 0);

    let replay = app.browser();
    replay.set_session_cookie(&cookie);
    let response = replay.get("/integrations").await;
    assert_eq!(response.status(), 303, "the old cookie no longer works");
    assert!(location(&response).starts_with("/login"));
    let removal = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("hub_session="))
        .unwrap_or_default()
        .to_string();
    assert!(
        removal.contains("Max-Age=0"),
        "the browser is told to drop the dead cookie: {removal:?}"
    );
}

async fn sessions_end_after_idle_time(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SESSION_IDLE_TIMEOUT", "2s")]).await;
    let (browser, _) = app.signed_in("acme", "ana@acme.test", Role::Member).await;
    // Activity keeps the session alive past the idle timeout…
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert_eq!(browser.get("/integrations").await.status(), 200);
    }
    // …inactivity ends it.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let response = browser.get("/integrations").await;
    assert_eq!(response.status(), 303);
}

async fn sessions_end_after_their_absolute_lifetime(db: Db) {
    let app = spawn_app_with(db, &[("HUB_SESSION_ABSOLUTE_TIMEOUT", "3s")]).await;
    let (browser, _) = app.signed_in("acme", "ana@acme.test", Role::Member).await;
    assert_eq!(browser.get("/integrations").await.status(), 200);
    let mut ended = false;
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        if browser.get("/integrations").await.status() == 303 {
            ended = true;
            break;
        }
    }
    assert!(
        ended,
        "an active session still ends after its absolute lifetime"
    );
}

async fn foreign_origins_cannot_change_state(db: Db) {
    let app = spawn_app(db).await;
    let (browser, _) = app.signed_in("acme", "ana@acme.test", Role::Owner).await;
    let cookie = browser.session_cookie().unwrap();
    let url = |path: &str| app.url(path);
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let with_cookie = |request: reqwest::RequestBuilder| {
        request.header("cookie", format!("hub_session={cookie}"))
    };

    // A forged sign-out and a forged server function call from another site.
    let forged = with_cookie(plain.post(url("/logout")))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let forged = with_cookie(plain.post(url("/api/users/create")))
        .header("origin", "https://evil.example")
        .form(&[
            ("name", "Eve"),
            ("email", "eve@evil.test"),
            ("role", "owner"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    // Without Origin or Sec-Fetch-Site there is no proof of where it came from.
    let anonymous = with_cookie(plain.post(url("/logout")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403);
    let cross_site = with_cookie(plain.post(url("/logout")))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(
        user::Entity::find().count(&app.db).await.unwrap(),
        1,
        "nothing was created"
    );
    assert_eq!(
        browser.get("/integrations").await.status(),
        200,
        "still signed in"
    );

    // GET never changes state.
    let get = with_cookie(plain.get(url("/logout"))).send().await.unwrap();
    assert_eq!(get.status(), 405);
    assert_eq!(
        browser.get("/integrations").await.status(),
        200,
        "still signed in"
    );

    // Same-origin requests pass.
    let same = with_cookie(plain.post(url("/logout")))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 303);
    assert_eq!(
        browser.get("/integrations").await.status(),
        303,
        "signed out"
    );
}

async fn throttling_kicks_in_and_recovers(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("acme", "ana@acme.test", Role::Member, PASSWORD)
        .await;
    let browser = app.browser();
    for _ in 0..5 {
        assert_eq!(
            browser
                .sign_in("ana@acme.test", "wrong password!")
                .await
                .status(),
            401
        );
    }
    let throttled = browser.sign_in("ana@acme.test", PASSWORD).await;
    assert_eq!(throttled.status(), 429, "even the right password waits");
    assert!(throttled.headers().contains_key("retry-after"));
    assert!(throttled
        .text()
        .await
        .unwrap()
        .contains("Too many failed sign-ins"));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        browser.sign_in("ana@acme.test", PASSWORD).await.status(),
        303,
        "recovers"
    );
}

async fn deactivation_ends_sessions_at_once(db: Db) {
    let app = spawn_app(db).await;
    let (owner, _) = app.signed_in("acme", "olivia@acme.test", Role::Owner).await;
    let (member, member_id) = app.signed_in("acme", "mo@acme.test", Role::Member).await;
    assert_eq!(member.get("/integrations").await.status(), 200);

    let response = owner
        .server_fn(
            "users/active",
            &[("id", &member_id.to_string()), ("active", "false")],
        )
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let count = app
        .db
        .execute_unprepared(&format!("DELETE FROM sessions WHERE user_id = {member_id}"))
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(count, 0, "their sessions were already gone");
    assert_eq!(member.get("/integrations").await.status(), 303);
    assert_eq!(member.sign_in("mo@acme.test", PASSWORD).await.status(), 401);

    // Reactivated, they can sign in again.
    owner
        .server_fn(
            "users/active",
            &[("id", &member_id.to_string()), ("active", "true")],
        )
        .await;
    assert_eq!(member.sign_in("mo@acme.test", PASSWORD).await.status(), 303);
}
