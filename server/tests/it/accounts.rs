//! Roles, the users and API-token pages, REST with bearer tokens, and
//! tenant isolation: another tenant's ids answer 404 everywhere.

use app::domain::auth::Role;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::Value;

use crate::helpers::{spawn_app, Browser, Db, TestApp, PASSWORD};
use crate::on_both_databases;

on_both_databases!(
    members_get_403_on_admin_pages_and_functions,
    owners_manage_users,
    the_last_owner_cannot_be_removed,
    api_tokens_authenticate_rest_and_can_be_revoked,
    another_tenants_ids_answer_404_everywhere,
    the_platform_console_lists_tenants,
);

async fn members_get_403_on_admin_pages_and_functions(db: Db) {
    let app = spawn_app(db).await;
    let (member, _) = app.signed_in("acme", "mo@acme.test", Role::Member).await;
    let hub = member.get("/integrations").await.text().await.unwrap();
    assert!(
        !hub.contains(r#"href="/admin/integrations""#),
        "no admin navigation for members"
    );
    for path in [
        "/admin/users",
        "/admin/api-tokens",
        "/admin/integrations",
        "/platform",
    ] {
        let response = member.get(path).await;
        assert_eq!(response.status(), 403, "{path}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("You do not have access to this page"),
            "{path}"
        );
    }
    let response = member.server_fn("users/list", &[]).await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!("Forbidden"));
    let response = member.get("/api/v1/users").await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");

    // Admins reach the admin pages but not the owners' users page.
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    assert_eq!(admin.get("/admin/api-tokens").await.status(), 200);
    assert_eq!(admin.get("/admin/users").await.status(), 403);
    let hub = admin.get("/integrations").await.text().await.unwrap();
    assert!(hub.contains(r#"href="/admin/integrations""#));
}

async fn owners_manage_users(db: Db) {
    let app = spawn_app(db).await;
    let (owner, _) = app.signed_in("acme", "olivia@acme.test", Role::Owner).await;

    let refused = owner
        .server_fn(
            "users/create",
            &[
                ("name", ""),
                ("email", "nope"),
                ("role", "root"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    let fields: Vec<&str> = body["Validation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "email", "role", "password"]);

    let created = owner
        .server_fn(
            "users/create",
            &[
                ("name", "Mo Member"),
                ("email", "mo@acme.test"),
                ("role", "member"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status(), 200);
    let user: Value = created.json().await.unwrap();
    assert_eq!(user["role"], "member");
    let id = user["id"].as_i64().unwrap().to_string();

    let duplicate = owner
        .server_fn(
            "users/create",
            &[
                ("name", "Mo"),
                ("email", "MO@acme.test"),
                ("role", "member"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(duplicate.status(), 422);
    assert!(duplicate.text().await.unwrap().contains("already exists"));

    // The new member signs in; then becomes admin; then gets a new password.
    let member = app.browser();
    assert_eq!(member.sign_in("mo@acme.test", PASSWORD).await.status(), 303);
    let page = owner.get("/admin/users").await.text().await.unwrap();
    assert!(page.contains("Mo Member"));
    let promoted = owner
        .server_fn("users/role", &[("id", &id), ("role", "admin")])
        .await;
    assert_eq!(promoted.status(), 200);
    assert_eq!(
        member.get("/admin/api-tokens").await.status(),
        200,
        "the new role applies at once"
    );

    let reset = owner
        .server_fn(
            "users/password",
            &[("id", &id), ("password", "a brand new password")],
        )
        .await;
    assert_eq!(reset.status(), 200);
    assert_eq!(
        member.get("/integrations").await.status(),
        303,
        "reset ends their sessions"
    );
    assert_eq!(member.sign_in("mo@acme.test", PASSWORD).await.status(), 401);
    assert_eq!(
        member
            .sign_in("mo@acme.test", "a brand new password")
            .await
            .status(),
        303
    );

    let detail = owner.get(&format!("/admin/users/{id}")).await;
    assert_eq!(detail.status(), 200);
    assert!(detail.text().await.unwrap().contains("mo@acme.test"));
}

async fn the_last_owner_cannot_be_removed(db: Db) {
    let app = spawn_app(db).await;
    let (owner, owner_id) = app.signed_in("acme", "olivia@acme.test", Role::Owner).await;
    let owner_id = owner_id.to_string();
    let demote = owner
        .server_fn("users/role", &[("id", &owner_id), ("role", "admin")])
        .await;
    assert_eq!(demote.status(), 409);
    assert!(demote
        .text()
        .await
        .unwrap()
        .contains("at least one active owner"));
    let deactivate = owner
        .server_fn("users/active", &[("id", &owner_id), ("active", "false")])
        .await;
    assert_eq!(deactivate.status(), 409);

    // With a second owner, the first may step down.
    let second = app
        .create_user("acme", "otto@acme.test", Role::Owner, PASSWORD)
        .await;
    assert!(second > 0);
    let demote = owner
        .server_fn("users/role", &[("id", &owner_id), ("role", "admin")])
        .await;
    assert_eq!(demote.status(), 200);
    assert_eq!(owner.get("/admin/users").await.status(), 403);
}

async fn api_tokens_authenticate_rest_and_can_be_revoked(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let created = admin
        .server_fn(
            "tokens/create",
            &[("name", "Nightly export"), ("expires_in_days", "90")],
        )
        .await;
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("hub_") && token.len() == 44);
    assert!(token.starts_with(created["summary"]["prefix"].as_str().unwrap()));

    let bearer = reqwest::Client::new();
    let me = bearer
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["email"], "al@acme.test");

    // Bearer calls need no Origin: they carry no ambient credentials.
    let second = bearer
        .post(app.url("/api/v1/api-tokens"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "name": "CI" }))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 201);
    let bad = bearer
        .post(app.url("/api/v1/api-tokens"))
        .bearer_auth(&token)
        .body("not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(bad["error"]["code"], "validation_failed");
    assert!(bad["error"]["fields"]["body"]
        .as_str()
        .unwrap()
        .contains("Send JSON"));

    let list: Value = bearer
        .get(app.url("/api/v1/api-tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = list.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    let nightly = listed
        .iter()
        .find(|t| t["name"] == "Nightly export")
        .unwrap();
    assert_ne!(nightly["last_used"], "never", "use is recorded");
    assert!(
        !list.to_string().contains(&token),
        "the list never shows the token"
    );

    // Only a hash is stored.
    assert_no_row_contains(&app, &token).await;

    let id = nightly["id"].as_i64().unwrap();
    let revoked = bearer
        .delete(app.url(&format!("/api/v1/api-tokens/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let after = bearer
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    let body: Value = after.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");

    let garbage = bearer
        .get(app.url("/api/v1/me"))
        .bearer_auth("hub_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 401);
    assert_eq!(app.get("/api/v1/me").await.status(), 401, "no credentials");
}

/// Scans every text and blob column of every table for `needle`.
async fn assert_no_row_contains(app: &TestApp, needle: &str) {
    let backend = app.db.get_database_backend();
    let tables = ["users", "sessions", "api_tokens", "tenants"];
    for table in tables {
        let sql = match backend {
            DatabaseBackend::Postgres => format!("SELECT CAST(t.* AS text) AS row FROM {table} t"),
            _ => format!("SELECT * FROM {table}"),
        };
        let rows = app
            .db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap();
        for row in rows {
            let text = format!("{row:?}");
            assert!(
                !text.contains(needle),
                "{table} holds the secret in plain text"
            );
        }
    }
}

async fn another_tenants_ids_answer_404_everywhere(db: Db) {
    let app = spawn_app(db).await;
    let (owner_a, _) = app.signed_in("tenant-a", "ada@a.test", Role::Owner).await;
    let (owner_b, _) = app.signed_in("tenant-b", "bob@b.test", Role::Owner).await;
    let member_a = app
        .create_user("tenant-a", "mia@a.test", Role::Member, PASSWORD)
        .await;
    let token_a: Value = owner_a
        .server_fn(
            "tokens/create",
            &[("name", "A's token"), ("expires_in_days", "never")],
        )
        .await
        .json()
        .await
        .unwrap();
    let token_a_id = token_a["summary"]["id"].as_i64().unwrap();
    let token_b: Value = owner_b
        .server_fn(
            "tokens/create",
            &[("name", "B's token"), ("expires_in_days", "30")],
        )
        .await
        .json()
        .await
        .unwrap();
    let bearer_b = token_b["token"].as_str().unwrap().to_string();

    let user_a = member_a.to_string();
    let token_a_id = token_a_id.to_string();
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("users/get", vec![("id", &user_a)]),
        ("users/role", vec![("id", &user_a), ("role", "owner")]),
        ("users/active", vec![("id", &user_a), ("active", "false")]),
        (
            "users/password",
            vec![("id", &user_a), ("password", "hijacked password")],
        ),
        ("tokens/revoke", vec![("id", &token_a_id)]),
    ];
    for (endpoint, args) in &cases {
        let response = owner_b.server_fn(endpoint, args).await;
        assert_eq!(response.status(), 404, "server fn {endpoint}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            serde_json::json!("NotFound")
        );
    }

    // Pages.
    assert_eq!(
        owner_b
            .get(&format!("/admin/users/{user_a}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        owner_a
            .get(&format!("/admin/users/{user_a}"))
            .await
            .status(),
        200
    );

    // REST, with B's token and with B's session.
    let bearer = reqwest::Client::new();
    for request in [
        bearer.get(app.url(&format!("/api/v1/users/{user_a}"))),
        bearer.delete(app.url(&format!("/api/v1/api-tokens/{token_a_id}"))),
    ] {
        let response = request.bearer_auth(&bearer_b).send().await.unwrap();
        assert_eq!(response.status(), 404);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
    assert_eq!(
        owner_b
            .get(&format!("/api/v1/users/{user_a}"))
            .await
            .status(),
        404
    );
    let list: Value = owner_b.get("/api/v1/users").await.json().await.unwrap();
    assert!(
        !list.to_string().contains("a.test"),
        "B's list holds only B's users"
    );

    // Nothing of A changed.
    let still: Value = owner_a
        .get(&format!("/api/v1/users/{user_a}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["role"], "member");
    assert_eq!(still["is_active"], true);
    let a_client = Browser::new(&app.base);
    assert_eq!(a_client.sign_in("mia@a.test", PASSWORD).await.status(), 303);
}

async fn the_platform_console_lists_tenants(db: Db) {
    let app = spawn_app(db).await;
    app.create_user("tenant-a", "ada@a.test", Role::Owner, PASSWORD)
        .await;
    app.create_user("tenant-a", "mia@a.test", Role::Member, PASSWORD)
        .await;
    let (owner_b, _) = app.signed_in("tenant-b", "bob@b.test", Role::Owner).await;
    assert_eq!(
        owner_b.get("/platform").await.status(),
        403,
        "owners are not platform owners"
    );

    let platform = app.browser();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hub"))
        .args([
            "user",
            "create",
            "--tenant",
            "ops",
            "--email",
            "root@ops.test",
            "--role",
            "owner",
            "--platform-owner",
        ])
        .envs(app.cli_env())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{PASSWORD}\n").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        platform.sign_in("root@ops.test", PASSWORD).await.status(),
        303
    );
    let page = platform.get("/platform").await;
    assert_eq!(page.status(), 200);
    let tenants: Value = platform
        .server_fn("platform/tenants", &[])
        .await
        .json()
        .await
        .unwrap();
    let a = tenants
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "tenant-a")
        .unwrap();
    assert_eq!(a["users"], 2);
    assert_eq!(a["integrations"], 0);
    assert_eq!(tenants.as_array().unwrap().len(), 3);
}
