//! Parsing user input at the edge into types that are valid by construction
//! ("parse, don't validate"). Shared by the server and the browser, so a form
//! can say what is wrong before it is sent, with the same words.

use serde::{Deserialize, Serialize};

/// A normalised email address (trimmed, lower case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Email, String> {
        let value = value.trim().to_lowercase();
        if value.is_empty() {
            return Err("Enter an email address.".into());
        }
        let valid = value.len() <= 254
            && !value.chars().any(|c| c.is_whitespace() || c.is_control())
            && match value.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if valid {
            Ok(Email(value))
        } else {
            Err(format!(
                "'{value}' is not an email address; it should look like ana@example.com."
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A person's or workspace's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(value: &str, what: &str) -> Result<DisplayName, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("Enter {what}."));
        }
        if value.chars().count() > 100 {
            return Err(format!("Keep {what} under 100 characters."));
        }
        if value.chars().any(char::is_control) {
            return Err("Remove the control characters (tabs, line breaks).".into());
        }
        Ok(DisplayName(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The URL name of a workspace: `acme-sales`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slug(String);

impl Slug {
    pub fn parse(value: &str) -> Result<Slug, String> {
        let value = value.trim().to_lowercase();
        if value.len() < 2 || value.len() > 40 {
            return Err("Use 2 to 40 characters for the URL name.".into());
        }
        let valid = value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if valid {
            Ok(Slug(value))
        } else {
            Err(
                "Use lower-case letters, digits and dashes (not at the start or end), like acme-sales."
                    .into(),
            )
        }
    }

    /// A slug suggested from a display name: "Acme Sales, Inc." → "acme-sales-inc".
    pub fn suggest(name: &str) -> String {
        let mut slug = String::new();
        for c in name.trim().to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        slug.trim_end_matches('-').chars().take(40).collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A new password. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

pub const MIN_PASSWORD_LEN: usize = 10;

impl NewPassword {
    pub fn parse(value: &str) -> Result<NewPassword, String> {
        let length = value.chars().count();
        if length < MIN_PASSWORD_LEN {
            return Err(format!(
                "Use at least {MIN_PASSWORD_LEN} characters for the password."
            ));
        }
        if length > 256 {
            return Err("Keep the password under 256 characters.".into());
        }
        if value.trim().is_empty() {
            return Err("The password cannot be only spaces.".into());
        }
        Ok(NewPassword(value.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(••••)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "ana@@x.com",
            "ana@x..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(Slug::parse("Acme-Sales").unwrap().as_str(), "acme-sales");
        for bad in ["a", "-acme", "acme-", "acme sales", "acmé"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Slug::suggest("Acme Sales, Inc."), "acme-sales-inc");
    }

    #[test]
    fn passwords_have_a_minimum_length_and_hide_in_debug() {
        assert!(NewPassword::parse("short").is_err());
        let password = NewPassword::parse("correct horse battery").unwrap();
        assert_eq!(format!("{password:?}"), "NewPassword(••••)");
    }

    #[test]
    fn names_are_required() {
        assert_eq!(
            DisplayName::parse("  ", "your name").unwrap_err(),
            "Enter your name."
        );
        assert_eq!(DisplayName::parse(" Ana ", "x").unwrap().as_str(), "Ana");
    }
}
