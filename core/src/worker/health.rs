//! Health of the service: a member of the consumer group (an empty assignment counts: more
//! replicas than partitions is normal), connected to a broker, and no batch failing. While
//! writes fail the worker stops consuming and says so here, so an orchestrator or an alarm
//! notices.

use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::source::SourceStatus;

/// The service's health.
#[derive(Debug)]
pub struct Health {
    source: Arc<SourceStatus>,
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
    /// Health of a source with `source` status.
    pub fn new(source: Arc<SourceStatus>) -> Self {
        Self {
            source,
            failing: Mutex::new(None),
        }
    }

    /// Batches are failing for `reason` (`None`: they are written again).
    pub fn set_failing(&self, reason: Option<String>) {
        match self.failing.lock() {
            Ok(mut f) => *f = reason,
            Err(poisoned) => *poisoned.into_inner() = reason,
        }
    }

    /// The current report (also kept in the `swapstream_healthy` gauge).
    pub fn report(&self) -> HealthReport {
        let failing = match self.failing.lock() {
            Ok(f) => f.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let group_member = self.source.is_member();
        let connected = self.source.is_connected();
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
