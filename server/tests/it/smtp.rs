//! SMTP *Test connection* talks real SMTP: against a server that offers no
//! STARTTLS it refuses to send the password in the clear, and an address
//! where nothing listens is reported as such. (The sandbox has no mail
//! server with a trusted certificate, so the successful login is not
//! exercised here.)

use std::time::Duration;

use app::domain::auth::Role;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::{spawn_app, Browser, Db};
use crate::on_both_databases;

on_both_databases!(smtp_without_starttls_or_listener_fails_in_words);

/// A server that greets, answers EHLO without STARTTLS and records what it heard.
async fn plain_smtp_server() -> (u16, tokio::task::JoinHandle<Vec<String>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut heard = Vec::new();
        let Ok(Ok((socket, _))) =
            tokio::time::timeout(Duration::from_secs(15), listener.accept()).await
        else {
            return heard;
        };
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write
            .write_all(b"220 mail.sandbox.example ESMTP\r\n")
            .await
            .unwrap();
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(Duration::from_secs(5), lines.next_line()).await
        {
            heard.push(line.clone());
            let upper = line.to_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-mail.sandbox.example\r\n250 AUTH PLAIN LOGIN\r\n"
            } else if upper.starts_with("QUIT") {
                b"221 bye\r\n"
            } else {
                b"502 not implemented\r\n"
            };
            if write.write_all(reply).await.is_err() || upper.starts_with("QUIT") {
                break;
            }
        }
        heard
    });
    (port, task)
}

async fn test_smtp(admin: &Browser, id: i64, port: u16) -> Value {
    admin
        .client
        .post(format!("{}/api/integrations/test", admin.base()))
        .json(&json!({ "id": id, "values": {
            "host": "127.0.0.1", "port": port.to_string(), "username": "mailer",
            "password": "smtp-secret-password", "from_address": "hub@acme.test" } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn smtp_without_starttls_or_listener_fails_in_words(db: Db) {
    let app = spawn_app(db).await;
    let (admin, _) = app.signed_in("acme", "al@acme.test", Role::Admin).await;
    let started: Value = admin
        .server_fn("integrations/start", &[("provider", "smtp")])
        .await
        .json()
        .await
        .unwrap();
    let id = started["id"].as_i64().unwrap();

    let (port, server) = plain_smtp_server().await;
    let test = test_smtp(&admin, id, port).await;
    assert_eq!(test["ok"], false, "{test}");
    let message = test["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("Could not sign in to SMTP at 127.0.0.1:{port}")),
        "{message}"
    );
    let heard = server.await.unwrap();
    assert!(
        heard.iter().any(|l| l.to_uppercase().starts_with("EHLO")),
        "a real EHLO: {heard:?}"
    );
    assert!(
        !heard.iter().any(|l| l.to_uppercase().starts_with("AUTH")),
        "no password without TLS: {heard:?}"
    );

    // Nothing listens on this port any more.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let test = test_smtp(&admin, id, closed).await;
    assert_eq!(test["ok"], false);
    assert!(
        test["message"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{closed}")),
        "{test}"
    );
}
