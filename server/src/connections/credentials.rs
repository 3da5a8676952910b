//! The secret values of one connection — credential fields, OAuth tokens and
//! the token-response fields kept with them — encrypted as one JSON object.

use std::collections::BTreeMap;

use app::domain::integrations::FieldValue;
use serde::{Deserialize, Serialize};

use crate::catalog::Provider;
use crate::crypto::{CryptoError, Keyring, SecretString, Subject};

/// Keys of OAuth values inside the credentials.
pub const ACCESS_TOKEN: &str = "access_token";
pub const REFRESH_TOKEN: &str = "refresh_token";

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Credentials(BTreeMap<String, String>);

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Credentials {
    pub fn get(&self, key: &str) -> Option<SecretString> {
        self.0.get(key).map(|v| SecretString::new(v.clone()))
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.get(key).is_some_and(|v| !v.is_empty())
    }

    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), value.into());
    }

    pub fn remove(&mut self, key: &str) {
        self.0.remove(key);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Everything a request template may use (only inside the server): these
    /// values (credentials, tokens), then the integration's settings where
    /// no credential has the same name.
    pub fn template_values(&self, settings: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut values = self.0.clone();
        for (key, value) in settings {
            values.entry(key.clone()).or_insert_with(|| value.clone());
        }
        values
    }

    /// What the settings form may show: ordinary fields in full, secrets as `••••1234`.
    pub fn for_display(&self, provider: &Provider) -> BTreeMap<String, FieldValue> {
        provider
            .auth
            .fields()
            .iter()
            .filter_map(|field| {
                let value = self.0.get(&field.key)?;
                let shown = if field.secret {
                    FieldValue::Masked(SecretString::new(value.clone()).masked())
                } else {
                    FieldValue::Plain(value.clone())
                };
                Some((field.key.clone(), shown))
            })
            .collect()
    }

    pub fn seal(&self, keyring: &Keyring, subject: Subject<'_>) -> Result<Vec<u8>, CryptoError> {
        let json = serde_json::to_vec(&self.0).map_err(|_| CryptoError::Encrypt)?;
        keyring.encrypt(subject, &json)
    }

    pub fn open(
        keyring: &Keyring,
        subject: Subject<'_>,
        stored: &[u8],
    ) -> Result<Self, CryptoError> {
        let json = keyring.decrypt(subject, stored)?;
        serde_json::from_slice(&json).map_err(|_| CryptoError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MasterKey;

    #[test]
    fn sealed_credentials_open_only_for_their_integration_and_never_print() {
        let keyring = Keyring::new(&MasterKey([3; 32]));
        let subject = Subject {
            tenant_id: 1,
            kind: "integration",
            id: 5,
        };
        let mut credentials = Credentials::default();
        credentials.set("api_key", "SG.abcdefghijklmnop.qrstuvwxyz0123456789");
        let sealed = credentials.seal(&keyring, subject).unwrap();
        assert_eq!(
            Credentials::open(&keyring, subject, &sealed).unwrap(),
            credentials
        );
        assert!(Credentials::open(&keyring, Subject { id: 6, ..subject }, &sealed).is_err());
        assert_eq!(format!("{credentials:?}"), r#"{"api_key"}"#);
    }
}
