//! Checking a configuration form against the provider's field schema: every
//! problem is reported next to its field, and nothing is saved until all pass.

use std::collections::BTreeMap;

use app::domain::catalog::FieldKind;
use app::domain::{AppError, FieldError};

use crate::catalog::{Field, Provider};
use crate::connections::Credentials;

/// The credentials and settings a valid form stands for.
pub struct CheckedForm {
    pub credentials: Credentials,
    pub config: BTreeMap<String, String>,
}

/// Checks `values` (what the form sent) on top of what is stored. An empty
/// secret keeps the stored one.
pub fn check(
    provider: &Provider,
    stored: &Credentials,
    stored_config: &BTreeMap<String, String>,
    values: &BTreeMap<String, String>,
) -> Result<CheckedForm, AppError> {
    let mut errors = Vec::new();
    let mut credentials = stored.clone();
    for field in provider.auth.fields() {
        let value = values.get(&field.key).map(|v| v.trim()).unwrap_or_default();
        if value.is_empty() {
            if field.secret && stored.contains(&field.key) {
                continue;
            }
            if field.required {
                errors.push(FieldError::new(
                    &field.key,
                    format!("Enter the {}.", in_sentence(&field.label)),
                ));
            } else {
                credentials.remove(&field.key);
            }
            continue;
        }
        match check_value(provider, field, value) {
            Ok(()) => credentials.set(field.key.clone(), value.to_string()),
            Err(message) => errors.push(FieldError::new(&field.key, message)),
        }
    }
    let mut config = stored_config.clone();
    for field in &provider.config {
        let value = values.get(&field.key).map(|v| v.trim()).unwrap_or_default();
        if value.is_empty() {
            if field.required {
                errors.push(FieldError::new(
                    &field.key,
                    format!("Enter the {}.", in_sentence(&field.label)),
                ));
            } else {
                config.remove(&field.key);
            }
            continue;
        }
        match check_value(provider, field, value) {
            Ok(()) => {
                config.insert(field.key.clone(), value.to_string());
            }
            Err(message) => errors.push(FieldError::new(&field.key, message)),
        }
    }
    if errors.is_empty() {
        Ok(CheckedForm {
            credentials,
            config,
        })
    } else {
        Err(AppError::Validation(errors))
    }
}

/// A label inside a sentence: "Auth token" → "auth token", but "API key" stays.
fn in_sentence(label: &str) -> String {
    let mut chars = label.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            first.to_lowercase().chain(label.chars().skip(1)).collect()
        }
        _ => label.to_string(),
    }
}

fn check_value(provider: &Provider, field: &Field, value: &str) -> Result<(), String> {
    let example = field
        .placeholder
        .as_deref()
        .map(|p| format!(" It should look like {p}."))
        .unwrap_or_default();
    match field.kind {
        FieldKind::Email if !value.contains('@') => {
            return Err(format!(
                "Enter an email address for the {}.",
                in_sentence(&field.label)
            ))
        }
        FieldKind::Url if url::Url::parse(value).is_err() => {
            return Err(format!(
                "Enter a full address starting with https://.{example}"
            ))
        }
        FieldKind::Number if value.parse::<u64>().is_err() => {
            return Err("Enter a whole number.".into())
        }
        FieldKind::Select if !field.options.iter().any(|o| o == value) => {
            return Err(format!("Choose one of: {}.", field.options.join(", ")))
        }
        _ => {}
    }
    if let Some(pattern) = &field.pattern {
        let anchored = format!("^(?:{pattern})$");
        let matches = regex::Regex::new(&anchored)
            .map(|re| re.is_match(value))
            .unwrap_or(true);
        if !matches {
            return Err(format!(
                "This does not look like a {} {}.{example} Copy it again from {}.",
                provider.name,
                in_sentence(&field.label),
                provider.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn required_and_pattern_errors_name_their_fields() {
        let catalog = Catalog::builtin().unwrap();
        let twilio = catalog.provider("twilio").unwrap();
        let err = check(
            twilio,
            &Credentials::default(),
            &BTreeMap::new(),
            &form(&[("account_sid", "AC123")]),
        )
        .err()
        .unwrap();
        assert_eq!(
            err.field_message("auth_token"),
            Some("Enter the auth token.")
        );
        assert!(err
            .field_message("account_sid")
            .unwrap()
            .contains("does not look like a Twilio account SID"));
        assert!(
            err.field_message("from_number").is_none(),
            "optional and empty is fine"
        );
    }

    #[test]
    fn an_empty_secret_keeps_the_stored_one() {
        let catalog = Catalog::builtin().unwrap();
        let sendgrid = catalog.provider("sendgrid").unwrap();
        let mut stored = Credentials::default();
        stored.set(
            "api_key",
            "SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        );
        let checked = check(
            sendgrid,
            &stored,
            &BTreeMap::new(),
            &form(&[("api_key", "")]),
        )
        .unwrap();
        assert_eq!(checked.credentials, stored);
        let err = check(
            sendgrid,
            &Credentials::default(),
            &BTreeMap::new(),
            &form(&[("api_key", "")]),
        )
        .err()
        .unwrap();
        assert_eq!(err.field_message("api_key"), Some("Enter the API key."));
    }
}
