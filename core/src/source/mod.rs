//! Where service mode's records come from: a [`Source`] is a member of a consumer group (or
//! anything that behaves like one) handing out records one at a time, telling the worker about
//! rebalances, and accepting the offsets the worker stores once batches are written.
//!
//! The Kafka source (the `swapstream-kafka` adapter) is the real one; [`memory`] is an
//! in-memory source with the same semantics, for tests without a broker.

pub mod memory;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A topic-partition.
pub type TopicPartition = (String, i32);

/// One record as a source hands it out.
pub trait SourceRecord {
    /// Topic.
    fn topic(&self) -> &str;
    /// Partition.
    fn partition(&self) -> i32;
    /// Offset.
    fn offset(&self) -> i64;
    /// Timestamp in milliseconds since the epoch; -1 when the record has none.
    fn timestamp_ms(&self) -> i64;
    /// Key; `None` for a null key.
    fn key(&self) -> Option<&[u8]>;
    /// Value; `None` for a null value (a tombstone).
    fn value(&self) -> Option<&[u8]>;
    /// Headers (name, value) in order; a null header value is empty. A header whose name a
    /// source cannot give as text is left out here and reported by [`Self::defect`].
    fn headers(&self) -> impl Iterator<Item = (&str, &[u8])>;
    /// Why this record cannot enter a batch as it is (e.g. a header name that is not UTF-8);
    /// such a record is rejected with its coordinates instead.
    fn defect(&self) -> Option<String> {
        None
    }

    /// A copy that outlives the source's buffer.
    fn to_owned_record(&self) -> OwnedRecord {
        OwnedRecord {
            topic: self.topic().to_owned(),
            partition: self.partition(),
            offset: self.offset(),
            timestamp_ms: self.timestamp_ms(),
            key: self.key().map(<[u8]>::to_vec),
            value: self.value().map(<[u8]>::to_vec),
            headers: self
                .headers()
                .map(|(n, v)| (n.to_owned(), v.to_vec()))
                .collect(),
            defect: self.defect(),
        }
    }

    /// Its topic-partition.
    fn topic_partition(&self) -> TopicPartition {
        (self.topic().to_owned(), self.partition())
    }
}

/// A record that owns its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedRecord {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Timestamp in milliseconds since the epoch; -1 for none.
    pub timestamp_ms: i64,
    /// Key.
    pub key: Option<Vec<u8>>,
    /// Value.
    pub value: Option<Vec<u8>>,
    /// Headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Why the record cannot enter a batch, if it cannot ([`SourceRecord::defect`]).
    pub defect: Option<String>,
}

impl SourceRecord for OwnedRecord {
    fn topic(&self) -> &str {
        &self.topic
    }
    fn partition(&self) -> i32 {
        self.partition
    }
    fn offset(&self) -> i64 {
        self.offset
    }
    fn timestamp_ms(&self) -> i64 {
        self.timestamp_ms
    }
    fn key(&self) -> Option<&[u8]> {
        self.key.as_deref()
    }
    fn value(&self) -> Option<&[u8]> {
        self.value.as_deref()
    }
    fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }
    fn defect(&self) -> Option<String> {
        self.defect.clone()
    }
}

/// A change of the assignment, as the worker must see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEvent {
    /// These partitions are now ours.
    Assigned(Vec<TopicPartition>),
    /// These partitions are no longer ours: nothing more may be stored for them, and records
    /// of theirs not yet written must be dropped (their next owner reads them again from the
    /// committed offset).
    Revoked(Vec<TopicPartition>),
}

/// Why a source failed. The worker stops; started again, it resumes from the committed
/// offsets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The client cannot go on (e.g. librdkafka's fatal errors).
    #[error("fatal source error: {0}")]
    Fatal(String),
    /// Moving a partition's position back failed, so records could be skipped.
    #[error("cannot rewind {topic}/{partition} to offset {offset}: {reason}")]
    Rewind {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// Offset.
        offset: i64,
        /// Why.
        reason: String,
    },
}

/// Whether a source is part of its group and connected, for health checks.
#[derive(Debug, Default)]
pub struct SourceStatus {
    member: AtomicBool,
    connected: AtomicBool,
}

impl SourceStatus {
    /// Whether the source holds an assignment (possibly empty: more replicas than partitions
    /// is a healthy state).
    pub fn is_member(&self) -> bool {
        self.member.load(Ordering::Relaxed)
    }

    /// Whether at least one broker connection is up.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Sets group membership.
    pub fn set_member(&self, member: bool) {
        self.member.store(member, Ordering::Relaxed);
    }

    /// Sets the connection state.
    pub fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Relaxed);
    }
}

/// A consumer-group member the worker reads from.
///
/// Contract: `recv` is cancel-safe; group events that happened inside a `recv` are returned by
/// the next `take_group_events`, and the worker reads them before acting on anything else;
/// `store` only ever receives offsets whose earlier records are all written.
pub trait Source {
    /// A record, borrowed from the source's buffer.
    type Record<'a>: SourceRecord
    where
        Self: 'a;

    /// The next record.
    fn recv(&self) -> impl Future<Output = Result<Self::Record<'_>, SourceError>>;

    /// Assignment changes since the last call, oldest first.
    fn take_group_events(&self) -> Vec<GroupEvent>;

    /// Membership and connection, for health checks.
    fn status(&self) -> Arc<SourceStatus>;

    /// Stores `next` (the offset of the next record to read) for each partition, to be
    /// committed. A partition no longer assigned is skipped: its next owner reads those
    /// records again.
    fn store(&self, offsets: &[(TopicPartition, i64)]);

    /// Stops handing out records of every assigned partition (and of partitions assigned
    /// later) until [`Source::resume`]; the membership is kept as long as the worker polls.
    fn pause(&self);

    /// Hands out records again.
    fn resume(&self);

    /// Whether paused.
    fn is_paused(&self) -> bool;

    /// Whether the partition is assigned to this member.
    fn is_assigned(&self, partition: &TopicPartition) -> bool;

    /// Moves a partition's position back to `offset`, so that records taken from it but
    /// dropped (not written) are read again. Must not block the async runtime.
    fn rewind(&self, partition: &TopicPartition, offset: i64) -> Result<(), SourceError>;

    /// Commits the stored offsets and leaves the group, within a bounded time. Returns whether
    /// it finished in time.
    fn close(self) -> impl Future<Output = bool>;
}

/// `topic/partition` list for logs.
pub fn describe(partitions: &[TopicPartition]) -> String {
    let parts: Vec<String> = partitions.iter().map(|(t, p)| format!("{t}/{p}")).collect();
    parts.join(",")
}
