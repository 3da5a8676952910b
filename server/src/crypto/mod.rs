//! Secrets at rest: AES-256-GCM with a fresh random 96-bit nonce per
//! encryption and associated data binding each ciphertext to its tenant, its
//! owner row and the key version. Stored as
//! `key version (4 bytes) ‖ nonce (12 bytes) ‖ ciphertext and tag`.
//!
//! A key's version is the first four bytes of its SHA-256, so a ciphertext
//! names the key that opens it without a registry, and `hub rotate-key` can
//! resume: rows still under the old version are the ones left to do.

pub mod master_key;
pub mod rotate;
mod secret;

pub use master_key::{load_or_generate, MasterKeySource};
pub use secret::SecretString;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};

use crate::config::MasterKey;

const VERSION_LEN: usize = 4;
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the stored secret is too short to be a ciphertext")]
    Truncated,
    #[error("the stored secret was encrypted with a key this hub does not have (version {0:08x})")]
    UnknownKey(u32),
    #[error("the stored secret does not decrypt: it was altered or belongs to another record")]
    Decrypt,
    #[error("encryption failed")]
    Encrypt,
}

/// What a ciphertext belongs to; part of the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    pub tenant_id: i64,
    /// The kind of row: "integration", "oauth_app", "webhook_subscription", …
    pub kind: &'a str,
    pub id: i64,
}

impl Subject<'_> {
    fn associated_data(&self, version: u32) -> Vec<u8> {
        format!(
            "hub/v1/{}/{}/{}/{version:08x}",
            self.tenant_id, self.kind, self.id
        )
        .into_bytes()
    }
}

/// The current key (encrypts) and older ones still accepted (decrypt only).
#[derive(Clone)]
pub struct Keyring {
    current: (u32, Aes256Gcm),
    previous: Vec<(u32, Aes256Gcm)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keyring(current: {:08x}, previous: {})",
            self.current.0,
            self.previous.len()
        )
    }
}

/// The version of a key: the first four bytes of its SHA-256.
pub fn key_version(key: &MasterKey) -> u32 {
    let digest = Sha256::digest(key.0);
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn cipher(key: &MasterKey) -> (u32, Aes256Gcm) {
    let cipher = Aes256Gcm::new_from_slice(&key.0).expect("a 32-byte key fits AES-256");
    (key_version(key), cipher)
}

impl Keyring {
    pub fn new(current: &MasterKey) -> Self {
        Self {
            current: cipher(current),
            previous: Vec::new(),
        }
    }

    /// Also accepts ciphertexts made with `older` (during a key rotation).
    pub fn with_previous(mut self, older: &MasterKey) -> Self {
        let (version, cipher) = cipher(older);
        if version != self.current.0 {
            self.previous.push((version, cipher));
        }
        self
    }

    pub fn current_version(&self) -> u32 {
        self.current.0
    }

    pub fn encrypt(&self, subject: Subject<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (version, cipher) = &self.current;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| CryptoError::Encrypt)?;
        let aad = subject.associated_data(*version);
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Encrypt)?;
        let mut out = Vec::with_capacity(VERSION_LEN + NONCE_LEN + sealed.len());
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn decrypt(&self, subject: Subject<'_>, stored: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let version = stored_version(stored)?;
        let cipher = std::iter::once(&self.current)
            .chain(self.previous.iter())
            .find(|(v, _)| *v == version)
            .map(|(_, c)| c)
            .ok_or(CryptoError::UnknownKey(version))?;
        let nonce: [u8; NONCE_LEN] = stored[VERSION_LEN..VERSION_LEN + NONCE_LEN]
            .try_into()
            .map_err(|_| CryptoError::Truncated)?;
        let aad = subject.associated_data(version);
        cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &stored[VERSION_LEN + NONCE_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Decrypt)
    }

    /// Re-encrypts under the current key when `stored` is under an older one.
    pub fn reencrypt(
        &self,
        subject: Subject<'_>,
        stored: &[u8],
    ) -> Result<Option<Vec<u8>>, CryptoError> {
        if stored_version(stored)? == self.current.0 {
            return Ok(None);
        }
        let plaintext = self.decrypt(subject, stored)?;
        self.encrypt(subject, &plaintext).map(Some)
    }
}

/// The key version a stored ciphertext was made with.
pub fn stored_version(stored: &[u8]) -> Result<u32, CryptoError> {
    if stored.len() < VERSION_LEN + NONCE_LEN + 16 {
        return Err(CryptoError::Truncated);
    }
    Ok(u32::from_be_bytes([
        stored[0], stored[1], stored[2], stored[3],
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> MasterKey {
        MasterKey([byte; 32])
    }

    const SUBJECT: Subject<'static> = Subject {
        tenant_id: 7,
        kind: "integration",
        id: 42,
    };

    #[test]
    fn round_trip() {
        let keys = Keyring::new(&key(1));
        let sealed = keys.encrypt(SUBJECT, b"sk_live_secret").unwrap();
        assert_eq!(keys.decrypt(SUBJECT, &sealed).unwrap(), b"sk_live_secret");
        assert_eq!(stored_version(&sealed).unwrap(), key_version(&key(1)));
        assert!(
            !sealed.windows(14).any(|w| w == b"sk_live_secret"),
            "no plain text inside"
        );
    }

    #[test]
    fn two_encryptions_of_one_value_differ() {
        let keys = Keyring::new(&key(1));
        let a = keys.encrypt(SUBJECT, b"same").unwrap();
        let b = keys.encrypt(SUBJECT, b"same").unwrap();
        assert_ne!(a, b);
        assert_ne!(a[4..16], b[4..16], "fresh nonce each time");
    }

    #[test]
    fn tampering_wrong_associated_data_and_wrong_key_fail() {
        let keys = Keyring::new(&key(1));
        let sealed = keys.encrypt(SUBJECT, b"token").unwrap();

        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 0x01;
        assert_eq!(keys.decrypt(SUBJECT, &tampered), Err(CryptoError::Decrypt));

        for other in [
            Subject {
                tenant_id: 8,
                ..SUBJECT
            },
            Subject { id: 43, ..SUBJECT },
            Subject {
                kind: "oauth_app",
                ..SUBJECT
            },
        ] {
            assert_eq!(
                keys.decrypt(other, &sealed),
                Err(CryptoError::Decrypt),
                "{other:?}"
            );
        }

        let stranger = Keyring::new(&key(2));
        assert_eq!(
            stranger.decrypt(SUBJECT, &sealed),
            Err(CryptoError::UnknownKey(key_version(&key(1))))
        );
        // Even a key claiming the same version cannot open it.
        let mut forged = sealed.clone();
        forged[..4].copy_from_slice(&key_version(&key(2)).to_be_bytes());
        assert_eq!(
            stranger.decrypt(SUBJECT, &forged),
            Err(CryptoError::Decrypt)
        );
        assert_eq!(
            keys.decrypt(SUBJECT, &sealed[..10]),
            Err(CryptoError::Truncated)
        );
    }

    #[test]
    fn rotation_reencrypts_and_old_ciphertexts_open_until_it_finishes() {
        let old = Keyring::new(&key(1));
        let sealed = old.encrypt(SUBJECT, b"refresh-token").unwrap();

        let rotating = Keyring::new(&key(2)).with_previous(&key(1));
        assert_eq!(
            rotating.decrypt(SUBJECT, &sealed).unwrap(),
            b"refresh-token"
        );
        let rotated = rotating
            .reencrypt(SUBJECT, &sealed)
            .unwrap()
            .expect("re-encrypted");
        assert_eq!(stored_version(&rotated).unwrap(), key_version(&key(2)));
        assert_eq!(
            rotating.reencrypt(SUBJECT, &rotated).unwrap(),
            None,
            "already current"
        );

        let after = Keyring::new(&key(2));
        assert_eq!(after.decrypt(SUBJECT, &rotated).unwrap(), b"refresh-token");
        assert!(
            after.decrypt(SUBJECT, &sealed).is_err(),
            "the old key is gone after rotation"
        );
    }
}
