//! Configuration from the environment (SPEC §7).
//!
//! Every value is parsed once at start-up; a malformed one stops the hub with
//! one line naming the variable and what is wrong with it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// The key before the last rotation, still accepted for reading while `hub rotate-key` runs.
    pub previous_master_key: Option<MasterKey>,
    pub log_format: LogFormat,
    pub log_filter: String,
    pub sandbox: bool,
    /// A session ends after this long without requests.
    pub session_idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    pub session_absolute_timeout: Duration,
    /// Origins whose state-changing requests are accepted (CSRF defence).
    pub allowed_origins: Vec<String>,
    /// Lifetime of the sandbox's access tokens and authorization codes.
    pub sandbox_token_ttl: Duration,
    pub sandbox_code_ttl: Duration,
    /// Job workers in this process (`HUB_WORKERS`).
    pub workers: usize,
    /// How long a worker's claim on a job lasts without a heartbeat (`HUB_JOB_LEASE`).
    pub job_lease: Duration,
    /// The first backoff of a sync's retried request (`HUB_SYNC_RETRY_BASE`).
    pub sync_retry_base: Duration,
    /// How often the scheduler looks for due schedules (`HUB_SCHEDULER_TICK`).
    pub scheduler_tick: Duration,
    /// The sandbox's data: records per provider, every how many list requests
    /// one answers 429, added latency per page, and how often records change.
    pub sandbox_records: u64,
    pub sandbox_rate_limit_every: u64,
    pub sandbox_latency: Duration,
    pub sandbox_change_every: Option<Duration>,
    /// Megabytes of rendered pages kept for reuse (`HUB_PAGE_CACHE_MB`, 0: none).
    pub page_cache_mb: u64,
    /// `HUB_PROVIDER_<KEY>_{BASE_URL,AUTHORIZE_URL,TOKEN_URL,REVOKE_URL}` and
    /// `HUB_OAUTH_<KEY>_CLIENT_{ID,SECRET}`: per-provider settings, by variable name.
    pub provider_settings: std::collections::BTreeMap<String, String>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut config = Self::from_lookup(|name| std::env::var(name).ok())?;
        config.provider_settings = std::env::vars()
            .filter(|(name, value)| {
                (name.starts_with("HUB_PROVIDER_") || name.starts_with("HUB_OAUTH_"))
                    && !value.trim().is_empty()
            })
            .collect();
        Ok(config)
    }

    /// A per-provider setting (`HUB_PROVIDER_…`, `HUB_OAUTH_…`), if set.
    pub fn provider_setting(&self, name: &str) -> Option<String> {
        self.provider_settings.get(name).cloned()
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

        let previous_master_key = get("HUB_MASTER_KEY_PREVIOUS")
            .map(|v| {
                MasterKey::parse_base64(&v)
                    .map_err(|p| ConfigError::new("HUB_MASTER_KEY_PREVIOUS", p))
            })
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

        let session_idle_timeout = match get("HUB_SESSION_IDLE_TIMEOUT") {
            None => Duration::from_secs(8 * 3600),
            Some(v) => {
                parse_duration(&v).map_err(|p| ConfigError::new("HUB_SESSION_IDLE_TIMEOUT", p))?
            }
        };
        let session_absolute_timeout = match get("HUB_SESSION_ABSOLUTE_TIMEOUT") {
            None => Duration::from_secs(7 * 86_400),
            Some(v) => parse_duration(&v)
                .map_err(|p| ConfigError::new("HUB_SESSION_ABSOLUTE_TIMEOUT", p))?,
        };
        let allowed_origins = allowed_origins(&public_url, get("HUB_PUBLIC_URL").is_none());
        let sandbox_token_ttl = match get("HUB_SANDBOX_TOKEN_TTL") {
            None => Duration::from_secs(3600),
            Some(v) => {
                parse_duration(&v).map_err(|p| ConfigError::new("HUB_SANDBOX_TOKEN_TTL", p))?
            }
        };
        let sandbox_code_ttl = match get("HUB_SANDBOX_CODE_TTL") {
            None => Duration::from_secs(60),
            Some(v) => {
                parse_duration(&v).map_err(|p| ConfigError::new("HUB_SANDBOX_CODE_TTL", p))?
            }
        };
        let duration = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => parse_duration(&v).map_err(|p| ConfigError::new(name, p)),
            }
        };
        let number = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| ConfigError::new(name, format!("'{v}' is not a whole number"))),
            }
        };
        let workers = number("HUB_WORKERS", 2)?;
        if workers > 64 {
            return Err(ConfigError::new(
                "HUB_WORKERS",
                "must be between 0 (this process only serves) and 64".to_string(),
            ));
        }
        let job_lease = duration("HUB_JOB_LEASE", Duration::from_secs(30))?;
        let sync_retry_base = duration("HUB_SYNC_RETRY_BASE", Duration::from_millis(500))?;
        let scheduler_tick = duration("HUB_SCHEDULER_TICK", Duration::from_millis(250))?;
        let sandbox_records = number("HUB_SANDBOX_RECORDS", 250)?;
        let page_cache_mb = number("HUB_PAGE_CACHE_MB", 32)?;
        if page_cache_mb > 1 << 20 {
            return Err(ConfigError::new(
                "HUB_PAGE_CACHE_MB",
                "must be at most 1048576 (a terabyte of pages); 0 keeps none".to_string(),
            ));
        }
        let sandbox_rate_limit_every = number("HUB_SANDBOX_RATE_LIMIT_EVERY", 0)?;
        let sandbox_latency = match get("HUB_SANDBOX_LATENCY").as_deref().map(str::trim) {
            None | Some("0") => Duration::ZERO,
            Some(v) => parse_duration(v).map_err(|p| ConfigError::new("HUB_SANDBOX_LATENCY", p))?,
        };
        let sandbox_change_every = match get("HUB_SANDBOX_CHANGE_EVERY").as_deref().map(str::trim) {
            None => Some(Duration::from_secs(60)),
            Some("off") => None,
            Some(v) => Some(
                parse_duration(v).map_err(|p| ConfigError::new("HUB_SANDBOX_CHANGE_EVERY", p))?,
            ),
        };

        Ok(Config {
            page_cache_mb,
            workers: workers as usize,
            job_lease,
            sync_retry_base,
            scheduler_tick,
            sandbox_records,
            sandbox_rate_limit_every,
            sandbox_latency,
            sandbox_change_every,
            database,
            data_dir,
            public_url,
            site_addr,
            site_root,
            master_key,
            previous_master_key,
            log_format,
            log_filter,
            sandbox,
            session_idle_timeout,
            session_absolute_timeout,
            allowed_origins,
            sandbox_token_ttl,
            sandbox_code_ttl,
            provider_settings: Default::default(),
        })
    }

    /// Whether the hub is reached over HTTPS (secure cookies, `__Host-` names).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// Re-derives what depends on the public URL after it changed (port 0 resolved).
    pub fn set_public_url(&mut self, url: Url, derived: bool) {
        self.allowed_origins = allowed_origins(&url, derived);
        self.public_url = url;
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

/// The origin of the public URL; when it was derived from a loopback bind
/// address, also the other loopback spellings (a person may open
/// http://localhost:3000 while the hub derived http://127.0.0.1:3000).
fn allowed_origins(public_url: &Url, derived: bool) -> Vec<String> {
    let origin = public_url.origin().ascii_serialization();
    let mut origins = vec![origin];
    let loopback = matches!(
        public_url.host_str(),
        Some("127.0.0.1" | "localhost" | "[::1]")
    );
    if derived && loopback {
        if let Some(port) = public_url.port_or_known_default() {
            for host in ["127.0.0.1", "localhost", "[::1]"] {
                let other = format!("{}://{host}:{port}", public_url.scheme());
                if !origins.contains(&other) {
                    origins.push(other);
                }
            }
        }
    }
    origins
}

/// "90s", "30m", "8h", "7d" (or plain seconds).
fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let (number, unit) = value.split_at(
        value
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(value.len()),
    );
    let amount: u64 = number
        .parse()
        .map_err(|_| format!("'{value}' is not a duration; use e.g. 250ms, 90s, 30m, 8h or 7d"))?;
    if unit.trim() == "ms" {
        if amount == 0 {
            return Err("must be longer than zero".into());
        }
        return Ok(Duration::from_millis(amount));
    }
    let seconds = match unit.trim() {
        "" | "s" => amount,
        "m" => amount * 60,
        "h" => amount * 3600,
        "d" => amount * 86_400,
        _ => {
            return Err(format!(
                "'{value}' is not a duration; use e.g. 250ms, 90s, 30m, 8h or 7d"
            ))
        }
    };
    if seconds == 0 {
        return Err("must be longer than zero".into());
    }
    Ok(Duration::from_secs(seconds))
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
            (
                "HUB_SESSION_IDLE_TIMEOUT",
                "soon",
                "e.g. 250ms, 90s, 30m, 8h or 7d",
            ),
            ("HUB_SESSION_ABSOLUTE_TIMEOUT", "0", "longer than zero"),
            ("HUB_WORKERS", "many", "not a whole number"),
            ("HUB_WORKERS", "65", "between 0"),
            ("HUB_JOB_LEASE", "0ms", "longer than zero"),
            ("HUB_SANDBOX_RECORDS", "-5", "not a whole number"),
            ("HUB_SANDBOX_CHANGE_EVERY", "sometimes", "not a duration"),
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
    fn sessions_default_to_8_hours_idle_and_7_days_absolute() {
        let c = config(&[]).unwrap();
        assert_eq!(c.session_idle_timeout, Duration::from_secs(8 * 3600));
        assert_eq!(c.session_absolute_timeout, Duration::from_secs(7 * 86_400));
        let c = config(&[
            ("HUB_SESSION_IDLE_TIMEOUT", "30m"),
            ("HUB_SESSION_ABSOLUTE_TIMEOUT", "2d"),
        ])
        .unwrap();
        assert_eq!(c.session_idle_timeout, Duration::from_secs(1800));
        assert_eq!(c.session_absolute_timeout, Duration::from_secs(2 * 86_400));
    }

    #[test]
    fn allowed_origins_follow_the_public_url() {
        let c = config(&[]).unwrap();
        assert_eq!(
            c.allowed_origins,
            vec![
                "http://127.0.0.1:3000",
                "http://localhost:3000",
                "http://[::1]:3000"
            ]
        );
        let c = config(&[("HUB_PUBLIC_URL", "https://hub.example.com")]).unwrap();
        assert_eq!(c.allowed_origins, vec!["https://hub.example.com"]);
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
