//! Prometheus metrics of HTTP traffic: requests by route and status, and
//! their latency, labelled by the route *pattern* so ids do not explode the
//! series count.

use std::time::Instant;

use crate::startup::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

#[derive(Clone)]
pub struct HttpMetrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

/// The route pattern a request matched, carried on the response from the
/// inner (route) layer to the outer (measuring) layer.
#[derive(Clone)]
pub struct RouteLabel(String);

impl HttpMetrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests served, by route and status",
            ),
            &["method", "route", "status"],
        )
        .expect("static metric definition is valid");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from request received to response headers sent",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route"],
        )
        .expect("static metric definition is valid");
        registry
            .register(Box::new(requests.clone()))
            .expect("metric registered once");
        registry
            .register(Box::new(latency.clone()))
            .expect("metric registered once");
        Self {
            registry,
            requests,
            latency,
        }
    }

    /// The registry, for other parts of the hub to add their own metrics.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Everything in Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        let encoder = TextEncoder::new();
        if encoder
            .encode(&self.registry.gather(), &mut buffer)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Inner layer (on matched routes): remembers the route pattern.
pub async fn tag_route(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(RouteLabel(route));
    }
    response
}

/// Outer layer (every request): counts and times it.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let metrics = &state.metrics;
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let static_file = request.uri().path().starts_with("/pkg/");
    let response = next.run(request).await;
    let route = match response.extensions().get::<RouteLabel>() {
        Some(RouteLabel(route)) => route.as_str(),
        None if static_file => "/pkg/{file}",
        // Static files at the root and pages that do not exist.
        None => "unmatched",
    };
    let status = response.status().as_u16().to_string();
    metrics
        .requests
        .with_label_values(&[method.as_str(), route, status.as_str()])
        .inc();
    metrics
        .latency
        .with_label_values(&[method.as_str(), route])
        .observe(started.elapsed().as_secs_f64());
    response
}
