//! A batch of Kafka records, grouped by topic-partition and stored column by column — the
//! shape the module contract takes, built directly so no per-record copies are made on the way
//! into the module.

use std::collections::HashMap;
use std::fmt;

/// The records of one topic-partition in one batch, in offset order, stored column by column.
///
/// Every per-record column (`offsets`, `timestamps_ms`, `value_ends`, `key_ends`, `has_key`)
/// has one entry per record. Record `i`'s value is `values[value_ends[i-1]..value_ends[i]]`
/// (with `value_ends[-1]` taken as 0); keys are laid out the same way. Header `h` belongs to
/// record `header_records[h]`, its name and value laid out like values. This is the layout of
/// the contract's `partition-batch`, so the engine hands the columns to a module without
/// copying them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionBatch {
    /// The Kafka topic.
    pub topic: String,
    /// The partition within `topic`.
    pub partition: i32,
    /// Offset of each record, ascending.
    pub offsets: Vec<i64>,
    /// Record timestamp in milliseconds since the Unix epoch (-1: none).
    pub timestamps_ms: Vec<i64>,
    /// All values concatenated.
    pub values: Vec<u8>,
    /// Exclusive end of each record's value in `values`.
    pub value_ends: Vec<u32>,
    /// All keys concatenated.
    pub keys: Vec<u8>,
    /// Exclusive end of each record's key in `keys`.
    pub key_ends: Vec<u32>,
    /// 1 if the record has a key, 0 for a null key.
    pub has_key: Vec<u8>,
    /// The record each header belongs to (non-decreasing).
    pub header_records: Vec<u32>,
    /// All header names concatenated.
    pub header_names: String,
    /// Exclusive end of each header's name in `header_names`.
    pub header_name_ends: Vec<u32>,
    /// All header values concatenated.
    pub header_values: Vec<u8>,
    /// Exclusive end of each header's value in `header_values`.
    pub header_value_ends: Vec<u32>,
}

/// Records of one or more topic-partitions, each in arrival (offset) order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    partitions: Vec<PartitionBatch>,
}

/// A batch as a driver delivers it to the pipeline: the records that decoded, and those that
/// did not (which are rejected with their coordinates instead of failing the batch).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Every record that decoded.
    pub batch: Batch,
    /// Records that could not be decoded into the batch.
    pub undecodable: Vec<Undecodable>,
}

impl Delivery {
    /// Records delivered: those in the batch and those that could not enter it.
    pub fn len(&self) -> usize {
        self.batch.len() + self.undecodable.len()
    }

    /// Whether nothing was delivered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The offset range of each topic-partition, counting the records that could not enter
    /// the batch: the positions a writer acknowledges once the delivery is written.
    pub fn spans(&self) -> Vec<PartitionSpan> {
        let mut spans = self.batch.spans();
        for u in &self.undecodable {
            let c = &u.coordinates;
            match spans
                .iter_mut()
                .find(|s| s.topic == c.topic && s.partition == c.partition)
            {
                Some(s) => {
                    s.first = s.first.min(c.offset);
                    s.last = s.last.max(c.offset);
                    s.records += 1;
                }
                None => spans.push(PartitionSpan {
                    topic: c.topic.clone(),
                    partition: c.partition,
                    first: c.offset,
                    last: c.offset,
                    records: 1,
                }),
            }
        }
        spans
    }

    /// A short description for logs: `topic/partition@first..last` for each partition.
    pub fn describe(&self) -> String {
        describe_spans(&self.spans())
    }
}

impl From<Batch> for Delivery {
    fn from(batch: Batch) -> Self {
        Self {
            batch,
            undecodable: Vec::new(),
        }
    }
}

fn describe_spans(spans: &[PartitionSpan]) -> String {
    let spans: Vec<String> = spans
        .iter()
        .map(|s| format!("{}/{}@{}..{}", s.topic, s.partition, s.first, s.last))
        .collect();
    spans.join(",")
}

/// Where a record sits in Kafka.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Coordinates {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
}

impl fmt::Display for Coordinates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}@{}", self.topic, self.partition, self.offset)
    }
}

/// A record that could not be decoded into the batch (e.g. a Lambda event value that is not
/// valid base64); it is rejected with its coordinates instead of failing the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecodable {
    /// Where the record is.
    pub coordinates: Coordinates,
    /// Why it could not be decoded.
    pub reason: String,
    /// The value exactly as received (e.g. still base64), for the dead-letter table.
    pub raw: Vec<u8>,
}

/// The offsets one topic-partition of a batch covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSpan {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Smallest offset in the batch.
    pub first: i64,
    /// Largest offset in the batch.
    pub last: i64,
    /// Number of records.
    pub records: usize,
}

impl Batch {
    /// The partition batches, as passed to the module.
    pub fn partitions(&self) -> &[PartitionBatch] {
        &self.partitions
    }

    /// The partition batches, by value (the engine moves the columns into a module's call
    /// this way and rebuilds the batch with [`Batch::from_partitions`] afterwards).
    pub fn into_partitions(self) -> Vec<PartitionBatch> {
        self.partitions
    }

    /// A batch of these partition batches.
    pub fn from_partitions(partitions: Vec<PartitionBatch>) -> Self {
        Self { partitions }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.partitions.iter().map(|p| p.offsets.len()).sum()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total bytes of keys and values.
    pub fn payload_bytes(&self) -> usize {
        self.partitions
            .iter()
            .map(|p| p.values.len() + p.keys.len())
            .sum()
    }

    /// The offset range of each topic-partition.
    pub fn spans(&self) -> Vec<PartitionSpan> {
        self.partitions
            .iter()
            .filter(|p| !p.offsets.is_empty())
            .map(|p| PartitionSpan {
                topic: p.topic.clone(),
                partition: p.partition,
                first: p.offsets.iter().copied().min().unwrap_or_default(),
                last: p.offsets.iter().copied().max().unwrap_or_default(),
                records: p.offsets.len(),
            })
            .collect()
    }

    /// A short description for logs: `topic/partition@first..last` for each partition.
    pub fn describe(&self) -> String {
        describe_spans(&self.spans())
    }

    /// Coordinates and value of every record, in batch order.
    pub fn records(&self) -> impl Iterator<Item = (Coordinates, &[u8])> + '_ {
        self.partitions.iter().flat_map(|p| {
            let mut start = 0usize;
            p.offsets
                .iter()
                .zip(&p.value_ends)
                .map(move |(offset, end)| {
                    let end = *end as usize;
                    let value = p.values.get(start..end).unwrap_or_default();
                    start = end;
                    (
                        Coordinates {
                            topic: p.topic.clone(),
                            partition: p.partition,
                            offset: *offset,
                        },
                        value,
                    )
                })
        })
    }

    /// The value of the record at these coordinates, if it is in the batch.
    pub fn value_of(&self, topic: &str, partition: i32, offset: i64) -> Option<&[u8]> {
        let p = self
            .partitions
            .iter()
            .find(|p| p.partition == partition && p.topic == topic)?;
        // Offsets are ascending in a well-formed batch; fall back to a scan if not.
        let index = p
            .offsets
            .binary_search(&offset)
            .ok()
            .filter(|&i| p.offsets[i] == offset)
            .or_else(|| p.offsets.iter().position(|o| *o == offset))?;
        let start = index.checked_sub(1).map_or(0, |i| p.value_ends[i] as usize);
        p.values.get(start..p.value_ends[index] as usize)
    }
}

/// Builds a [`Batch`] record by record.
#[derive(Debug, Default)]
pub struct BatchBuilder {
    partitions: Vec<PartitionBatch>,
    /// topic → partition → position in `partitions`; looked up with a borrowed topic, so
    /// adding a record allocates nothing.
    index: HashMap<String, HashMap<i32, usize>>,
    /// The last partition written: records mostly come partition by partition.
    last: Option<usize>,
}

/// Why a record cannot be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// The column offsets are 32-bit: one partition's keys, values and headers must each
    /// stay under 4 GiB.
    #[error("topic-partition {topic}/{partition} holds more than 4 GiB of {what} in one batch")]
    TooLarge {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// The column: `keys`, `values`, `header names`, ….
        what: &'static str,
    },
}

/// One record to add, borrowing its parts.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    /// Offset.
    pub offset: i64,
    /// Timestamp in milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// Key, `None` for a null key.
    pub key: Option<&'a [u8]>,
    /// Value, `None` for a null value (a tombstone).
    pub value: Option<&'a [u8]>,
}

impl BatchBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The partition batch for `topic`/`partition`, created on first use.
    pub fn partition_mut(&mut self, topic: &str, partition: i32) -> PartitionWriter<'_> {
        let index = match self.last.filter(|&i| {
            let p = &self.partitions[i];
            p.partition == partition && p.topic == topic
        }) {
            Some(i) => i,
            None => self.find_or_add(topic, partition),
        };
        self.last = Some(index);
        PartitionWriter {
            batch: &mut self.partitions[index],
        }
    }

    fn find_or_add(&mut self, topic: &str, partition: i32) -> usize {
        if let Some(&i) = self.index.get(topic).and_then(|p| p.get(&partition)) {
            return i;
        }
        self.partitions.push(PartitionBatch {
            topic: topic.to_owned(),
            partition,
            ..PartitionBatch::default()
        });
        let i = self.partitions.len() - 1;
        self.index
            .entry(topic.to_owned())
            .or_default()
            .insert(partition, i);
        i
    }

    /// Adds one record with its headers.
    pub fn push<'h>(
        &mut self,
        topic: &str,
        partition: i32,
        record: RecordRef<'_>,
        headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    ) -> Result<(), BatchError> {
        let mut w = self.partition_mut(topic, partition);
        w.begin(record.offset, record.timestamp_ms);
        if let Some(key) = record.key {
            w.key_bytes().extend_from_slice(key);
        }
        if let Some(value) = record.value {
            w.value_bytes().extend_from_slice(value);
        }
        let added = headers
            .into_iter()
            .try_for_each(|(name, value)| w.header(name, value))
            .and_then(|()| w.finish(record.key.is_some()));
        if added.is_err() {
            w.abandon();
        }
        added
    }

    /// Number of records so far.
    pub fn len(&self) -> usize {
        self.partitions.iter().map(|p| p.offsets.len()).sum()
    }

    /// Whether no record was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total key and value bytes so far.
    pub fn payload_bytes(&self) -> usize {
        self.partitions
            .iter()
            .map(|p| p.values.len() + p.keys.len())
            .sum()
    }

    /// The finished batch.
    pub fn build(self) -> Batch {
        Batch {
            partitions: self.partitions,
        }
    }
}

/// Appends one record at a time to a partition batch, writing key and value bytes straight
/// into the columns (e.g. base64-decoding into them).
pub struct PartitionWriter<'a> {
    batch: &'a mut PartitionBatch,
}

impl PartitionWriter<'_> {
    /// Starts a record.
    pub fn begin(&mut self, offset: i64, timestamp_ms: i64) {
        self.batch.offsets.push(offset);
        self.batch.timestamps_ms.push(timestamp_ms);
    }

    /// The value column: append this record's value bytes to it.
    pub fn value_bytes(&mut self) -> &mut Vec<u8> {
        &mut self.batch.values
    }

    /// The key column: append this record's key bytes to it.
    pub fn key_bytes(&mut self) -> &mut Vec<u8> {
        &mut self.batch.keys
    }

    /// Adds a header to the record under way.
    pub fn header(&mut self, name: &str, value: &[u8]) -> Result<(), BatchError> {
        let b = &mut *self.batch;
        // The record under way is the last one begun: its index is the number of records
        // begun so far, minus one (`begin` comes first, so there is at least one).
        let index = b.offsets.len().saturating_sub(1);
        b.header_names.push_str(name);
        b.header_values.extend_from_slice(value);
        let record = column_end(b, index, "header records")?;
        let name_end = column_end(b, b.header_names.len(), "header names")?;
        let value_end = column_end(b, b.header_values.len(), "header values")?;
        b.header_records.push(record);
        b.header_name_ends.push(name_end);
        b.header_value_ends.push(value_end);
        Ok(())
    }

    /// Ends the record under way.
    pub fn finish(&mut self, has_key: bool) -> Result<(), BatchError> {
        let b = &mut *self.batch;
        let value_end = column_end(b, b.values.len(), "values")?;
        let key_end = column_end(b, b.keys.len(), "keys")?;
        b.value_ends.push(value_end);
        b.key_ends.push(key_end);
        b.has_key.push(u8::from(has_key));
        Ok(())
    }

    /// Abandons the record under way (e.g. its value did not decode), removing what was
    /// written for it.
    pub fn abandon(&mut self) {
        let b = &mut *self.batch;
        let n = b.value_ends.len();
        b.offsets.truncate(n);
        b.timestamps_ms.truncate(n);
        b.values.truncate(last_end(&b.value_ends));
        b.keys.truncate(last_end(&b.key_ends));
        // Headers are appended in record order, so the abandoned record's are at the end.
        let kept = b.header_records.partition_point(|&i| (i as usize) < n);
        b.header_records.truncate(kept);
        b.header_name_ends.truncate(kept);
        b.header_value_ends.truncate(kept);
        b.header_names.truncate(last_end(&b.header_name_ends));
        b.header_values.truncate(last_end(&b.header_value_ends));
    }
}

/// Where a concatenated column ends according to its `*-ends` column.
fn last_end(ends: &[u32]) -> usize {
    ends.last().map_or(0, |e| *e as usize)
}

/// A position in one of a partition batch's columns as the contract's 32-bit end offset.
fn column_end(b: &PartitionBatch, len: usize, what: &'static str) -> Result<u32, BatchError> {
    u32::try_from(len).map_err(|_| BatchError::TooLarge {
        topic: b.topic.clone(),
        partition: b.partition,
        what,
    })
}

/// The headers of a partition batch as (record index, name, value), in order.
pub fn headers(p: &PartitionBatch) -> Vec<(u32, &str, &[u8])> {
    let mut name_start = 0;
    let mut value_start = 0;
    p.header_records
        .iter()
        .zip(p.header_name_ends.iter().zip(&p.header_value_ends))
        .map(|(&record, (&name_end, &value_end))| {
            let (name_end, value_end) = (name_end as usize, value_end as usize);
            let name = p.header_names.get(name_start..name_end).unwrap_or_default();
            let value = p
                .header_values
                .get(value_start..value_end)
                .unwrap_or_default();
            (name_start, value_start) = (name_end, value_end);
            (record, name, value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn record<'a>(offset: i64, key: Option<&'a [u8]>, value: Option<&'a [u8]>) -> RecordRef<'a> {
        RecordRef {
            offset,
            timestamp_ms: offset * 10,
            key,
            value,
        }
    }

    #[test]
    fn groups_records_by_topic_partition_in_arrival_order() {
        let mut b = BatchBuilder::new();
        b.push("a", 0, record(5, Some(b"k"), Some(b"v5")), [])
            .unwrap();
        b.push("a", 1, record(7, None, Some(b"v7")), [("h", &b"x"[..])])
            .unwrap();
        b.push("a", 0, record(6, None, None), []).unwrap();
        let batch = b.build();
        let p = batch.partitions();
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].topic.as_str(), p[0].partition), ("a", 0));
        assert_eq!(p[0].offsets, vec![5, 6]);
        assert_eq!(p[0].timestamps_ms, vec![50, 60]);
        assert_eq!(p[0].values, b"v5");
        assert_eq!(p[0].value_ends, vec![2, 2]);
        assert_eq!(p[0].keys, b"k");
        assert_eq!(p[0].key_ends, vec![1, 1]);
        assert_eq!(p[0].has_key, vec![1, 0]);
        assert_eq!(headers(&p[1]), vec![(0, "h", &b"x"[..])]);
        assert_eq!(batch.len(), 3);
        assert_eq!(batch.payload_bytes(), 5);
        assert_eq!(batch.describe(), "a/0@5..6,a/1@7..7");
    }

    #[test]
    fn finds_values_by_coordinates() {
        let mut b = BatchBuilder::new();
        for (o, v) in [(1, "one"), (2, "two"), (4, "four")] {
            b.push("t", 3, record(o, None, Some(v.as_bytes())), [])
                .unwrap();
        }
        let batch = b.build();
        assert_eq!(batch.value_of("t", 3, 4), Some(&b"four"[..]));
        assert_eq!(batch.value_of("t", 3, 1), Some(&b"one"[..]));
        assert_eq!(batch.value_of("t", 3, 3), None);
        assert_eq!(batch.value_of("t", 0, 1), None);
        let all: Vec<_> = batch
            .records()
            .map(|(c, v)| (c.to_string(), v.to_vec()))
            .collect();
        assert_eq!(
            all,
            vec![
                ("t/3@1".to_owned(), b"one".to_vec()),
                ("t/3@2".to_owned(), b"two".to_vec()),
                ("t/3@4".to_owned(), b"four".to_vec()),
            ]
        );
    }

    #[test]
    fn abandoning_a_record_leaves_no_trace() {
        let mut b = BatchBuilder::new();
        b.push("t", 0, record(1, None, Some(b"ok")), []).unwrap();
        let mut w = b.partition_mut("t", 0);
        w.begin(2, 0);
        w.value_bytes().extend_from_slice(b"partial");
        w.header("h", &[1]).unwrap();
        w.abandon();
        let batch = b.build();
        let p = &batch.partitions()[0];
        assert_eq!(
            (p.offsets.clone(), p.values.clone()),
            (vec![1], b"ok".to_vec())
        );
        assert!(headers(p).is_empty());
        assert_eq!(
            (p.header_names.as_str(), p.header_values.as_slice()),
            ("", &[][..])
        );
    }
}
