//! `/sandbox`: what the sandbox emulates and the credentials it accepts.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use super::{credentials, escape};
use crate::catalog::Auth;
use crate::startup::AppState;

pub async fn index(State(state): State<AppState>) -> Response {
    let mut oauth = String::new();
    let mut keys = String::new();
    for provider in state.catalog.providers() {
        match &provider.auth {
            Auth::Oauth2(_) => oauth.push_str(&format!(
                "<li>{} {}</li>",
                escape(&provider.emoji),
                escape(&provider.name)
            )),
            Auth::ApiKey { fields } | Auth::Basic { fields } => {
                let values = credentials::for_provider(&provider.key);
                let rows: String = fields
                    .iter()
                    .filter_map(|f| values.get(&f.key).map(|v| (f, v)))
                    .map(|(f, v)| {
                        format!(
                            "<tr><td>{}</td><td><code>{}</code></td></tr>",
                            escape(&f.label),
                            escape(v)
                        )
                    })
                    .collect();
                keys.push_str(&format!(
                    "<h3>{} {}</h3><table>{rows}</table>",
                    escape(&provider.emoji),
                    escape(&provider.name)
                ));
            }
            _ => {}
        }
    }
    let body = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Provider sandbox</title>
<style>body{{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#0f172a}}
code{{background:#f1f5f9;padding:.1rem .3rem;border-radius:4px}} td{{padding:.2rem .6rem .2rem 0}}
ul{{columns:3}}</style></head><body>
<h1>Provider sandbox</h1>
<p>The hub runs with <code>HUB_SANDBOX=1</code>: every provider endpoint points here, to an emulator of the
provider's OAuth server and API. Nothing leaves this machine.</p>
<h2>OAuth providers</h2><p>Connect them from the hub; their consent page is emulated (Allow or Deny).</p><ul>{oauth}</ul>
<h2>Key-based providers</h2><p>These credentials are accepted; any other well-formed ones are refused with the provider's own error.</p>
{keys}</body></html>"#
    );
    Html(body).into_response()
}
