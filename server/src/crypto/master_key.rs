//! Where the master key comes from: `HUB_MASTER_KEY`, or — on the embedded
//! default — a key generated into the data directory on first run (mode 0600).

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;

use crate::config::{Config, DatabaseTarget, MasterKey};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    Environment,
    File(PathBuf),
    Generated(PathBuf),
}

pub const KEY_FILE: &str = "master.key";

#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("HUB_MASTER_KEY: required with PostgreSQL, so every hub process uses the same key; generate one with `openssl rand -base64 32`")]
    RequiredForPostgres,
    #[error("HUB_DATA_DIR: cannot read or create the master key at {path}: {reason}")]
    File { path: String, reason: String },
    #[error("HUB_DATA_DIR: the master key file {path} {problem}")]
    Malformed { path: String, problem: String },
}

/// The key to encrypt credentials with, and where it came from.
pub fn load_or_generate(config: &Config) -> Result<(MasterKey, MasterKeySource), MasterKeyError> {
    if let Some(key) = &config.master_key {
        return Ok((key.clone(), MasterKeySource::Environment));
    }
    if matches!(config.database, DatabaseTarget::Postgres { .. }) {
        return Err(MasterKeyError::RequiredForPostgres);
    }
    let path = config.data_dir.join(KEY_FILE);
    if path.exists() {
        return read_key_file(&path).map(|key| (key, MasterKeySource::File(path)));
    }
    let key = generate(&path)?;
    Ok((key, MasterKeySource::Generated(path)))
}

pub fn read_key_file(path: &Path) -> Result<MasterKey, MasterKeyError> {
    let text = std::fs::read_to_string(path).map_err(|e| MasterKeyError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    MasterKey::parse_base64(&text).map_err(|problem| MasterKeyError::Malformed {
        path: path.display().to_string(),
        problem,
    })
}

fn generate(path: &Path) -> Result<MasterKey, MasterKeyError> {
    let file_error = |e: std::io::Error| MasterKeyError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(file_error)?;
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| MasterKeyError::File {
        path: path.display().to_string(),
        reason: format!("no randomness available: {e}"),
    })?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(file_error)?;
    file.write_all(encoded.as_bytes())
        .and_then(|_| file.write_all(b"\n"))
        .and_then(|_| file.sync_all())
        .map_err(file_error)?;
    Ok(MasterKey(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path) -> Config {
        let dir = dir.display().to_string();
        Config::from_lookup(|name| (name == "HUB_DATA_DIR").then(|| dir.clone())).unwrap()
    }

    #[test]
    fn the_embedded_default_generates_a_private_key_once() {
        let dir = tempfile::tempdir().unwrap();
        let (key, source) = load_or_generate(&config(dir.path())).unwrap();
        let path = dir.path().join(KEY_FILE);
        assert_eq!(source, MasterKeySource::Generated(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let (again, source) = load_or_generate(&config(dir.path())).unwrap();
        assert_eq!(again, key, "the same key on the next start");
        assert_eq!(source, MasterKeySource::File(path));
    }

    #[test]
    fn postgres_requires_the_key_from_the_environment() {
        let c = Config::from_lookup(|name| {
            (name == "DATABASE_URL").then(|| "postgres://p@h/db".to_string())
        })
        .unwrap();
        let err = load_or_generate(&c).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("HUB_MASTER_KEY: required with PostgreSQL"));
    }
}
