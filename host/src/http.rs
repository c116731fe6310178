//! The small HTTP server of service mode: `/healthz` (the worker's [`Health`]) and `/metrics`
//! (the Prometheus exporter, installed here).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusBuilder;
use metrics_exporter_prometheus::PrometheusHandle;
use swapstream_core::metrics;
use swapstream_core::worker::Health;

/// Batch latency buckets, in seconds: from a fast in-memory batch to a long sink outage.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
const SIZE_BUCKETS: &[f64] = &[1.0, 10.0, 100.0, 500.0, 1_000.0, 2_500.0, 5_000.0, 10_000.0];

/// Installs the process-wide Prometheus recorder and describes every metric.
pub fn install_metrics() -> Result<PrometheusHandle, String> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(metrics::BATCH_DURATION.to_owned()),
            LATENCY_BUCKETS,
        )
        .and_then(|b| {
            b.set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full(metrics::BATCH_RECORDS.to_owned()),
                SIZE_BUCKETS,
            )
        })
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| e.to_string())?;
    metrics::describe();
    Ok(handle)
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
            // The recorder drains histogram samples into their buckets only when asked (or
            // when rendering): without this, samples pile up without bound when nothing
            // scrapes `/metrics`.
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
