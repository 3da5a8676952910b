//! Password hashing with Argon2id (OWASP parameters, the `argon2` crate's
//! defaults), off the async runtime and behind a small semaphore so sign-ins
//! never stall other requests.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use tokio::sync::Semaphore;

/// How many hashes may run at once: half the cores (at least one), so
/// sign-in bursts always leave CPU for the rest of the hub. Each hash takes
/// ~19 MiB and one core for tens of milliseconds.
fn concurrent_hashes() -> usize {
    std::thread::available_parallelism()
        .map(|n| (n.get() / 2).max(1))
        .unwrap_or(1)
}

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified against when the account does not exist, so an unknown email
    /// costs the same time as a wrong password.
    decoy_hash: Arc<str>,
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task ended unexpectedly")]
    Join,
}

impl Passwords {
    pub fn new() -> Result<Self, PasswordError> {
        let decoy_hash = hash_now("decoy password that matches no account")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrent_hashes())),
            decoy_hash: decoy_hash.into(),
        })
    }

    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let password = password.to_owned();
        self.blocking(move || hash_now(&password)).await?
    }

    /// Whether `password` matches `hash`; with `hash = None` (no such account)
    /// checks against the decoy and answers false, taking the same time.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, PasswordError> {
        let password = password.to_owned();
        let exists = hash.is_some();
        let hash = hash
            .map(str::to_owned)
            .unwrap_or_else(|| self.decoy_hash.to_string());
        let matches = self
            .blocking(move || {
                Argon2::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok()
            })
            .await?;
        Ok(exists && matches)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Join)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| PasswordError::Join)
    }
}

fn hash_now(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let passwords = Passwords::new().unwrap();
        let hash = passwords.hash("correct horse battery").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(passwords
            .verify("correct horse battery", Some(&hash))
            .await
            .unwrap());
        assert!(!passwords
            .verify("wrong horse battery", Some(&hash))
            .await
            .unwrap());
        assert!(!passwords
            .verify("decoy password that matches no account", None)
            .await
            .unwrap());
    }
}
