//! Nothing about a password, a session id or an API token reaches the logs,
//! even at debug level; every sign-in attempt does.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{Browser, PASSWORD};

fn hub(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hub"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("HUB_PUBLIC_URL")
        .env_remove("RUST_LOG")
        .env("HUB_DATA_DIR", data_dir)
        .env("HUB_LOG", "debug");
    command
}

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let cli_log = {
        let mut child = hub(dir.path())
            .args([
                "user",
                "create",
                "--tenant",
                "acme",
                "--email",
                "ana@acme.test",
                "--role",
                "owner",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let token_output = hub(dir.path())
        .args([
            "token",
            "create",
            "--email",
            "ana@acme.test",
            "--name",
            "Logs",
        ])
        .output()
        .unwrap();
    assert!(token_output.status.success());
    let cli_token = String::from_utf8_lossy(&token_output.stdout)
        .trim()
        .to_string();
    assert!(cli_token.starts_with("hub_"), "{cli_token}");
    let token_stderr = String::from_utf8_lossy(&token_output.stderr).to_string();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log_path = dir.path().join("hub.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let mut server = hub(dir.path())
        .arg("serve")
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .stderr(log_file)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "hub starts");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let browser = Browser::new(&base);
    assert_eq!(
        browser
            .sign_in("ana@acme.test", "a wrong password")
            .await
            .status(),
        401
    );
    assert_eq!(
        browser.sign_in("ana@acme.test", PASSWORD).await.status(),
        303
    );
    let session = browser.session_cookie().unwrap();
    let created: serde_json::Value = browser
        .server_fn(
            "tokens/create",
            &[("name", "Web"), ("expires_in_days", "30")],
        )
        .await
        .json()
        .await
        .unwrap();
    let web_token = created["token"].as_str().unwrap().to_string();
    for token in [&web_token, &cli_token] {
        let me = reqwest::Client::new()
            .get(format!("{base}/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200);
    }
    assert_eq!(browser.post_form("/logout", &[]).await.status(), 303);

    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    let server_log = std::fs::read_to_string(&log_path).unwrap();

    assert!(
        server_log.contains("sign-in attempt"),
        "attempts are logged"
    );
    assert!(server_log.contains("outcome=\"failure\"") || server_log.contains("outcome=failure"));
    for (what, secret) in [
        ("password", PASSWORD),
        ("wrong password", "a wrong password"),
        ("session id", session.as_str()),
        ("web token", web_token.as_str()),
        ("CLI token", cli_token.as_str()),
    ] {
        for (name, log) in [
            ("server", &server_log),
            ("cli", &cli_log),
            ("token cli", &token_stderr),
        ] {
            assert!(!log.contains(secret), "the {name} log holds the {what}");
        }
    }
}
