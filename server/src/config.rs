//! Configuration from the environment (SPEC §7).
//!
//! Every value is parsed once at start-up; a malformed one stops the hub with
//! one line naming the variable and what is wrong with it.

use std::net::SocketAddr;
use std::path::PathBuf;

use base64::Engine;
use url::Url;

/// A configuration problem: which variable, and what is wrong with it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self {
            var,
            problem: problem.into(),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// The embedded default: a file, created on first run.
    Sqlite { path: PathBuf },
    /// `postgres://…`; kept whole because it may hold a password (never logged).
    Postgres { url: Url },
}

impl DatabaseTarget {
    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseTarget::Sqlite { .. } => "SQLite",
            DatabaseTarget::Postgres { .. } => "PostgreSQL",
        }
    }

    /// Where the database is, without credentials: safe to log.
    pub fn describe(&self) -> String {
        match self {
            DatabaseTarget::Sqlite { path } => format!("SQLite at {}", path.display()),
            DatabaseTarget::Postgres { url } => format!(
                "PostgreSQL at {}:{}{}",
                url.host_str().unwrap_or("localhost"),
                url.port().unwrap_or(5432),
                url.path()
            ),
        }
    }
}

/// Shows where the database is, never its password.
impl std::fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The 32-byte key that encrypts credentials at rest. Its `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey(pub [u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(••••)")
    }
}

impl MasterKey {
    pub fn parse_base64(value: &str) -> Result<Self, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|_| {
                "is not valid base64; generate a key with `openssl rand -base64 32`".to_string()
            })?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            format!(
                "must decode to exactly 32 bytes, got {}; generate a key with `openssl rand -base64 32`",
                bytes.len()
            )
        })?;
        Ok(MasterKey(key))
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseTarget,
    pub data_dir: PathBuf,
    /// The address people and providers reach the hub at (OAuth redirects, webhook URLs).
    pub public_url: Url,
    pub site_addr: SocketAddr,
    /// Where the browser bundle (`pkg/`) and static files are served from.
    pub site_root: PathBuf,
    pub master_key: Option<MasterKey>,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub sandbox: bool,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let data_dir = PathBuf::from(get("HUB_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database = match get("DATABASE_URL") {
            None => DatabaseTarget::Sqlite {
                path: data_dir.join("hub.db"),
            },
            Some(url) => parse_database_url(&url)?,
        };

        let site_addr: SocketAddr = match get("LEPTOS_SITE_ADDR") {
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
            Some(value) => value.trim().parse().map_err(|_| {
                ConfigError::new(
                    "LEPTOS_SITE_ADDR",
                    format!(
                        "'{value}' is not an address and port like 127.0.0.1:3000 or 0.0.0.0:8080"
                    ),
                )
            })?,
        };

        let public_url = match get("HUB_PUBLIC_URL") {
            None => default_public_url(site_addr),
            Some(value) => parse_public_url(&value)?,
        };

        let master_key = get("HUB_MASTER_KEY")
            .map(|v| MasterKey::parse_base64(&v).map_err(|p| ConfigError::new("HUB_MASTER_KEY", p)))
            .transpose()?;

        let log_format = match get("HUB_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "HUB_LOG_FORMAT",
                    format!("'{other}' is not a log format; use 'text' or 'json'"),
                ))
            }
        };
        let log_filter = get("HUB_LOG")
            .or_else(|| get("RUST_LOG"))
            .unwrap_or_else(|| "info".into());
        tracing_subscriber::EnvFilter::try_new(&log_filter).map_err(|e| {
            ConfigError::new(
                "HUB_LOG",
                format!("'{log_filter}' is not a log filter ({e}); try 'info' or 'info,hub=debug'"),
            )
        })?;

        let sandbox = match get("HUB_SANDBOX") {
            None => false,
            Some(value) => parse_bool(&value).ok_or_else(|| {
                ConfigError::new(
                    "HUB_SANDBOX",
                    format!("'{value}' is not on or off; use 1 or 0"),
                )
            })?,
        };

        let site_root =
            PathBuf::from(get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()));

        Ok(Config {
            database,
            data_dir,
            public_url,
            site_addr,
            site_root,
            master_key,
            log_format,
            log_filter,
            sandbox,
        })
    }

    /// Whether the hub is reached over HTTPS (secure cookies, `__Host-` names).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

fn parse_database_url(value: &str) -> Result<DatabaseTarget, ConfigError> {
    let value = value.trim();
    if let Some(rest) = value
        .strip_prefix("sqlite://")
        .or_else(|| value.strip_prefix("sqlite:"))
    {
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "a SQLite URL needs a file path, like sqlite://./data/hub.db",
            ));
        }
        return Ok(DatabaseTarget::Sqlite {
            path: PathBuf::from(path),
        });
    }
    let url = Url::parse(value).map_err(|e| {
        ConfigError::new(
            "DATABASE_URL",
            format!("not a valid URL ({e}); expected postgres://user:password@host:5432/database or sqlite://path/to/hub.db"),
        )
    })?;
    match url.scheme() {
        "postgres" | "postgresql" => {
            if url.host_str().is_none_or(str::is_empty) {
                return Err(ConfigError::new(
                    "DATABASE_URL",
                    "a PostgreSQL URL needs a host, like postgres://postgres@127.0.0.1:5432/hub",
                ));
            }
            if url.path().trim_start_matches('/').is_empty() {
                return Err(ConfigError::new(
                    "DATABASE_URL",
                    "a PostgreSQL URL needs a database name, like postgres://postgres@127.0.0.1:5432/hub",
                ));
            }
            Ok(DatabaseTarget::Postgres { url })
        }
        other => Err(ConfigError::new(
            "DATABASE_URL",
            format!("'{other}' databases are not supported; use postgres://… or sqlite://…"),
        )),
    }
}

fn parse_public_url(value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value.trim()).map_err(|e| {
        ConfigError::new(
            "HUB_PUBLIC_URL",
            format!(
                "'{value}' is not an absolute URL ({e}); expected e.g. https://hub.example.com"
            ),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::new(
            "HUB_PUBLIC_URL",
            format!(
                "'{value}' must be an http:// or https:// address, e.g. https://hub.example.com"
            ),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || url.path() != "/" {
        return Err(ConfigError::new(
            "HUB_PUBLIC_URL",
            format!("'{value}' must be the hub's origin only, without path, query or fragment"),
        ));
    }
    Ok(url)
}

fn default_public_url(addr: SocketAddr) -> Url {
    let host = if addr.ip().is_unspecified() {
        "localhost".to_string()
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    let text = format!("http://{host}:{}/", addr.port());
    Url::parse(&text).expect("an IP address and a port form a valid URL")
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let c = config(&[]).unwrap();
        assert_eq!(
            c.database,
            DatabaseTarget::Sqlite {
                path: PathBuf::from("./data/hub.db")
            }
        );
        assert_eq!(c.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(!c.sandbox);
        assert!(c.master_key.is_none());
    }

    #[test]
    fn postgres_and_sqlite_urls_are_recognised() {
        let c = config(&[(
            "DATABASE_URL",
            "postgres://postgres:s3cret@127.0.0.1:5432/hub",
        )])
        .unwrap();
        assert_eq!(c.database.backend_name(), "PostgreSQL");
        assert!(
            !format!("{c:?}").contains("s3cret"),
            "the password is never shown"
        );
        assert_eq!(c.database.describe(), "PostgreSQL at 127.0.0.1:5432/hub");
        let c = config(&[("DATABASE_URL", "sqlite:///var/lib/hub/hub.db?mode=rwc")]).unwrap();
        assert_eq!(
            c.database,
            DatabaseTarget::Sqlite {
                path: PathBuf::from("/var/lib/hub/hub.db")
            }
        );
    }

    #[test]
    fn malformed_values_name_the_variable() {
        let cases: &[(&str, &str, &str)] = &[
            ("DATABASE_URL", "mysql://x/y", "not supported"),
            ("DATABASE_URL", "postgres://127.0.0.1:5432", "database name"),
            ("DATABASE_URL", "nonsense", "not a valid URL"),
            ("LEPTOS_SITE_ADDR", "localhost", "not an address and port"),
            ("HUB_PUBLIC_URL", "hub.example.com", "not an absolute URL"),
            (
                "HUB_PUBLIC_URL",
                "ftp://hub.example.com",
                "http:// or https://",
            ),
            (
                "HUB_PUBLIC_URL",
                "https://hub.example.com/app",
                "origin only",
            ),
            ("HUB_MASTER_KEY", "not base64!", "not valid base64"),
            ("HUB_MASTER_KEY", "c2hvcnQ=", "exactly 32 bytes, got 5"),
            ("HUB_LOG_FORMAT", "xml", "'text' or 'json'"),
            ("HUB_SANDBOX", "maybe", "use 1 or 0"),
        ];
        for (var, value, expected) in cases {
            let err = config(&[(var, value)]).unwrap_err();
            assert_eq!(&err.var, var, "{value}");
            let line = err.to_string();
            assert!(line.starts_with(&format!("{var}: ")), "{line}");
            assert!(line.contains(expected), "{line} should contain {expected}");
            assert!(!line.contains('\n'), "one line: {line}");
        }
    }

    #[test]
    fn a_valid_master_key_is_accepted_and_never_printed() {
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let c = config(&[("HUB_MASTER_KEY", &key)]).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains(&key));
        assert!(shown.contains("MasterKey(••••)"));
    }

    #[test]
    fn wildcard_bind_address_gives_a_localhost_public_url() {
        let c = config(&[("LEPTOS_SITE_ADDR", "0.0.0.0:8080")]).unwrap();
        assert_eq!(c.public_url.as_str(), "http://localhost:8080/");
        let c = config(&[("HUB_SANDBOX", "1"), ("HUB_LOG_FORMAT", "json")]).unwrap();
        assert!(c.sandbox);
        assert_eq!(c.log_format, LogFormat::Json);
    }
}
