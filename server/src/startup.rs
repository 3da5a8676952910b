//! Building the hub from its configuration and serving it until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use app::api::ports::Backend;
use app::{shell, App};
use axum::extract::FromRef;
use axum::response::Redirect;
use axum::routing::{get, post};
use axum::{middleware, Router};
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::accounts::AccountsService;
use crate::auth::session_store::DbSessionStore;
use crate::auth::{self, csrf, handlers, AuthState, FirstRun, LoginThrottle, Passwords};
use crate::catalog::Catalog;
use crate::config::Config;
use crate::integrations::IntegrationsService;
use crate::jobs::{Handlers, Queue, Workers};
use crate::metrics::{self, HttpMetrics};
use crate::oauth::{self, OAuthService};
use crate::page_cache::{self, PageCache};
use crate::sandbox::{self, Sandbox, SandboxConfig};
use crate::scheduler::Scheduler;
use crate::sync::{RetryPolicy, SyncHandler, SyncService, SYNC_JOB};
use crate::system::SystemService;
use crate::{api, db, ops};
use crate::{connections, crypto};

/// The name of the browser bundle under `pkg/`: `hub.js`, `hub_bg.wasm`, `hub.css`.
pub const BUNDLE_NAME: &str = "hub";

/// Everything a request handler may need; cloned per request and per
/// middleware, so it is one reference-counted pointer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// leptos_axum's handlers take the options out of the state.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    /// Where the sync engine stores pages (`db::sync_connection`).
    pub sync_db: DatabaseConnection,
    pub metrics: HttpMetrics,
    pub backend: Backend,
    pub auth: AuthState,
    pub catalog: Arc<Catalog>,
    pub keyring: crypto::Keyring,
    /// The provider emulator, when `HUB_SANDBOX=1`.
    pub sandbox: Option<Arc<Sandbox>>,
    pub oauth: Arc<OAuthService>,
    /// The durable job queue (syncs now, webhooks later).
    pub queue: Queue,
    /// Rendered pages kept for reuse while their tenant's revision holds.
    pub page_cache: PageCache,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] db::DbSetupError),
    #[error("LEPTOS_SITE_ADDR: cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("cannot prepare password hashing: {0}")]
    Passwords(#[from] crate::auth::password::PasswordError),
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error(transparent)]
    MasterKey(#[from] crate::crypto::master_key::MasterKeyError),
}

/// A hub bound to its address, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies migrations and binds the listener.
    pub async fn build(mut config: Config) -> Result<Self, StartupError> {
        let db = db::connect(&config.database).await?;
        db::migrate(&db).await?;
        let sync_db = db::sync_connection(&config.database, &db).await?;
        let listener =
            TcpListener::bind(config.site_addr)
                .await
                .map_err(|e| StartupError::Bind {
                    addr: config.site_addr,
                    reason: e.to_string(),
                })?;
        // Port 0 asks the OS for a free port; a public URL derived from it gets the real one.
        if config.public_url.port() == Some(0) {
            if let Ok(addr) = listener.local_addr() {
                let mut url = config.public_url.clone();
                let _ = url.set_port(Some(addr.port()));
                config.set_public_url(url, true);
            }
        }
        let state = build_state(config, db, sync_db)?;
        let router = router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.config.site_addr)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let housekeeping = tokio::spawn(crate::housekeeping::run(DbSessionStore::new(
            self.state.db.clone(),
        )));
        let checkpoints = tokio::spawn(db::checkpoint::run(self.state.db.clone()));
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let mut background = self.state.workers().spawn(stopping.clone());
        background.push(tokio::spawn(self.state.scheduler().run(stopping)));
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        housekeeping.abort();
        checkpoints.abort();
        // Workers stop at their next safe point and hand running jobs back.
        let _ = stop.send(true);
        let all = async {
            for task in background {
                let _ = task.await;
            }
        };
        if tokio::time::timeout(std::time::Duration::from_secs(20), all)
            .await
            .is_err()
        {
            tracing::warn!("background work did not stop within 20 s; its jobs resume elsewhere once their leases expire");
        }
        served
    }
}

impl AppState {
    /// This process's job workers, with a handler for every job kind.
    pub fn workers(&self) -> Workers {
        let mut handlers: Handlers = Handlers::new();
        handlers.insert(SYNC_JOB, Arc::new(self.sync_handler()));
        Workers {
            queue: self.queue.clone(),
            handlers,
            count: self.config.workers,
            poll: std::time::Duration::from_secs(1),
        }
    }

    pub fn sync_handler(&self) -> SyncHandler {
        SyncHandler {
            db: self.sync_db.clone(),
            catalog: self.catalog.clone(),
            keyring: self.keyring.clone(),
            http: connections::http_client(),
            oauth: self.oauth.clone(),
            policy: RetryPolicy {
                base: self.config.sync_retry_base,
                ..RetryPolicy::default()
            },
        }
    }

    pub fn scheduler(&self) -> Scheduler {
        Scheduler {
            db: self.db.clone(),
            catalog: self.catalog.clone(),
            queue: self.queue.clone(),
            every: self.config.scheduler_tick,
        }
    }
}

/// The catalog pointed at the sandbox when it is on, then with the
/// deployment's explicit overrides (which win).
pub fn load_catalog(config: &Config) -> Result<Catalog, crate::catalog::CatalogError> {
    let catalog = Catalog::builtin()?;
    let catalog = if config.sandbox {
        catalog.pointed_at_sandbox(&config.public_url)
    } else {
        catalog
    };
    catalog.with_overrides(|name| config.provider_setting(name))
}

fn build_state(
    config: Config,
    db: DatabaseConnection,
    sync_db: DatabaseConnection,
) -> Result<AppState, StartupError> {
    let catalog = Arc::new(load_catalog(&config)?);
    let (master_key, source) = crypto::load_or_generate(&config)?;
    if let crypto::MasterKeySource::Generated(path) = &source {
        tracing::warn!(
            path = %path.display(),
            "generated a master key for credentials; back it up with the data directory (without it stored credentials cannot be read)"
        );
    }
    let keyring = match &config.previous_master_key {
        Some(previous) => crypto::Keyring::new(&master_key).with_previous(previous),
        None => crypto::Keyring::new(&master_key),
    };
    let sandbox = config.sandbox.then(|| {
        Arc::new(Sandbox::new(SandboxConfig {
            access_token_ttl: config.sandbox_token_ttl,
            code_ttl: config.sandbox_code_ttl,
            records: config.sandbox_records,
            rate_limit_every: config.sandbox_rate_limit_every,
            latency: config.sandbox_latency,
            change_every: config.sandbox_change_every,
        }))
    });
    let leptos_options = LeptosOptions::builder()
        .output_name(BUNDLE_NAME)
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.site_addr)
        .env(Env::PROD)
        .build();
    let oauth = Arc::new(OAuthService::new(
        db.clone(),
        catalog.clone(),
        keyring.clone(),
        &config,
    ));
    let queue = Queue::new(db.clone(), config.job_lease);
    let auth = AuthState {
        passwords: Passwords::new()?,
        throttle: Arc::new(LoginThrottle::default()),
        first_run: FirstRun::default(),
    };
    let backend = Backend {
        system: Arc::new(SystemService {
            db: db.clone(),
            started: Instant::now(),
        }),
        accounts: Arc::new(AccountsService {
            db: db.clone(),
            passwords: auth.passwords.clone(),
        }),
        integrations: Arc::new(IntegrationsService {
            db: db.clone(),
            catalog: catalog.clone(),
            keyring: keyring.clone(),
            http: connections::http_client(),
            oauth: oauth.clone(),
            queue: queue.clone(),
        }),
        sync: Arc::new(SyncService {
            db: db.clone(),
            catalog: catalog.clone(),
            queue: queue.clone(),
        }),
    };
    let metrics = HttpMetrics::new();
    let page_cache = PageCache::new(config.page_cache_mb * 1024 * 1024, metrics.registry());
    Ok(AppState(Arc::new(Shared {
        page_cache,
        metrics,
        leptos_options,
        config: Arc::new(config),
        db,
        sync_db,
        backend,
        auth,
        catalog,
        keyring,
        sandbox,
        oauth,
        queue,
    })))
}

fn session_layer(state: &AppState) -> SessionManagerLayer<DbSessionStore> {
    let https = state.config.is_https();
    // `__Host-` makes the browser insist on Secure, Path=/ and no Domain.
    let name = if https {
        "__Host-hub_session"
    } else {
        "hub_session"
    };
    let idle = time::Duration::seconds(state.config.session_idle_timeout.as_secs() as i64);
    SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(name)
        .with_secure(https)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let backend = state.backend.clone();
        move || provide_context(backend.clone())
    };
    let leptos_options = state.leptos_options.clone();
    let sandbox = if state.sandbox.is_some() {
        sandbox::routes()
    } else {
        Router::new()
    };

    Router::new()
        .route("/", get(|| async { Redirect::to("/integrations") }))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/login", post(handlers::login))
        .route("/logout", post(handlers::logout))
        .route("/setup", post(handlers::setup))
        .route(
            "/api/integrations/{id}/oauth/start",
            get(oauth::handlers::start),
        )
        .route(
            "/api/integrations/oauth/callback",
            get(oauth::handlers::callback),
        )
        .nest("/api/v1", api::routes())
        .merge(sandbox)
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(leptos_options.clone())
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .route_layer(middleware::from_fn(metrics::tag_route))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            page_cache::serve,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::middleware::authenticate,
        ))
        .layer(session_layer(&state))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::guard))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled, so a signal that arrives
/// right after the hub says it is serving still stops it gracefully.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let listeners = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut interrupt, mut terminate) = listeners;
            let interrupted = async {
                match interrupt.as_mut() {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let terminated = async {
                match terminate.as_mut() {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = interrupted => {},
                _ = terminated => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown requested; finishing requests in flight");
    }
}
