//! In-order offset tracking for batches written concurrently.
//!
//! Several batches may be in flight at once and finish in any order, but a partition's offset
//! may only move past a record once every record before it is written. The tracker keeps, per
//! partition, the offset ranges of in-flight batches in the order they were taken; a finished
//! batch releases offsets only up to the first range still in flight.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::batch::PartitionSpan;
use crate::source::TopicPartition;

/// Identifies a batch from its creation to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BatchId(pub u64);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Range {
    batch: BatchId,
    first: i64,
    last: i64,
    done: bool,
}

/// The tracker.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: BTreeMap<TopicPartition, VecDeque<Range>>,
    batches: BTreeMap<BatchId, Vec<TopicPartition>>,
}

/// What dropping partitions from the tracker came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Batches that must be abandoned: they hold records of a dropped partition.
    pub batches: BTreeSet<BatchId>,
    /// The first offset not yet released of each dropped partition that had records in
    /// flight: where a partition the host keeps must be read again from.
    pub first_unreleased: BTreeMap<TopicPartition, i64>,
}

impl OffsetTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts tracking a batch with these spans, taken after every batch tracked before it.
    pub fn track(&mut self, batch: BatchId, spans: &[PartitionSpan]) {
        let mut touched = Vec::with_capacity(spans.len());
        for s in spans {
            let tp = (s.topic.clone(), s.partition);
            self.partitions
                .entry(tp.clone())
                .or_default()
                .push_back(Range {
                    batch,
                    first: s.first,
                    last: s.last,
                    done: false,
                });
            touched.push(tp);
        }
        self.batches.insert(batch, touched);
    }

    /// Marks a batch written. Returns, for each partition whose released prefix grew, the
    /// offset of the next record to read (every record before it is written). A batch the
    /// tracker no longer knows (it was dropped) releases nothing.
    pub fn complete(&mut self, batch: BatchId) -> Vec<(TopicPartition, i64)> {
        let Some(touched) = self.batches.remove(&batch) else {
            return Vec::new();
        };
        let mut released = Vec::new();
        for tp in touched {
            let Some(ranges) = self.partitions.get_mut(&tp) else {
                continue;
            };
            if let Some(r) = ranges.iter_mut().find(|r| r.batch == batch) {
                r.done = true;
            }
            let mut next = None;
            while ranges.front().is_some_and(|r| r.done) {
                next = ranges.pop_front().map(|r| r.last + 1);
            }
            if ranges.is_empty() {
                self.partitions.remove(&tp);
            }
            if let Some(next) = next {
                released.push((tp, next));
            }
        }
        released
    }

    /// Drops `partitions` and, transitively, every partition sharing an in-flight batch with
    /// them: those batches are abandoned, so each of their partitions must be re-read from its
    /// first unreleased offset.
    pub fn drop_partitions(
        &mut self,
        partitions: impl IntoIterator<Item = TopicPartition>,
    ) -> Dropped {
        let mut pending: Vec<TopicPartition> = partitions.into_iter().collect();
        let mut seen: BTreeSet<TopicPartition> = BTreeSet::new();
        let mut dropped = Dropped::default();
        while let Some(tp) = pending.pop() {
            if !seen.insert(tp.clone()) {
                continue;
            }
            let Some(ranges) = self.partitions.remove(&tp) else {
                continue;
            };
            if let Some(first) = ranges.front().map(|r| r.first) {
                dropped.first_unreleased.insert(tp.clone(), first);
            }
            for r in ranges {
                if dropped.batches.insert(r.batch)
                    && let Some(others) = self.batches.get(&r.batch)
                {
                    pending.extend(others.iter().filter(|o| !seen.contains(*o)).cloned());
                }
            }
        }
        for b in &dropped.batches {
            self.batches.remove(b);
        }
        dropped
    }

    /// Batches in flight.
    pub fn in_flight(&self) -> usize {
        self.batches.len()
    }

    /// Whether nothing is in flight.
    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn span(partition: i32, first: i64, last: i64) -> PartitionSpan {
        PartitionSpan {
            topic: "t".into(),
            partition,
            first,
            last,
            records: (last - first + 1) as usize,
        }
    }

    fn tp(partition: i32) -> TopicPartition {
        ("t".to_owned(), partition)
    }

    #[test]
    fn offsets_move_only_past_a_prefix_of_written_batches() {
        let mut t = OffsetTracker::new();
        t.track(BatchId(1), &[span(0, 0, 9), span(1, 100, 104)]);
        t.track(BatchId(2), &[span(0, 10, 19)]);
        t.track(BatchId(3), &[span(0, 20, 29), span(1, 105, 109)]);
        // Batch 2 finishes first: partition 0 still waits for batch 1.
        assert_eq!(t.complete(BatchId(2)), vec![]);
        // Batch 3: partition 1 waits for batch 1 too.
        assert_eq!(t.complete(BatchId(3)), vec![]);
        // Batch 1 releases everything up to the end of batch 3.
        assert_eq!(t.complete(BatchId(1)), vec![(tp(0), 30), (tp(1), 110)]);
        assert!(t.is_empty());
    }

    #[test]
    fn in_order_completion_releases_each_batch() {
        let mut t = OffsetTracker::new();
        t.track(BatchId(1), &[span(0, 0, 9)]);
        t.track(BatchId(2), &[span(0, 10, 19)]);
        assert_eq!(t.complete(BatchId(1)), vec![(tp(0), 10)]);
        assert_eq!(t.in_flight(), 1);
        assert_eq!(t.complete(BatchId(2)), vec![(tp(0), 20)]);
    }

    #[test]
    fn a_dropped_partition_takes_every_batch_touching_it_and_their_partitions() {
        let mut t = OffsetTracker::new();
        t.track(BatchId(1), &[span(0, 0, 9)]);
        t.track(BatchId(2), &[span(0, 10, 19), span(1, 50, 59)]);
        t.track(BatchId(3), &[span(1, 60, 69), span(2, 7, 8)]);
        t.track(BatchId(4), &[span(3, 0, 4)]);
        assert_eq!(t.complete(BatchId(1)), vec![(tp(0), 10)]);
        let dropped = t.drop_partitions([tp(0)]);
        // Batch 2 holds partition 0; it also holds partition 1, whose batch 3 holds 2.
        assert_eq!(
            dropped.batches,
            [BatchId(2), BatchId(3)].into_iter().collect()
        );
        assert_eq!(
            dropped.first_unreleased,
            [(tp(0), 10), (tp(1), 50), (tp(2), 7)].into_iter().collect()
        );
        // A dropped batch that finishes anyway releases nothing.
        assert_eq!(t.complete(BatchId(3)), vec![]);
        // Untouched partitions go on.
        assert_eq!(t.complete(BatchId(4)), vec![(tp(3), 5)]);
        assert!(t.is_empty());
    }

    #[test]
    fn dropping_an_idle_partition_drops_nothing() {
        let mut t = OffsetTracker::new();
        t.track(BatchId(1), &[span(1, 0, 0)]);
        assert_eq!(t.drop_partitions([tp(0)]), Dropped::default());
        assert_eq!(t.complete(BatchId(1)), vec![(tp(1), 1)]);
    }
}
