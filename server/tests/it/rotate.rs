//! `hub rotate-key`: every secret moves to the new key, one tenant at a time;
//! until a tenant is done its secrets still open with the old key; a second
//! run resumes (does only what is left); the CLI replaces the data-dir key.

// The tests read rows directly, across tenants, as an operator would.
#![allow(clippy::disallowed_methods)]

use std::process::Command;

use app::domain::auth::Role;
use base64::Engine;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use server::config::MasterKey;
use server::connections::Credentials;
use server::crypto::{key_version, rotate, stored_version, CryptoError, Keyring};
use server::db::entities::integration;
use server::integrations::credentials_subject;

use crate::helpers::{insert_integration, spawn_app, tenant_of, Db, TestApp};
use crate::on_both_databases;

on_both_databases!(
    rotation_resumes_tenant_by_tenant,
    the_cli_rotates_and_installs_the_new_key,
);

const NEW_KEY: [u8; 32] = [0x5a; 32];

/// Two tenants with two integrations each holding sealed credentials.
async fn seed(app: &TestApp) -> Vec<(i64, i64)> {
    let mut seeded = Vec::new();
    for (tenant, email) in [("acme", "al@acme.test"), ("globex", "gu@globex.test")] {
        let (browser, _) = app.signed_in(tenant, email, Role::Owner).await;
        let tenant_id = tenant_of(&browser).await;
        for provider in ["sendgrid", "twilio"] {
            let id = insert_integration(app, tenant_id, provider, "active").await;
            let row = integration::Entity::find_by_id(id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            let mut credentials = Credentials::default();
            credentials.set("api_key", format!("{provider}-secret-of-{tenant}"));
            let sealed = credentials
                .seal(&app.keyring, credentials_subject(&row))
                .unwrap();
            let mut active: integration::ActiveModel = row.into();
            active.credentials = Set(Some(sealed));
            active.update(&app.db).await.unwrap();
            seeded.push((tenant_id, id));
        }
    }
    seeded
}

async fn open_with(app: &TestApp, keyring: &Keyring, id: i64) -> Result<String, CryptoError> {
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let sealed = row.credentials.clone().unwrap();
    Credentials::open(keyring, credentials_subject(&row), &sealed)
        .map(|c| c.get("api_key").unwrap().expose().to_string())
}

async fn version_of(app: &TestApp, id: i64) -> u32 {
    let row = integration::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    stored_version(row.credentials.as_ref().unwrap()).unwrap()
}

async fn rotation_resumes_tenant_by_tenant(db: Db) {
    let app = spawn_app(db).await;
    let seeded = seed(&app).await;
    let old_version = app.keyring.current_version();
    let new_key = MasterKey(NEW_KEY);
    let new_only = Keyring::new(&new_key);
    let old_only = app.keyring.clone();
    // What `hub rotate-key` builds: the new key, still accepting the old one.
    let rotating = Keyring::new(&new_key).with_previous(&current_key(&app));

    // Interrupted after the first tenant: its secrets are under the new key;
    // the second tenant's still open with the old key.
    let (first_tenant, _) = seeded[0];
    let changed = rotate::rotate_tenant(&app.db, &rotating, first_tenant)
        .await
        .unwrap();
    assert_eq!(changed, 2);
    for &(tenant, id) in &seeded {
        let expected = if tenant == first_tenant {
            key_version(&new_key)
        } else {
            old_version
        };
        assert_eq!(version_of(&app, id).await, expected);
        assert!(
            open_with(&app, &rotating, id).await.is_ok(),
            "readable mid-rotation"
        );
    }
    let (_, second_tenant_integration) = seeded[2];
    assert!(open_with(&app, &old_only, second_tenant_integration)
        .await
        .is_ok());

    // Resuming does only what is left.
    let mut reported = Vec::new();
    let total = rotate::rotate_all(&app.db, &rotating, |tenant, n| {
        reported.push((tenant.to_string(), n))
    })
    .await
    .unwrap();
    assert_eq!(total, 2, "{reported:?}");
    assert!(reported.contains(&("acme".to_string(), 0)), "{reported:?}");
    assert!(
        reported.contains(&("globex".to_string(), 2)),
        "{reported:?}"
    );

    // Finished: the new key alone opens everything; the old one opens nothing.
    for &(_, id) in &seeded {
        let secret = open_with(&app, &new_only, id).await.unwrap();
        assert!(secret.ends_with("-secret-of-acme") || secret.ends_with("-secret-of-globex"));
        assert_eq!(
            open_with(&app, &old_only, id).await,
            Err(CryptoError::UnknownKey(key_version(&new_key)))
        );
    }
    let again = rotate::rotate_all(&app.db, &rotating, |_, _| {})
        .await
        .unwrap();
    assert_eq!(again, 0, "a finished rotation has nothing left to do");
}

/// The key the app encrypts with: from the environment (PostgreSQL) or the data dir.
fn current_key(app: &TestApp) -> MasterKey {
    match &app.master_key {
        Some(encoded) => MasterKey::parse_base64(encoded).unwrap(),
        None => {
            let text = std::fs::read_to_string(app.data_dir.path().join("master.key")).unwrap();
            MasterKey::parse_base64(&text).unwrap()
        }
    }
}

async fn the_cli_rotates_and_installs_the_new_key(db: Db) {
    let app = spawn_app(db).await;
    let seeded = seed(&app).await;
    let hub = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_hub"))
            .args(args)
            .envs(app.cli_env())
            .output()
            .unwrap();
        (
            output.status.code().unwrap(),
            String::from_utf8_lossy(&output.stdout).to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };

    // A malformed key file is refused in one line, and nothing changes.
    let bad = app.data_dir.path().join("bad.key");
    std::fs::write(&bad, "not a key").unwrap();
    let (code, _, stderr) = hub(&["rotate-key", "--new-key-file", bad.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(stderr.contains("--new-key-file:"), "{stderr}");
    assert!(stderr.contains("openssl rand -base64 32"), "{stderr}");
    assert_eq!(
        version_of(&app, seeded[0].1).await,
        app.keyring.current_version()
    );

    let new_key_file = app.data_dir.path().join("new.key");
    let encoded = base64::engine::general_purpose::STANDARD.encode(NEW_KEY);
    std::fs::write(&new_key_file, format!("{encoded}\n")).unwrap();
    let (code, stdout, stderr) = hub(&[
        "rotate-key",
        "--new-key-file",
        new_key_file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("4 secrets now use key"), "{stdout}");
    assert!(
        !stdout.contains(&encoded) && !stderr.contains(&encoded),
        "the key is never printed"
    );

    let new_only = Keyring::new(&MasterKey(NEW_KEY));
    for &(_, id) in &seeded {
        assert!(open_with(&app, &new_only, id).await.is_ok());
    }
    if app.master_key.is_some() {
        assert!(
            stdout.contains("set HUB_MASTER_KEY to the new key"),
            "{stdout}"
        );
    } else {
        // The data-dir key was replaced (still private), so a restart uses it.
        let key_path = app.data_dir.path().join("master.key");
        let installed = std::fs::read_to_string(&key_path).unwrap();
        assert_eq!(installed.trim(), encoded);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
