use std::collections::BTreeMap;

use app::domain::catalog::Availability;

use super::*;

fn builtin() -> Catalog {
    Catalog::builtin().expect("the shipped catalog is valid")
}

/// SPEC §3, category by category: (category key, provider name, available).
const SPEC_PROVIDERS: &[(&str, &str, bool)] = &[
    ("crm", "Salesforce", true),
    ("crm", "HubSpot", true),
    ("crm", "Zoho CRM", true),
    ("crm", "Pipedrive", true),
    ("crm", "GoHighLevel", true),
    ("crm", "Microsoft Dynamics 365", false),
    ("email", "Gmail", true),
    ("email", "Microsoft Outlook", true),
    ("email", "SendGrid", true),
    ("email", "Mailgun", true),
    ("email", "Amazon SES", true),
    ("email", "SMTP", true),
    ("marketing", "Mailchimp", true),
    ("marketing", "ActiveCampaign", true),
    ("marketing", "HubSpot Marketing", true),
    ("messaging", "Twilio", true),
    ("messaging", "Vonage", true),
    ("messaging", "Plivo", true),
    ("messaging", "Amazon SNS", true),
    ("messaging", "WhatsApp Business", true),
    ("messaging", "Slack", true),
    ("messaging", "Microsoft Teams", true),
    ("messaging", "Discord", false),
    ("forms", "Typeform", true),
    ("forms", "Google Forms", true),
    ("forms", "Sign-up pages", true),
    ("forms", "Facebook Lead Ads & Messenger", true),
    ("websites", "WordPress", true),
    ("websites", "Webflow", true),
    ("advertising", "Google Ads", true),
    ("advertising", "Facebook Ads", true),
    ("advertising", "LinkedIn Ads", false),
    ("advertising", "X Ads", false),
    ("analytics", "Google Analytics", true),
    ("payments", "Stripe", true),
    ("payments", "QuickBooks", true),
    ("support", "Zendesk", true),
    ("support", "Jira", true),
    ("ecommerce", "Shopify", true),
    ("storage", "Google Drive", true),
    ("storage", "Dropbox", true),
    ("storage", "OneDrive", false),
    ("automation", "Zapier", true),
    ("automation", "Custom API", true),
];

#[test]
fn every_spec_provider_is_present_in_its_category_with_its_availability() {
    let catalog = builtin();
    for (category, name, available) in SPEC_PROVIDERS {
        let provider = catalog
            .providers()
            .iter()
            .find(|p| p.name == *name)
            .unwrap_or_else(|| panic!("{name} is in the catalog"));
        assert_eq!(provider.category, *category, "{name}");
        let expected = if *available {
            Availability::Available
        } else {
            Availability::ComingSoon
        };
        assert_eq!(provider.availability, expected, "{name}");
    }
    assert_eq!(
        catalog.providers().len(),
        SPEC_PROVIDERS.len(),
        "nothing beyond SPEC §3"
    );
    assert_eq!(catalog.categories().len(), 13);
}

#[test]
fn every_oauth_provider_has_authorize_and_token_urls() {
    for provider in builtin().providers() {
        if let Auth::Oauth2(oauth) = &provider.auth {
            for url in [&oauth.authorize_url, &oauth.token_url] {
                assert_eq!(url.scheme(), "https", "{}: {url}", provider.key);
                assert!(
                    url.host_str().is_some_and(|h| h.contains('.')),
                    "{}: {url}",
                    provider.key
                );
            }
        }
    }
}

#[test]
fn every_credential_schema_has_a_required_field() {
    for provider in builtin().providers() {
        if let Auth::ApiKey { fields } | Auth::Basic { fields } | Auth::Smtp { fields } =
            &provider.auth
        {
            assert!(fields.iter().any(|f| f.required), "{}", provider.key);
        }
    }
}

#[test]
fn the_contact_providers_of_the_sync_engine_have_a_contacts_resource() {
    let catalog = builtin();
    for key in [
        "salesforce",
        "hubspot",
        "zoho_crm",
        "pipedrive",
        "gohighlevel",
        "activecampaign",
        "mailchimp",
        "sendgrid",
        "gmail",
        "outlook",
        "typeform",
        "google_forms",
        "stripe",
        "shopify",
        "zendesk",
    ] {
        let provider = catalog.provider(key).unwrap();
        let contacts = provider.resources.iter().find(|r| r.key == "contacts");
        assert!(
            contacts.is_some_and(|r| r.mapping.contains_key("email")),
            "{key}"
        );
    }
}

#[test]
fn summaries_carry_no_endpoints_or_secrets() {
    let (categories, providers) = builtin().summaries();
    assert_eq!(categories.len(), 13);
    let json = serde_json::to_string(&providers).unwrap();
    for leak in [
        "oauth2/token",
        "token_url",
        "api.hubapi.com",
        "client_secret",
        "authorize",
    ] {
        assert!(!json.contains(leak), "summaries leak {leak}");
    }
    let sendgrid = builtin().provider("sendgrid").unwrap().summary();
    let json = serde_json::to_string(&sendgrid).unwrap();
    assert!(
        !json.contains("api.sendgrid.com"),
        "the summary leaks the API"
    );
    assert_eq!(sendgrid.credential_fields[0].key, "api_key");
    assert!(sendgrid.credential_fields[0].secret);
}

#[test]
fn overrides_replace_base_urls_and_oauth_endpoints() {
    let mut env = BTreeMap::new();
    env.insert(
        "HUB_PROVIDER_HUBSPOT_BASE_URL",
        "https://hubspot.internal.example/",
    );
    env.insert(
        "HUB_PROVIDER_ZOHO_CRM_TOKEN_URL",
        "https://accounts.zoho.eu/oauth/v2/token",
    );
    env.insert(
        "HUB_PROVIDER_SALESFORCE_AUTHORIZE_URL",
        "https://test.salesforce.com/services/oauth2/authorize",
    );
    let catalog = builtin()
        .with_overrides(|name| env.get(name).map(|v| v.to_string()))
        .unwrap();
    assert_eq!(
        catalog
            .provider("hubspot")
            .unwrap()
            .api
            .as_ref()
            .unwrap()
            .base_url,
        "https://hubspot.internal.example"
    );
    let Auth::Oauth2(zoho) = &catalog.provider("zoho_crm").unwrap().auth else {
        panic!()
    };
    assert_eq!(
        zoho.token_url.as_str(),
        "https://accounts.zoho.eu/oauth/v2/token"
    );
    let Auth::Oauth2(salesforce) = &catalog.provider("salesforce").unwrap().auth else {
        panic!()
    };
    assert_eq!(
        salesforce.authorize_url.host_str(),
        Some("test.salesforce.com")
    );

    let err = builtin()
        .with_overrides(|name| {
            (name == "HUB_PROVIDER_SLACK_TOKEN_URL").then(|| "not a url".to_string())
        })
        .unwrap_err();
    assert_eq!(err.provider, "slack");
    assert_eq!(err.field, "HUB_PROVIDER_SLACK_TOKEN_URL");
}

#[test]
fn the_sandbox_takes_every_endpoint_keeping_api_paths() {
    let public = url::Url::parse("http://127.0.0.1:3000/").unwrap();
    let catalog = builtin().pointed_at_sandbox(&public);
    let salesforce = catalog.provider("salesforce").unwrap();
    assert_eq!(
        salesforce.api.as_ref().unwrap().base_url,
        "http://127.0.0.1:3000/sandbox/salesforce/services/data/v60.0"
    );
    let Auth::Oauth2(oauth) = &salesforce.auth else {
        panic!()
    };
    assert_eq!(
        oauth.token_url.as_str(),
        "http://127.0.0.1:3000/sandbox/salesforce/oauth/token"
    );
    assert_eq!(
        oauth.revoke_url.as_ref().unwrap().as_str(),
        "http://127.0.0.1:3000/sandbox/salesforce/oauth/revoke"
    );
    assert_eq!(
        catalog
            .provider("mailchimp")
            .unwrap()
            .api
            .as_ref()
            .unwrap()
            .base_url,
        "http://127.0.0.1:3000/sandbox/mailchimp/3.0"
    );
    assert_eq!(
        catalog
            .provider("zendesk")
            .unwrap()
            .api
            .as_ref()
            .unwrap()
            .base_url,
        "http://127.0.0.1:3000/sandbox/zendesk/api/v2"
    );
    assert_eq!(
        catalog
            .provider("custom")
            .unwrap()
            .api
            .as_ref()
            .unwrap()
            .base_url,
        "http://127.0.0.1:3000/sandbox/custom"
    );
    for provider in catalog.providers() {
        if let Some(api) = &provider.api {
            assert!(
                api.base_url.starts_with("http://127.0.0.1:3000/sandbox/"),
                "{}",
                provider.key
            );
        }
    }
}

/// The shipped catalog with `from` replaced by `to` once.
fn broken(from: &str, to: &str) -> CatalogError {
    assert!(PROVIDERS_TOML.contains(from), "fixture text exists: {from}");
    Catalog::parse(&PROVIDERS_TOML.replacen(from, to, 1)).unwrap_err()
}

#[test]
fn a_broken_entry_names_the_provider_and_field() {
    let err = broken(
        "gradient = [\"#00A1E0\", \"#032D60\"]",
        "gradient = [\"blue\", \"#032D60\"]",
    );
    assert_eq!(
        (err.provider.as_str(), err.field.as_str()),
        ("salesforce", "gradient[0]")
    );

    let err = broken(
        "category = \"crm\"\nemoji = \"🟠\"",
        "category = \"sales\"\nemoji = \"🟠\"",
    );
    assert_eq!(
        (err.provider.as_str(), err.field.as_str()),
        ("hubspot", "category")
    );

    let err = broken("pattern = \"^SG\\\\.", "pattern = \"^SG\\\\.(");
    assert_eq!(err.provider, "sendgrid");
    assert_eq!(err.field, "auth.fields[0].pattern");

    let err = broken(
        "base_url = \"{api_domain}/crm/v6\"",
        "base_url = \"{apidomain}/crm/v6\"",
    );
    assert_eq!(
        (err.provider.as_str(), err.field.as_str()),
        ("zoho_crm", "api.base_url")
    );
    assert!(err.problem.contains("{apidomain}"));

    let err = broken(
        "mapping = { email = \"Email\", first_name = \"FirstName\"",
        "mapping = { mail = \"Email\", first_name = \"FirstName\"",
    );
    assert_eq!(err.provider, "salesforce");
    assert!(
        err.field.starts_with("resources[0].mapping"),
        "{}",
        err.field
    );

    let err = broken("verify = { path = \"/scopes\" }\n", "\n");
    assert_eq!(
        (err.provider.as_str(), err.field.as_str()),
        ("sendgrid", "api.verify")
    );

    // A typo in a key is an error, not a silently ignored setting.
    let err = broken(
        "token_fields = [\"instance_url\"]",
        "token_feilds = [\"instance_url\"]",
    );
    assert_eq!(err.provider, "catalog");
    assert!(err.problem.contains("token_feilds"), "{}", err.problem);
    assert!(err.field.starts_with("line "), "{}", err.field);
    assert!(err
        .to_string()
        .starts_with("provider catalog: catalog: line "));
}
