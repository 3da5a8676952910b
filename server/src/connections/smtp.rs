//! SMTP *Test connection*: a real EHLO, STARTTLS (or implicit TLS on 465)
//! and AUTH with the server, without sending mail.

use std::collections::BTreeMap;
use std::time::Duration;

use app::domain::integrations::ConnectionTest;
use lettre::transport::smtp::authentication::Credentials as SmtpCredentials;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use crate::catalog::Provider;

pub async fn check(provider: &Provider, values: &BTreeMap<String, String>) -> ConnectionTest {
    let fail = |message: String| ConnectionTest { ok: false, message };
    let get = |key: &str| {
        values
            .get(key)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let host = get("host");
    let port: u16 = match get("port").parse() {
        Ok(port) if port > 0 => port,
        _ => return fail("The port must be a number such as 587 or 465.".into()),
    };
    let builder = if port == 465 {
        AsyncSmtpTransport::<Tokio1Executor>::relay(&host)
    } else {
        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)
    };
    let builder = match builder {
        Ok(builder) => builder,
        Err(err) => return fail(format!("{host} cannot be used for TLS: {err}.")),
    };
    let transport: AsyncSmtpTransport<Tokio1Executor> = builder
        .port(port)
        .timeout(Some(Duration::from_secs(10)))
        .credentials(SmtpCredentials::new(get("username"), get("password")))
        .build();
    match transport.test_connection().await {
        Ok(true) => ConnectionTest {
            ok: true,
            message: format!("Connected: {host}:{port} accepted the TLS handshake and the login."),
        },
        Ok(false) => fail(format!(
            "{host}:{port} did not answer the way an SMTP server does."
        )),
        Err(err) => {
            let why = if err.is_permanent() {
                "the server refused the login (wrong username or password?)".to_string()
            } else if err.is_timeout() {
                "it did not answer within 10 seconds".to_string()
            } else if err.is_tls() {
                "the TLS handshake failed (check the port: 587 uses STARTTLS, 465 implicit TLS)"
                    .to_string()
            } else {
                format!("{err}")
            };
            fail(format!(
                "Could not sign in to {} at {host}:{port}: {why}.",
                provider.name
            ))
        }
    }
}
