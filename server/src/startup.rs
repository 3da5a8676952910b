//! Building the hub from its configuration and serving it until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use app::api::ports::Backend;
use app::{shell, App};
use axum::extract::FromRef;
use axum::response::Redirect;
use axum::routing::get;
use axum::{middleware, Router};
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::metrics::{self, HttpMetrics};
use crate::system::SystemService;
use crate::{db, ops};

/// The name of the browser bundle under `pkg/`: `hub.js`, `hub_bg.wasm`, `hub.css`.
pub const BUNDLE_NAME: &str = "hub";

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub metrics: HttpMetrics,
    pub backend: Backend,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] db::DbSetupError),
    #[error("LEPTOS_SITE_ADDR: cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
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
                let _ = config.public_url.set_port(Some(addr.port()));
            }
        }
        let state = build_state(config, db);
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
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

fn build_state(config: Config, db: DatabaseConnection) -> AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name(BUNDLE_NAME)
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.site_addr)
        .env(Env::PROD)
        .build();
    let backend = Backend {
        system: Arc::new(SystemService {
            db: db.clone(),
            started: Instant::now(),
        }),
    };
    AppState {
        leptos_options,
        config: Arc::new(config),
        db,
        metrics: HttpMetrics::new(),
        backend,
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let backend = state.backend.clone();
        move || provide_context(backend.clone())
    };
    let leptos_options = state.leptos_options.clone();

    Router::new()
        .route("/", get(|| async { Redirect::to("/integrations") }))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(leptos_options.clone())
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .route_layer(middleware::from_fn(metrics::tag_route))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing requests in flight");
}
