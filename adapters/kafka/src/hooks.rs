//! The librdkafka callbacks: logs into `tracing`, statistics into metrics and connection
//! state, MSK IAM tokens, and the consumer-group rebalance hooks that the worker relies on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use swapstream_core::metrics;
use swapstream_core::source::{GroupEvent, SourceStatus, TopicPartition, describe};

use crate::msk_iam::MskIamTokens;

/// The topic-partitions in a list.
pub fn partitions_of(list: &TopicPartitionList) -> Vec<TopicPartition> {
    list.elements()
        .iter()
        .map(|e| (e.topic().to_owned(), e.partition()))
        .collect()
}

/// What every swapstream Kafka client does with librdkafka's logs, errors and token requests.
#[derive(Debug, Clone, Default)]
pub struct ClientHooks {
    tokens: Option<MskIamTokens>,
}

impl ClientHooks {
    /// Hooks that answer token requests with `tokens` (MSK IAM), if given.
    pub fn new(tokens: Option<MskIamTokens>) -> Self {
        Self { tokens }
    }

    fn log(level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", facility, "{message}")
            }
            RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", facility, "{message}"),
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", facility, "{message}")
            }
            RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", facility, "{message}"),
        }
    }

    fn error(error: &KafkaError, reason: &str) {
        // Transport errors repeat every few seconds while a broker is away; the state change
        // is reported once (all brokers down) at warn level, the rest at debug.
        match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::BrokerTransportFailure) => {
                tracing::debug!(target: "librdkafka", %error, "{reason}")
            }
            _ => tracing::warn!(target: "librdkafka", %error, "{reason}"),
        }
    }

    pub(crate) fn token(&self) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        match &self.tokens {
            Some(tokens) => tokens.token().map_err(|e| {
                tracing::error!(error = %e, "MSK IAM token refresh failed");
                e.into()
            }),
            None => Err("OAUTHBEARER needs --kafka-security msk-iam".into()),
        }
    }
}

/// A plain client context with the shared hooks (used by the producer).
#[derive(Debug, Clone, Default)]
pub struct HooksContext(pub ClientHooks);

impl ClientContext for HooksContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        ClientHooks::log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        ClientHooks::error(&error, reason);
    }

    fn generate_oauth_token(
        &self,
        _config: Option<&str>,
    ) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        self.0.token()
    }
}

/// State the rebalance callbacks share with the worker. The callbacks run inside the worker's
/// own `recv()` (librdkafka serves them from the poll), so the worker sees every event before
/// it does anything else with the consumer.
#[derive(Debug, Default)]
pub struct GroupState {
    events: Mutex<Vec<GroupEvent>>,
    paused: AtomicBool,
    status: Arc<SourceStatus>,
}

impl GroupState {
    /// Takes the events since the last call, oldest first.
    pub fn take_events(&self) -> Vec<GroupEvent> {
        match self.events.lock() {
            Ok(mut events) => std::mem::take(&mut *events),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }

    fn push(&self, event: GroupEvent) {
        match self.events.lock() {
            Ok(mut events) => events.push(event),
            Err(poisoned) => poisoned.into_inner().push(event),
        }
    }

    /// While set, partitions assigned by a rebalance are paused at once (the sink is failing,
    /// so no new records may be fetched).
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
    }

    /// Whether consumption is paused.
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// The consumer's status for health checks.
    pub fn status(&self) -> &Arc<SourceStatus> {
        &self.status
    }
}

/// The consumer's context.
#[derive(Debug)]
pub struct ConsumerHooks {
    hooks: ClientHooks,
    group: Arc<GroupState>,
}

impl ConsumerHooks {
    /// A context reporting to `group`.
    pub fn new(hooks: ClientHooks, group: Arc<GroupState>) -> Self {
        Self { hooks, group }
    }
}

impl ClientContext for ConsumerHooks {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        ClientHooks::log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.group.status.set_connected(false);
        }
        ClientHooks::error(&error, reason);
    }

    fn stats(&self, statistics: Statistics) {
        let up = statistics
            .brokers
            .values()
            .any(|b| b.nodeid >= 0 && b.state == "UP");
        self.group.status.set_connected(up);
        for (topic, t) in &statistics.topics {
            for (partition, p) in &t.partitions {
                // Partition -1 is librdkafka's internal placeholder; a negative lag means
                // unknown (no committed offset or high watermark yet).
                if *partition >= 0 && p.fetch_state == "active" && p.consumer_lag >= 0 {
                    metrics::consumer_lag(topic, *partition, p.consumer_lag);
                }
            }
        }
    }

    fn generate_oauth_token(
        &self,
        _config: Option<&str>,
    ) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        self.hooks.token()
    }
}

impl ConsumerContext for ConsumerHooks {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let revoked = partitions_of(list);
            // Last chance to commit for these partitions: stored offsets cover only written
            // batches, so this hands the next owner exactly what is done.
            match crate::blocking(|| consumer.commit_consumer_state(CommitMode::Sync)) {
                Ok(()) => tracing::debug!("committed stored offsets before the revoke"),
                Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
                Err(e) => tracing::warn!(error = %e, "could not commit before the revoke"),
            }
            for (topic, partition) in &revoked {
                metrics::consumer_lag(topic, *partition, 0);
            }
            tracing::info!(partitions = %describe(&revoked), lost = consumer.assignment_lost(), "partitions revoked");
            self.group.status.set_member(false);
            self.group.push(GroupEvent::Revoked(revoked));
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                let assigned = partitions_of(list);
                if self.group.is_paused()
                    && !assigned.is_empty()
                    && let Err(e) = consumer.pause(list)
                {
                    tracing::warn!(error = %e, "could not pause newly assigned partitions");
                }
                tracing::info!(partitions = %describe(&assigned), "partitions assigned");
                self.group.status.set_member(true);
                self.group.status.set_connected(true);
                self.group.push(GroupEvent::Assigned(assigned));
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance failed"),
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        match result {
            Ok(()) => {
                for e in offsets.elements() {
                    if let Offset::Offset(o) = e.offset() {
                        metrics::committed_offset(e.topic(), e.partition(), o);
                    }
                }
            }
            // Nothing stored since the last commit: not an error.
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => {
                tracing::warn!(error = %e, "offset commit failed; it is retried with the next commit")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn without_msk_iam_a_token_request_is_refused() {
        let Err(err) = super::ClientHooks::default().token() else {
            panic!("a token without MSK IAM");
        };
        assert_eq!(
            err.to_string(),
            "OAUTHBEARER needs --kafka-security msk-iam"
        );
    }
}
