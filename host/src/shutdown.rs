//! Graceful shutdown on SIGTERM (orchestrators) and SIGINT (Ctrl-C).

/// Resolves at the first SIGTERM or SIGINT.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                let name = tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = tokio::signal::ctrl_c() => "SIGINT",
                };
                tracing::info!(signal = name, "shutting down");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the host")
            }
        }
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        tracing::warn!(error = %e, "cannot listen for SIGINT either; the host runs until killed");
        std::future::pending::<()>().await;
    }
    tracing::info!(signal = "SIGINT", "shutting down");
}
