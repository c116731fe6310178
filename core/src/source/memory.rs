//! An in-memory consumer-group source: a [`MemoryLog`] stands in for the broker (partitions of
//! records, committed offsets), and each [`MemorySource`] is a member reading from it with the
//! same semantics as the Kafka source: positions, stored and committed offsets, pause, rewind
//! and eager rebalances (every partition revoked, then the new assignment given). Tests drive
//! the service's worker through rebalances, failures and restarts with it, without a broker.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::{GroupEvent, OwnedRecord, Source, SourceError, SourceStatus, TopicPartition};

/// Partitions of records and the group's committed offsets.
#[derive(Debug, Clone, Default)]
pub struct MemoryLog {
    inner: Arc<LogInner>,
}

#[derive(Debug, Default)]
struct LogInner {
    state: Mutex<LogState>,
    /// Woken when records are appended or a member's position or pause state changes.
    changed: Notify,
}

#[derive(Debug, Default)]
struct LogState {
    partitions: BTreeMap<TopicPartition, Vec<OwnedRecord>>,
    committed: BTreeMap<TopicPartition, i64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a record with this value (and no key or headers) to `topic`/`partition`;
    /// returns its offset.
    pub fn append(&self, topic: &str, partition: i32, value: &[u8]) -> i64 {
        self.append_record(OwnedRecord {
            topic: topic.to_owned(),
            partition,
            offset: 0,
            timestamp_ms: -1,
            key: None,
            value: Some(value.to_vec()),
            headers: Vec::new(),
            defect: None,
        })
    }

    /// Appends a record to its topic-partition, at the next offset (its own `offset` is
    /// replaced); returns the offset.
    pub fn append_record(&self, mut record: OwnedRecord) -> i64 {
        let offset = {
            let mut state = lock(&self.inner.state);
            let log = state
                .partitions
                .entry((record.topic.clone(), record.partition))
                .or_default();
            let offset = log.len() as i64;
            record.offset = offset;
            log.push(record);
            offset
        };
        self.inner.changed.notify_waiters();
        offset
    }

    /// The topic-partitions that have records.
    pub fn partitions(&self) -> Vec<TopicPartition> {
        lock(&self.inner.state).partitions.keys().cloned().collect()
    }

    /// The offset the next record of `partition` gets.
    pub fn end_offset(&self, partition: &TopicPartition) -> i64 {
        lock(&self.inner.state)
            .partitions
            .get(partition)
            .map_or(0, |l| l.len() as i64)
    }

    /// The committed offset of `partition`: the next record the group reads.
    pub fn committed(&self, partition: &TopicPartition) -> Option<i64> {
        lock(&self.inner.state).committed.get(partition).copied()
    }

    fn commit(&self, offsets: &BTreeMap<TopicPartition, i64>) {
        let mut state = lock(&self.inner.state);
        for (tp, next) in offsets {
            state.committed.insert(tp.clone(), *next);
        }
    }

    fn record(&self, partition: &TopicPartition, offset: i64) -> Option<OwnedRecord> {
        let state = lock(&self.inner.state);
        let log = state.partitions.get(partition)?;
        usize::try_from(offset)
            .ok()
            .and_then(|i| log.get(i))
            .cloned()
    }
}

/// One member of the group, reading a [`MemoryLog`]. Clones are handles to the same member,
/// so a test can stage a rebalance while a worker reads from it.
#[derive(Debug, Clone)]
pub struct MemorySource {
    inner: Arc<MemberInner>,
}

#[derive(Debug)]
struct MemberInner {
    log: MemoryLog,
    member: Mutex<Member>,
    status: Arc<SourceStatus>,
}

#[derive(Debug, Default)]
struct Member {
    /// Position (next offset to hand out) of each assigned partition.
    positions: BTreeMap<TopicPartition, i64>,
    stored: BTreeMap<TopicPartition, i64>,
    paused: bool,
    events: Vec<GroupEvent>,
    /// Where the round-robin over partitions resumes.
    turn: usize,
}

impl MemorySource {
    /// A member that joined the group and was given `partitions`, each read from its committed
    /// offset (from 0 when nothing is committed), as after a (re)start.
    pub fn join(log: &MemoryLog, partitions: impl IntoIterator<Item = TopicPartition>) -> Self {
        let source = Self {
            inner: Arc::new(MemberInner {
                log: log.clone(),
                member: Mutex::new(Member::default()),
                status: Arc::new(SourceStatus::default()),
            }),
        };
        source.inner.status.set_connected(true);
        source.assign(partitions.into_iter().collect());
        source
    }

    /// An eager rebalance, as Kafka's classic protocol does it: every assigned partition is
    /// revoked (stored offsets are committed first), then `partitions` are assigned and read
    /// from their committed offsets.
    pub fn rebalance(&self, partitions: impl IntoIterator<Item = TopicPartition>) {
        self.revoke_all();
        self.assign(partitions.into_iter().collect());
    }

    /// What this member stored and has not yet committed, and what it committed before.
    pub fn stored(&self) -> BTreeMap<TopicPartition, i64> {
        lock(&self.inner.member).stored.clone()
    }

    /// Commits the stored offsets (Kafka's periodic auto-commit).
    pub fn commit(&self) {
        let stored = lock(&self.inner.member).stored.clone();
        self.inner.log.commit(&stored);
    }

    fn revoke_all(&self) {
        self.commit();
        let mut member = lock(&self.inner.member);
        let revoked: Vec<TopicPartition> = member.positions.keys().cloned().collect();
        member.positions.clear();
        member.stored.clear();
        member.events.push(GroupEvent::Revoked(revoked));
        self.inner.status.set_member(false);
    }

    fn assign(&self, partitions: Vec<TopicPartition>) {
        {
            let mut member = lock(&self.inner.member);
            for tp in &partitions {
                let start = self.inner.log.committed(tp).unwrap_or(0);
                member.positions.insert(tp.clone(), start);
            }
            member.events.push(GroupEvent::Assigned(partitions));
        }
        self.inner.status.set_member(true);
        self.inner.log.inner.changed.notify_waiters();
    }

    /// The next record due, if any, advancing its partition's position.
    fn next_record(&self) -> Option<OwnedRecord> {
        let mut member = lock(&self.inner.member);
        if member.paused || member.positions.is_empty() {
            return None;
        }
        let partitions: Vec<(TopicPartition, i64)> = member
            .positions
            .iter()
            .map(|(tp, p)| (tp.clone(), *p))
            .collect();
        let n = partitions.len();
        for step in 0..n {
            let (tp, position) = &partitions[(member.turn + step) % n];
            if let Some(record) = self.inner.log.record(tp, *position) {
                member.turn = (member.turn + step + 1) % n;
                member.positions.insert(tp.clone(), position + 1);
                return Some(record);
            }
        }
        None
    }
}

impl Source for MemorySource {
    type Record<'a> = OwnedRecord;

    async fn recv(&self) -> Result<OwnedRecord, SourceError> {
        loop {
            let changed = self.inner.log.inner.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if let Some(record) = self.next_record() {
                return Ok(record);
            }
            changed.await;
        }
    }

    fn take_group_events(&self) -> Vec<GroupEvent> {
        std::mem::take(&mut lock(&self.inner.member).events)
    }

    fn status(&self) -> Arc<SourceStatus> {
        Arc::clone(&self.inner.status)
    }

    fn store(&self, offsets: &[(TopicPartition, i64)]) {
        let mut member = lock(&self.inner.member);
        for (tp, next) in offsets {
            if member.positions.contains_key(tp) {
                member.stored.insert(tp.clone(), *next);
            }
        }
    }

    fn pause(&self) {
        lock(&self.inner.member).paused = true;
    }

    fn resume(&self) {
        lock(&self.inner.member).paused = false;
        self.inner.log.inner.changed.notify_waiters();
    }

    fn is_paused(&self) -> bool {
        lock(&self.inner.member).paused
    }

    fn is_assigned(&self, partition: &TopicPartition) -> bool {
        lock(&self.inner.member).positions.contains_key(partition)
    }

    fn rewind(&self, partition: &TopicPartition, offset: i64) -> Result<(), SourceError> {
        let mut member = lock(&self.inner.member);
        match member.positions.get_mut(partition) {
            Some(position) => {
                *position = offset;
                drop(member);
                self.inner.log.inner.changed.notify_waiters();
                Ok(())
            }
            None => Err(SourceError::Rewind {
                topic: partition.0.clone(),
                partition: partition.1,
                offset,
                reason: "not assigned".into(),
            }),
        }
    }

    async fn close(self) -> bool {
        self.commit();
        self.inner.status.set_member(false);
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::source::SourceRecord;

    fn tp(p: i32) -> TopicPartition {
        ("t".to_owned(), p)
    }

    #[tokio::test]
    async fn hands_out_records_of_assigned_partitions_in_offset_order() {
        let log = MemoryLog::new();
        for i in 0..3 {
            log.append("t", 0, format!("a{i}").as_bytes());
            log.append("t", 1, format!("b{i}").as_bytes());
        }
        let source = MemorySource::join(&log, [tp(0)]);
        let mut got = Vec::new();
        for _ in 0..3 {
            let r = source.recv().await.unwrap();
            got.push((r.partition(), r.offset(), r.value().unwrap().to_vec()));
        }
        assert_eq!(
            got,
            vec![
                (0, 0, b"a0".to_vec()),
                (0, 1, b"a1".to_vec()),
                (0, 2, b"a2".to_vec())
            ]
        );
        assert_eq!(
            source.take_group_events(),
            vec![GroupEvent::Assigned(vec![tp(0)])]
        );
    }

    #[tokio::test]
    async fn a_new_member_starts_at_the_committed_offset() {
        let log = MemoryLog::new();
        for i in 0..4 {
            log.append("t", 0, &[i]);
        }
        let first = MemorySource::join(&log, [tp(0)]);
        first.recv().await.unwrap();
        first.recv().await.unwrap();
        first.store(&[(tp(0), 2)]);
        assert!(first.close().await);
        assert_eq!(log.committed(&tp(0)), Some(2));
        let second = MemorySource::join(&log, [tp(0)]);
        assert_eq!(second.recv().await.unwrap().offset, 2);
    }

    #[tokio::test]
    async fn a_rebalance_commits_what_is_stored_and_reports_both_events() {
        let log = MemoryLog::new();
        log.append("t", 0, b"x");
        log.append("t", 1, b"y");
        let source = MemorySource::join(&log, [tp(0), tp(1)]);
        source.take_group_events();
        source.store(&[(tp(0), 1)]);
        source.rebalance([tp(1)]);
        assert_eq!(log.committed(&tp(0)), Some(1));
        assert_eq!(
            source.take_group_events(),
            vec![
                GroupEvent::Revoked(vec![tp(0), tp(1)]),
                GroupEvent::Assigned(vec![tp(1)])
            ]
        );
        assert!(!source.is_assigned(&tp(0)));
        assert_eq!(source.recv().await.unwrap().value, Some(b"y".to_vec()));
    }

    #[tokio::test]
    async fn paused_sources_hand_out_nothing_until_resumed() {
        let log = MemoryLog::new();
        log.append("t", 0, b"x");
        let source = MemorySource::join(&log, [tp(0)]);
        source.pause();
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(50), source.recv()).await;
        assert!(waited.is_err(), "a paused source handed out a record");
        source.resume();
        assert_eq!(source.recv().await.unwrap().offset, 0);
        source.rewind(&tp(0), 0).unwrap();
        assert_eq!(source.recv().await.unwrap().offset, 0);
    }
}
