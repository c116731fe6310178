//! The Kafka source of service mode: an rdkafka `StreamConsumer` in a consumer group, with
//! offsets stored by the host only after a batch is written.
//!
//! Split as the typed connection settings and the one librdkafka configuration builder
//! ([`config`]), the callbacks (logs, statistics, MSK IAM tokens, rebalances: [`context`]), and
//! the event-source-mapping-like batching ([`accumulator`]). The service loop
//! (`crate::service`) drives it.

pub mod accumulator;
pub mod config;
pub mod context;

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::BorrowedMessage;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

pub use accumulator::{Accumulator, BatchLimits, Offer};
pub use config::{ClientRole, KafkaArgs, KafkaConnection, client_config};
pub use context::{
    ClientHooks, ConsumerHooks, ConsumerStatus, GroupEvent, GroupState, MskIamTokens,
    TopicPartition,
};

/// Why the source failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The consumer could not be created (e.g. a `--kafka-option` librdkafka refuses).
    #[error("cannot create the Kafka consumer: {0}")]
    Create(#[source] KafkaError),
    /// Subscribing failed.
    #[error("cannot subscribe to {topics}: {error}")]
    Subscribe {
        /// The topics.
        topics: String,
        /// Why.
        #[source]
        error: KafkaError,
    },
    /// librdkafka reported a fatal error: the client cannot go on.
    #[error("fatal Kafka error: {0}")]
    Fatal(String),
    /// Moving a partition's position back failed, so records could be skipped: the host must
    /// restart from the committed offsets.
    #[error("cannot rewind {topic}/{partition} to offset {offset}: {error}")]
    Rewind {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// Offset.
        offset: i64,
        /// Why.
        #[source]
        error: KafkaError,
    },
}

impl SourceError {
    /// Whether retrying (e.g. restarting the host) can help; configuration errors cannot.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SourceError::Fatal(_) | SourceError::Rewind { .. })
    }
}

/// A consumer-group member reading `topics`.
pub struct KafkaSource {
    consumer: StreamConsumer<ConsumerHooks>,
    group: Arc<GroupState>,
}

/// How long the final commit and leaving the group may take at shutdown.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

impl KafkaSource {
    /// Creates the consumer and subscribes. Must run inside the async runtime.
    pub fn subscribe(
        connection: &KafkaConnection,
        group_id: &str,
        topics: &[String],
        prefetch_kib: u64,
        hooks: ClientHooks,
    ) -> Result<Self, SourceError> {
        let config = client_config(
            connection,
            &ClientRole::Consumer {
                group: group_id,
                prefetch_kib,
            },
        );
        let group = Arc::new(GroupState::default());
        let consumer: StreamConsumer<ConsumerHooks> = config
            .create_with_context(ConsumerHooks::new(hooks, group.clone()))
            .map_err(SourceError::Create)?;
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&names)
            .map_err(|error| SourceError::Subscribe {
                topics: topics.join(","),
                error,
            })?;
        Ok(Self { consumer, group })
    }

    /// The next record. Rebalance callbacks run inside this call; take their events with
    /// [`KafkaSource::take_group_events`] before acting on anything else. Cancel-safe.
    pub async fn recv(&self) -> Result<BorrowedMessage<'_>, SourceError> {
        loop {
            match self.consumer.recv().await {
                Ok(message) => {
                    self.group.status().mark_connected();
                    return Ok(message);
                }
                Err(e) => {
                    if let Some((code, reason)) = self.consumer.client().fatal_error() {
                        return Err(SourceError::Fatal(format!("{code}: {reason}")));
                    }
                    // Everything else (unknown topic, broker transport, authentication…) is
                    // retried by librdkafka itself; the state shows on /healthz.
                    tracing::warn!(error = %e, "Kafka consumer error");
                }
            }
        }
    }

    /// Assignment changes since the last call, oldest first.
    pub fn take_group_events(&self) -> Vec<GroupEvent> {
        self.group.take_events()
    }

    /// The consumer's status, for health checks.
    pub fn status(&self) -> Arc<ConsumerStatus> {
        self.group.status().clone()
    }

    /// Stores `next` (the offset of the next record to read) for each partition, to be
    /// committed. Call only once every record before `next` is written. A partition that is
    /// no longer assigned is skipped: its next owner reads those records again.
    pub fn store(&self, offsets: &[(TopicPartition, i64)]) {
        let mut list = TopicPartitionList::new();
        for ((topic, partition), next) in offsets {
            if let Err(e) = list.add_partition_offset(topic, *partition, Offset::Offset(*next)) {
                tracing::warn!(topic, partition, next, error = %e, "cannot list an offset to store");
            }
        }
        match self.consumer.store_offsets(&list) {
            Ok(()) => {
                for ((topic, partition), next) in offsets {
                    crate::metrics::stored_offset(topic, *partition, *next);
                }
            }
            // Some partitions were revoked meanwhile; the others are stored.
            Err(KafkaError::StoreOffset(RDKafkaErrorCode::State)) => {
                tracing::debug!("offsets of partitions no longer assigned were not stored")
            }
            Err(e) => tracing::warn!(error = %e, "storing offsets failed"),
        }
    }

    /// Stops fetching from every assigned partition (and from partitions assigned later, until
    /// [`KafkaSource::resume`]); the group membership is kept as long as the loop polls.
    pub fn pause(&self) {
        self.group.set_paused(true);
        match self.consumer.assignment() {
            Ok(list) if list.count() > 0 => {
                if let Err(e) = self.consumer.pause(&list) {
                    tracing::warn!(error = %e, "cannot pause the assigned partitions");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the assignment to pause it"),
        }
    }

    /// Fetches again from every assigned partition.
    pub fn resume(&self) {
        self.group.set_paused(false);
        match self.consumer.assignment() {
            Ok(list) if list.count() > 0 => {
                if let Err(e) = self.consumer.resume(&list) {
                    tracing::warn!(error = %e, "cannot resume the assigned partitions");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the assignment to resume it"),
        }
    }

    /// Whether consumption is paused.
    pub fn is_paused(&self) -> bool {
        self.group.is_paused()
    }

    /// Whether `partition` of `topic` is assigned to this member.
    pub fn is_assigned(&self, topic: &str, partition: i32) -> bool {
        self.consumer.assignment().is_ok_and(|list| {
            list.elements()
                .iter()
                .any(|e| e.topic() == topic && e.partition() == partition)
        })
    }

    /// Moves a partition's fetch position back to `offset`, so that records taken from it
    /// but dropped (not written) are read again.
    pub fn rewind(&self, topic: &str, partition: i32, offset: i64) -> Result<(), SourceError> {
        let error = |error| SourceError::Rewind {
            topic: topic.to_owned(),
            partition,
            offset,
            error,
        };
        let mut list = TopicPartitionList::new();
        list.add_partition_offset(topic, partition, Offset::Offset(offset))
            .map_err(error)?;
        let done = self
            .consumer
            .seek_partitions(list, Duration::from_secs(5))
            .map_err(error)?;
        for e in done.elements() {
            if let Err(err) = e.error() {
                return Err(error(err));
            }
        }
        tracing::info!(
            topic,
            partition,
            offset,
            "rewound a partition to re-read dropped records"
        );
        Ok(())
    }

    /// Commits the stored offsets, leaves the group and closes, within [`CLOSE_TIMEOUT`]
    /// (a broker that is away must not hold up the exit). Returns whether it finished in time.
    pub async fn close(self) -> bool {
        let (done, finished) = tokio::sync::oneshot::channel();
        let consumer = self.consumer;
        // A thread of its own: librdkafka's close blocks, and a detached thread does not keep
        // the process alive if it overruns.
        let spawned = std::thread::Builder::new()
            .name("kafka-close".into())
            .spawn(move || {
                match consumer.commit_consumer_state(CommitMode::Sync) {
                    Ok(()) => tracing::info!("committed the stored offsets"),
                    Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {
                        tracing::info!("no new offsets to commit")
                    }
                    Err(e) => tracing::warn!(error = %e, "final commit failed"),
                }
                // Dropping leaves the group (the revoke callback commits once more).
                drop(consumer);
                let _ = done.send(());
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the closing thread");
            return false;
        }
        tokio::time::timeout(CLOSE_TIMEOUT, finished).await.is_ok()
    }
}
