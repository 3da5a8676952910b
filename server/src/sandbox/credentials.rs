//! The credentials the sandbox accepts for each provider that connects with
//! a key (documented on `/sandbox` and in the README). Any other well-formed
//! key is refused with the provider's own error shape.

use std::collections::BTreeMap;

/// (provider, field, value). Values match the catalog's field patterns (a unit test checks).
const SANDBOX_CREDENTIALS: &[(&str, &str, &str)] = &[
    (
        "sendgrid",
        "api_key",
        "SG.sandbox-sendgrid-key.sandbox-sendgrid-secret-0000000000001",
    ),
    ("mailgun", "api_key", "key-5a11dbbc5a11dbbc5a11dbbc5a11dbbc"),
    ("mailgun", "domain", "mg.sandbox.example"),
    ("mailgun", "api_host", "api.mailgun.net"),
    ("amazon_ses", "access_key_id", "AKIASANDBOXEXAMPLE01"),
    (
        "amazon_ses",
        "secret_access_key",
        "sandboxSecretAccessKeyForTheHub000000001",
    ),
    ("amazon_ses", "region", "eu-west-1"),
    ("amazon_sns", "access_key_id", "AKIASANDBOXEXAMPLE02"),
    (
        "amazon_sns",
        "secret_access_key",
        "sandboxSecretAccessKeyForTheHub000000002",
    ),
    ("amazon_sns", "region", "us-east-1"),
    (
        "activecampaign",
        "account_url",
        "https://sandbox.api-us1.com",
    ),
    (
        "activecampaign",
        "api_key",
        "5a11dbbc5a11dbbc5a11dbbc5a11dbbc5a11dbbc5a11dbbc5a11dbbc5a11dbbc5a11dbbc",
    ),
    (
        "twilio",
        "account_sid",
        "AC5a11dbbc5a11dbbc5a11dbbc5a11dbbc",
    ),
    ("twilio", "auth_token", "5a11dbbc5a11dbbc5a11dbbc5a11dbbc"),
    ("vonage", "api_key", "5a11dbbc"),
    ("vonage", "api_secret", "Sandbox5a11dbbc0"),
    ("plivo", "auth_id", "MASANDBOX5A11DBBC000"),
    (
        "plivo",
        "auth_token",
        "Sandbox5a11dbbc5a11dbbc5a11dbbc5a11dbbc0",
    ),
    (
        "whatsapp",
        "access_token",
        "EAASandboxWhatsAppCloudApiAccessTokenForTheHub0001",
    ),
    ("whatsapp", "phone_number_id", "100000000000001"),
    ("wordpress", "site_url", "https://sandbox.example"),
    ("wordpress", "username", "sandbox"),
    (
        "wordpress",
        "application_password",
        "abcd EFGH ijkl MNOP qrst UVWX",
    ),
    ("stripe", "secret_key", "sk_test_sandbox5a11dbbc5a11dbbc"),
    ("zendesk", "subdomain", "sandbox"),
    ("zendesk", "email", "agent@sandbox.example"),
    (
        "zendesk",
        "api_token",
        "Sandbox5a11dbbc5a11dbbc5a11dbbc5a11dbbc0",
    ),
    ("shopify", "shop", "sandbox-store.myshopify.com"),
    (
        "shopify",
        "access_token",
        "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",
    ),
    ("custom", "base_url", "https://api.sandbox.example/v1"),
    ("custom", "header_name", "Authorization"),
    ("custom", "api_key", "Bearer sandbox-custom-api-key"),
];

/// The sandbox's credentials of `provider`, by field.
pub fn for_provider(provider: &str) -> BTreeMap<String, String> {
    SANDBOX_CREDENTIALS
        .iter()
        .filter(|(p, _, _)| *p == provider)
        .map(|(_, field, value)| (field.to_string(), value.to_string()))
        .collect()
}

pub fn providers() -> Vec<&'static str> {
    let mut providers: Vec<&str> = SANDBOX_CREDENTIALS.iter().map(|(p, _, _)| *p).collect();
    providers.dedup();
    providers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Auth, Catalog};

    #[test]
    fn every_key_provider_has_sandbox_credentials_that_pass_its_form() {
        let catalog = Catalog::builtin().unwrap();
        for provider in catalog.providers() {
            let fields = match &provider.auth {
                Auth::ApiKey { fields } | Auth::Basic { fields } => fields,
                _ => continue,
            };
            let credentials = for_provider(&provider.key);
            for field in fields.iter().filter(|f| f.required) {
                let value = credentials
                    .get(&field.key)
                    .unwrap_or_else(|| panic!("{}: sandbox value for {}", provider.key, field.key));
                if let Some(pattern) = &field.pattern {
                    let re = regex::Regex::new(&format!("^(?:{pattern})$")).unwrap();
                    assert!(
                        re.is_match(value),
                        "{}.{} = {value} matches {pattern}",
                        provider.key,
                        field.key
                    );
                }
            }
        }
    }
}
