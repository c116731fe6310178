//! Health of the service, and the small HTTP server for `/healthz` and `/metrics`.
//!
//! Healthy means: a member of the consumer group (an empty assignment counts: more replicas
//! than partitions is normal), connected to a broker, and no batch failing. While the sink
//! fails the host stops consuming and says so here, so an orchestrator or an alarm notices.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;

use crate::source::kafka::ConsumerStatus;

/// The service's health.
#[derive(Debug)]
pub struct Health {
    consumer: Arc<ConsumerStatus>,
    failing: Mutex<Option<String>>,
}

/// What `/healthz` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthReport {
    /// Whether every check passes.
    pub healthy: bool,
    /// Member of the consumer group with an assignment.
    pub group_member: bool,
    /// At least one broker connection up.
    pub connected: bool,
    /// Why batches are failing, if they are (the host is retrying and not consuming).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing: Option<String>,
}

impl Health {
    /// Health of a consumer with `consumer` status.
    pub fn new(consumer: Arc<ConsumerStatus>) -> Self {
        Self {
            consumer,
            failing: Mutex::new(None),
        }
    }

    /// Batches are failing for `reason`.
    pub fn set_failing(&self, reason: Option<String>) {
        match self.failing.lock() {
            Ok(mut f) => *f = reason,
            Err(poisoned) => *poisoned.into_inner() = reason,
        }
    }

    /// The current report.
    pub fn report(&self) -> HealthReport {
        let failing = match self.failing.lock() {
            Ok(f) => f.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let group_member = self.consumer.is_member();
        let connected = self.consumer.is_connected();
        let healthy = group_member && connected && failing.is_none();
        crate::metrics::healthy(healthy);
        HealthReport {
            healthy,
            group_member,
            connected,
            failing,
        }
    }
}

#[derive(Clone)]
struct Served {
    health: Arc<Health>,
    metrics: Option<PrometheusHandle>,
}

/// Why the HTTP server could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot serve /metrics and /healthz on {addr}: {source}")]
pub struct ServeError {
    addr: SocketAddr,
    source: std::io::Error,
}

/// The bound server; [`HttpServer::serve`] runs it.
pub struct HttpServer {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl HttpServer {
    /// Binds `addr` (fails early, before any record is read, if it is taken).
    pub async fn bind(
        addr: SocketAddr,
        health: Arc<Health>,
        metrics: Option<PrometheusHandle>,
    ) -> Result<Self, ServeError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError { addr, source })?;
        if let Some(handle) = metrics.clone() {
            // Histograms need periodic upkeep to stay bounded.
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(5));
                loop {
                    tick.tick().await;
                    handle.run_upkeep();
                }
            });
        }
        let router = Router::new()
            .route("/healthz", get(healthz))
            .route("/metrics", get(render_metrics))
            .with_state(Served { health, metrics });
        Ok(Self { listener, router })
    }

    /// The bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `stop` resolves.
    pub async fn serve(self, stop: impl Future<Output = ()> + Send + 'static) {
        if let Err(e) = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::warn!(error = %e, "the /metrics and /healthz server stopped");
        }
    }
}

async fn healthz(State(s): State<Served>) -> impl IntoResponse {
    let report = s.health.report();
    let status = if report.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::to_string(&report).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body)
}

async fn render_metrics(State(s): State<Served>) -> impl IntoResponse {
    // Keeps the health gauge current for scrapers that never call /healthz.
    s.health.report();
    let body = s.metrics.as_ref().map(|m| m.render()).unwrap_or_default();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        body,
    )
}
