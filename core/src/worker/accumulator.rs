//! Gathers consumed records into batches the way an event source mapping does: a batch closes
//! at `max_records`, at `max_bytes` of keys and values, or `max_wait` after its first record,
//! whichever comes first. Records are grouped by topic-partition, in offset order, exactly as
//! in a Lambda event, so a module sees the same shape in both modes. A record that cannot enter
//! a batch (see [`SourceRecord::defect`], or one the batch's columns cannot hold) is kept
//! beside it as [`Undecodable`], so that it is rejected with its coordinates and its offset is
//! committed with the batch, like any other bad record.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::batch::{BatchBuilder, Coordinates, Delivery, RecordRef, Undecodable};
use crate::source::{SourceRecord, TopicPartition};

/// When a batch closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most records in a batch.
    pub max_records: usize,
    /// Most key and value bytes in a batch (a single larger record still makes a batch).
    pub max_bytes: usize,
    /// Longest a batch stays open after its first record.
    pub max_wait: Duration,
}

impl Default for BatchLimits {
    /// The event source mapping's defaults: 100 records, 6 MB, 500 ms.
    fn default() -> Self {
        Self {
            max_records: 100,
            max_bytes: 6_000_000,
            max_wait: Duration::from_millis(500),
        }
    }
}

/// What became of an offered record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Added; the batch has room for more.
    Added,
    /// Added, and the batch is now full.
    Full,
    /// Not added: it would take the batch past `max_bytes`. The batch is full; the record
    /// starts the next one.
    DoesNotFit,
}

/// The batch being gathered.
#[derive(Debug)]
pub struct Accumulator {
    limits: BatchLimits,
    builder: BatchBuilder,
    records: usize,
    bytes: usize,
    opened: Option<Instant>,
    first: BTreeMap<TopicPartition, i64>,
    undecodable: Vec<Undecodable>,
}

impl Accumulator {
    /// An empty accumulator.
    pub fn new(limits: BatchLimits) -> Self {
        Self {
            limits,
            builder: BatchBuilder::new(),
            records: 0,
            bytes: 0,
            opened: None,
            first: BTreeMap::new(),
            undecodable: Vec::new(),
        }
    }

    /// The limits.
    pub fn limits(&self) -> BatchLimits {
        self.limits
    }

    /// Offers one record.
    pub fn offer<R: SourceRecord>(&mut self, message: &R) -> Offer {
        let key = message.key();
        let value = message.value();
        let size = key.map_or(0, <[u8]>::len) + value.map_or(0, <[u8]>::len);
        if self.records > 0 && self.bytes + size > self.limits.max_bytes {
            return Offer::DoesNotFit;
        }
        let refused = match message.defect() {
            Some(reason) => Some(reason),
            None => {
                let record = RecordRef {
                    offset: message.offset(),
                    timestamp_ms: message.timestamp_ms(),
                    key,
                    value,
                };
                self.builder
                    .push(
                        message.topic(),
                        message.partition(),
                        record,
                        message.headers(),
                    )
                    .err()
                    .map(|e| e.to_string())
            }
        };
        if let Some(reason) = refused {
            self.undecodable.push(Undecodable {
                coordinates: Coordinates {
                    topic: message.topic().to_owned(),
                    partition: message.partition(),
                    offset: message.offset(),
                },
                reason,
                raw: value.unwrap_or_default().to_vec(),
            });
        }
        if self.records == 0 {
            self.opened = Some(Instant::now());
        }
        self.records += 1;
        self.bytes += size;
        self.first
            .entry((message.topic().to_owned(), message.partition()))
            .or_insert(message.offset());
        if self.is_full() {
            Offer::Full
        } else {
            Offer::Added
        }
    }

    /// Whether the batch reached a size limit.
    pub fn is_full(&self) -> bool {
        self.records >= self.limits.max_records || self.bytes >= self.limits.max_bytes
    }

    /// Records gathered.
    pub fn len(&self) -> usize {
        self.records
    }

    /// Whether nothing is gathered.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// When the batch must close at the latest (`None` while empty: the window opens with
    /// the first record).
    pub fn deadline(&self) -> Option<Instant> {
        self.opened.map(|t| t + self.limits.max_wait)
    }

    /// The first offset gathered of each topic-partition.
    pub fn first_offsets(&self) -> &BTreeMap<TopicPartition, i64> {
        &self.first
    }

    /// Closes the batch (with the records that could not enter it) and starts a new one;
    /// `None` if empty.
    pub fn take(&mut self) -> Option<Delivery> {
        if self.records == 0 {
            return None;
        }
        let builder = std::mem::take(&mut self.builder);
        self.records = 0;
        self.bytes = 0;
        self.opened = None;
        self.first.clear();
        Some(Delivery {
            batch: builder.build(),
            undecodable: std::mem::take(&mut self.undecodable),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::source::OwnedRecord;

    fn message(partition: i32, offset: i64, value: &str) -> OwnedRecord {
        OwnedRecord {
            topic: "t".into(),
            partition,
            offset,
            timestamp_ms: 1_000 + offset,
            key: Some(b"k".to_vec()),
            value: Some(value.as_bytes().to_vec()),
            headers: Vec::new(),
            defect: None,
        }
    }

    fn limits(records: usize, bytes: usize) -> BatchLimits {
        BatchLimits {
            max_records: records,
            max_bytes: bytes,
            max_wait: Duration::from_millis(500),
        }
    }

    #[test]
    fn a_batch_closes_at_max_records() {
        let mut acc = Accumulator::new(limits(3, 1_000));
        assert_eq!(acc.offer(&message(0, 1, "a")), Offer::Added);
        assert_eq!(acc.offer(&message(1, 7, "b")), Offer::Added);
        assert_eq!(acc.offer(&message(0, 2, "c")), Offer::Full);
        let batch = acc.take().unwrap().batch;
        assert_eq!(batch.describe(), "t/0@1..2,t/1@7..7");
        assert!(acc.is_empty());
        assert_eq!(acc.deadline(), None);
        assert_eq!(acc.take().map(|b| b.len()), None);
    }

    #[test]
    fn a_record_that_would_pass_max_bytes_starts_the_next_batch() {
        // key (1 byte) + value: 4 + 4 = 8 bytes so far, the next 5 would make 13 > 10.
        let mut acc = Accumulator::new(limits(100, 10));
        assert_eq!(acc.offer(&message(0, 1, "aaa")), Offer::Added);
        assert_eq!(acc.offer(&message(0, 2, "bbb")), Offer::Added);
        assert_eq!(acc.offer(&message(0, 3, "cccc")), Offer::DoesNotFit);
        assert_eq!(acc.take().unwrap().len(), 2);
        // A record larger than the limit still makes a batch on its own.
        assert_eq!(
            acc.offer(&message(0, 3, "a value far over the limit")),
            Offer::Full
        );
    }

    #[test]
    fn the_window_opens_with_the_first_record() {
        let mut acc = Accumulator::new(limits(10, 1_000));
        assert_eq!(acc.deadline(), None);
        let before = Instant::now();
        acc.offer(&message(0, 1, "a"));
        let deadline = acc.deadline().unwrap();
        assert!(deadline >= before + Duration::from_millis(500));
        assert!(deadline <= Instant::now() + Duration::from_millis(500));
    }

    #[test]
    fn keeps_timestamps_keys_headers_and_first_offsets() {
        let mut acc = Accumulator::new(limits(10, 1_000));
        let with_headers = OwnedRecord {
            topic: "t".into(),
            partition: 2,
            offset: 40,
            timestamp_ms: -1,
            key: None,
            value: Some(b"v".to_vec()),
            headers: vec![
                ("source".into(), b"swap".to_vec()),
                ("empty".into(), Vec::new()),
            ],
            defect: None,
        };
        acc.offer(&with_headers);
        acc.offer(&message(2, 41, "w"));
        acc.offer(&message(0, 9, "x"));
        assert_eq!(
            acc.first_offsets().clone().into_iter().collect::<Vec<_>>(),
            vec![(("t".to_owned(), 0), 9), (("t".to_owned(), 2), 40)]
        );
        let batch = acc.take().unwrap().batch;
        let p = &batch.partitions()[0];
        assert_eq!(p.timestamps_ms, vec![-1, 1_041]);
        assert_eq!(p.has_key, vec![0, 1]);
        assert_eq!(
            crate::batch::headers(p),
            vec![(0, "source", &b"swap"[..]), (0, "empty", &b""[..])]
        );
    }

    #[test]
    fn a_record_that_cannot_enter_the_batch_is_kept_beside_it_with_its_coordinates() {
        let mut acc = Accumulator::new(limits(3, 1_000));
        let bad = OwnedRecord {
            defect: Some("header 0's name is not UTF-8".into()),
            ..message(1, 5, "the value")
        };
        assert_eq!(acc.offer(&message(1, 4, "a")), Offer::Added);
        assert_eq!(acc.offer(&bad), Offer::Added);
        assert_eq!(acc.offer(&message(1, 6, "c")), Offer::Full);
        let delivery = acc.take().unwrap();
        assert_eq!(delivery.batch.describe(), "t/1@4..6");
        assert_eq!(delivery.batch.len(), 2);
        assert_eq!(
            delivery.undecodable,
            vec![Undecodable {
                coordinates: Coordinates {
                    topic: "t".into(),
                    partition: 1,
                    offset: 5,
                },
                reason: "header 0's name is not UTF-8".into(),
                raw: b"the value".to_vec(),
            }]
        );
        assert_eq!(
            delivery.spans(),
            vec![crate::batch::PartitionSpan {
                topic: "t".into(),
                partition: 1,
                first: 4,
                last: 6,
                records: 3,
            }]
        );
    }
}
