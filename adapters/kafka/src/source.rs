//! The Kafka source of service mode: an rdkafka `StreamConsumer` in a consumer group, with
//! offsets stored by the worker only after a batch is written. It implements the core's
//! [`Source`], so the worker never sees an rdkafka type.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};
use swapstream_core::metrics;
use swapstream_core::source::{
    GroupEvent, Source, SourceError, SourceRecord, SourceStatus, TopicPartition,
};

use crate::connection::{ClientRole, KafkaConnection, client_config};
use crate::headers;
use crate::hooks::{ClientHooks, ConsumerHooks, GroupState};

/// Why the consumer could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
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
}

/// A consumer-group member reading `topics`.
pub struct KafkaSource {
    consumer: StreamConsumer<ConsumerHooks>,
    group: Arc<GroupState>,
}

/// How long the final commit and leaving the group may take at shutdown.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a rewind may wait for the fetcher to move: a seek that returns before it moved
/// could still hand out records prefetched from the old position.
const SEEK_TIMEOUT: Duration = Duration::from_secs(5);

impl KafkaSource {
    /// Creates the consumer and subscribes. Must run inside the async runtime.
    pub fn subscribe(
        connection: &KafkaConnection,
        group_id: &str,
        topics: &[String],
        prefetch_kib: u64,
        hooks: ClientHooks,
    ) -> Result<Self, SubscribeError> {
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
            .map_err(SubscribeError::Create)?;
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&names)
            .map_err(|error| SubscribeError::Subscribe {
                topics: topics.join(","),
                error,
            })?;
        Ok(Self { consumer, group })
    }

    fn set_paused(&self, paused: bool) {
        self.group.set_paused(paused);
        let what = if paused { "pause" } else { "resume" };
        match self.consumer.assignment() {
            Ok(list) if list.count() > 0 => {
                let done = if paused {
                    self.consumer.pause(&list)
                } else {
                    self.consumer.resume(&list)
                };
                if let Err(e) = done {
                    tracing::warn!(error = %e, "cannot {what} the assigned partitions");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the assignment to {what} it"),
        }
    }
}

/// A record borrowed from the consumer's buffer.
pub struct KafkaRecord<'a>(BorrowedMessage<'a>);

impl SourceRecord for KafkaRecord<'_> {
    fn topic(&self) -> &str {
        self.0.topic()
    }
    fn partition(&self) -> i32 {
        self.0.partition()
    }
    fn offset(&self) -> i64 {
        self.0.offset()
    }
    fn timestamp_ms(&self) -> i64 {
        // Kafka's "no timestamp" is -1 as well.
        self.0.timestamp().to_millis().unwrap_or(-1)
    }
    fn key(&self) -> Option<&[u8]> {
        self.0.key()
    }
    fn value(&self) -> Option<&[u8]> {
        self.0.payload()
    }
    fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.0
            .headers()
            .into_iter()
            .flat_map(headers::raw_headers)
            .filter_map(|h| Some((std::str::from_utf8(h.name).ok()?, h.value)))
    }
    fn defect(&self) -> Option<String> {
        headers::defect(self.0.headers())
    }
}

impl Source for KafkaSource {
    type Record<'a> = KafkaRecord<'a>;

    /// The next record. Rebalance callbacks run inside this call. Cancel-safe.
    async fn recv(&self) -> Result<KafkaRecord<'_>, SourceError> {
        loop {
            match self.consumer.recv().await {
                Ok(message) => {
                    self.group.status().set_connected(true);
                    return Ok(KafkaRecord(message));
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

    fn take_group_events(&self) -> Vec<GroupEvent> {
        self.group.take_events()
    }

    fn status(&self) -> Arc<SourceStatus> {
        self.group.status().clone()
    }

    fn store(&self, offsets: &[(TopicPartition, i64)]) {
        let mut list = TopicPartitionList::new();
        for ((topic, partition), next) in offsets {
            if let Err(e) = list.add_partition_offset(topic, *partition, Offset::Offset(*next)) {
                tracing::warn!(topic, partition, next, error = %e, "cannot list an offset to store");
            }
        }
        match self.consumer.store_offsets(&list) {
            Ok(()) => {
                for ((topic, partition), next) in offsets {
                    metrics::stored_offset(topic, *partition, *next);
                }
            }
            // Some partitions were revoked meanwhile; the others are stored.
            Err(KafkaError::StoreOffset(RDKafkaErrorCode::State)) => {
                tracing::debug!("offsets of partitions no longer assigned were not stored")
            }
            Err(e) => tracing::warn!(error = %e, "storing offsets failed"),
        }
    }

    fn pause(&self) {
        self.set_paused(true);
    }

    fn resume(&self) {
        self.set_paused(false);
    }

    fn is_paused(&self) -> bool {
        self.group.is_paused()
    }

    fn is_assigned(&self, (topic, partition): &TopicPartition) -> bool {
        self.consumer.assignment().is_ok_and(|list| {
            list.elements()
                .iter()
                .any(|e| e.topic() == topic && e.partition() == *partition)
        })
    }

    fn rewind(&self, (topic, partition): &TopicPartition, offset: i64) -> Result<(), SourceError> {
        let error = |error: KafkaError| SourceError::Rewind {
            topic: topic.clone(),
            partition: *partition,
            offset,
            reason: error.to_string(),
        };
        let mut list = TopicPartitionList::new();
        list.add_partition_offset(topic, *partition, Offset::Offset(offset))
            .map_err(error)?;
        // The seek waits for the fetcher (see SEEK_TIMEOUT): off the async worker's duty.
        let done =
            crate::blocking(|| self.consumer.seek_partitions(list, SEEK_TIMEOUT)).map_err(error)?;
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
    /// (a broker that is away must not hold up the exit).
    async fn close(self) -> bool {
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
