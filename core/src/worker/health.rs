//! Health of the service: a member of the consumer group (an empty assignment counts: more
//! replicas than partitions is normal), connected to a broker, no batch failing, and no
//! partition stalled. While writes fail the worker stops consuming and says so here, and a
//! batch in flight longer than the stall threshold names its partitions, so an orchestrator or
//! an alarm notices a partition that is stuck, whatever the cause.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::source::{SourceStatus, TopicPartition};

/// How long a batch may be in flight before its partitions count as stalled, by default.
pub const DEFAULT_STALL_AFTER: Duration = Duration::from_secs(60);

/// The service's health.
#[derive(Debug)]
pub struct Health {
    source: Arc<SourceStatus>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    failing: Option<String>,
    stall_after: Duration,
    /// Batches in flight: when each started and the partitions it holds records of.
    in_flight: BTreeMap<u64, (Instant, Vec<TopicPartition>)>,
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
    /// Partitions with a batch in flight for longer than the stall threshold
    /// (`topic/partition`), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stalled: Vec<String>,
}

impl Health {
    /// Health of a source with `source` status.
    pub fn new(source: Arc<SourceStatus>) -> Self {
        Self {
            source,
            state: Mutex::new(State {
                failing: None,
                stall_after: DEFAULT_STALL_AFTER,
                in_flight: BTreeMap::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Batches are failing for `reason` (`None`: they are written again).
    pub fn set_failing(&self, reason: Option<String>) {
        self.state().failing = reason;
    }

    /// A partition with a batch in flight longer than `after` counts as stalled.
    pub fn set_stall_after(&self, after: Duration) {
        self.state().stall_after = after;
    }

    /// Batch `id`, holding records of `partitions`, started.
    pub fn batch_started(&self, id: u64, partitions: Vec<TopicPartition>) {
        self.state()
            .in_flight
            .insert(id, (Instant::now(), partitions));
    }

    /// Batch `id` is written or abandoned.
    pub fn batch_ended(&self, id: u64) {
        self.state().in_flight.remove(&id);
    }

    /// The current report (also kept in the `swapstream_healthy` gauge).
    pub fn report(&self) -> HealthReport {
        let (failing, stalled) = {
            let state = self.state();
            let stalled: BTreeSet<String> = state
                .in_flight
                .values()
                .filter(|(started, _)| started.elapsed() > state.stall_after)
                .flat_map(|(_, partitions)| partitions)
                .map(|(topic, partition)| format!("{topic}/{partition}"))
                .collect();
            (
                state.failing.clone(),
                stalled.into_iter().collect::<Vec<_>>(),
            )
        };
        let group_member = self.source.is_member();
        let connected = self.source.is_connected();
        let healthy = group_member && connected && failing.is_none() && stalled.is_empty();
        crate::metrics::healthy(healthy);
        HealthReport {
            healthy,
            group_member,
            connected,
            failing,
            stalled,
        }
    }
}
