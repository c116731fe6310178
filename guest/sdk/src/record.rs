//! Borrowed records over the columns of a [`PartitionBatch`].

use crate::PartitionBatch;

/// One Kafka record, borrowed from the columns of its [`PartitionBatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The record's topic.
    pub topic: &'a str,
    /// The record's partition.
    pub partition: i32,
    /// The record's offset.
    pub offset: i64,
    /// The record's timestamp, milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The key, or `None` for a null key.
    pub key: Option<&'a [u8]>,
    /// The value bytes (empty for a null value).
    pub value: &'a [u8],
    index: u32,
    batch: &'a PartitionBatch,
}

/// One record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// Header name.
    pub name: &'a str,
    /// Header value bytes.
    pub value: &'a [u8],
}

impl<'a> Record<'a> {
    /// Position of this record within its partition batch.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The record's headers, in the order the host received them.
    pub fn headers(&self) -> impl Iterator<Item = Header<'a>> + 'a {
        let index = self.index;
        self.batch
            .headers
            .iter()
            .filter(move |(i, _, _)| *i == index)
            .map(|(_, name, value)| Header {
                name: name.as_str(),
                value: value.as_slice(),
            })
    }

    /// Builds a rejection of this record with `reason`.
    pub fn reject(&self, reason: impl Into<String>) -> crate::Rejection {
        crate::Rejection {
            topic: self.topic.to_owned(),
            partition: self.partition,
            offset: self.offset,
            reason: reason.into(),
        }
    }
}

/// Iterates over the records of `batch` in offset order, borrowing from its columns.
///
/// A batch whose columns disagree in length or whose end positions run past the data (which a
/// correct host never sends) yields only the records that are fully described.
pub fn records(batch: &PartitionBatch) -> impl ExactSizeIterator<Item = Record<'_>> + '_ {
    let len = [
        batch.offsets.len(),
        batch.timestamps_ms.len(),
        batch.value_ends.len(),
        batch.key_ends.len(),
        batch.has_key.len(),
    ]
    .into_iter()
    .min()
    .unwrap_or(0);
    Columns {
        batch,
        next: 0,
        len,
        value_start: 0,
        key_start: 0,
    }
}

struct Columns<'a> {
    batch: &'a PartitionBatch,
    next: usize,
    len: usize,
    value_start: usize,
    key_start: usize,
}

impl<'a> Iterator for Columns<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        if self.next >= self.len {
            return None;
        }
        let b = self.batch;
        let i = self.next;
        let value_end = b.value_ends[i] as usize;
        let key_end = b.key_ends[i] as usize;
        let (Some(value), Some(key)) = (
            b.values.get(self.value_start..value_end),
            b.keys.get(self.key_start..key_end),
        ) else {
            // Inconsistent columns: stop rather than guess.
            self.len = self.next;
            return None;
        };
        self.value_start = value_end;
        self.key_start = key_end;
        self.next += 1;
        Some(Record {
            topic: &b.topic,
            partition: b.partition,
            offset: b.offsets[i],
            timestamp_ms: b.timestamps_ms[i],
            key: (b.has_key[i] != 0).then_some(key),
            value,
            index: i as u32,
            batch: b,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.len - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Columns<'_> {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn batch() -> PartitionBatch {
        PartitionBatch {
            topic: "t".into(),
            partition: 2,
            offsets: vec![10, 11, 12],
            timestamps_ms: vec![100, 101, 102],
            values: b"aabbbc".to_vec(),
            value_ends: vec![2, 5, 6],
            keys: b"kk".to_vec(),
            key_ends: vec![1, 1, 2],
            has_key: vec![1, 0, 1],
            headers: vec![(1, "h".into(), b"v".to_vec())],
        }
    }

    #[test]
    fn yields_each_record_with_its_own_slices() {
        let b = batch();
        let got: Vec<_> = records(&b)
            .map(|r| (r.offset, r.timestamp_ms, r.key, r.value))
            .collect();
        assert_eq!(
            got,
            vec![
                (10, 100, Some(&b"k"[..]), &b"aa"[..]),
                (11, 101, None, &b"bbb"[..]),
                (12, 102, Some(&b"k"[..]), &b"c"[..]),
            ]
        );
    }

    #[test]
    fn headers_belong_to_their_record() {
        let b = batch();
        let r: Vec<_> = records(&b).collect();
        assert_eq!(r[0].headers().count(), 0);
        let h: Vec<_> = r[1].headers().collect();
        assert_eq!(
            h,
            vec![Header {
                name: "h",
                value: b"v"
            }]
        );
    }

    #[test]
    fn stops_at_inconsistent_columns_instead_of_panicking() {
        let mut b = batch();
        b.value_ends = vec![2, 50, 60];
        assert_eq!(records(&b).count(), 1);
        b.offsets.pop();
        b.value_ends = vec![2, 5, 6];
        assert_eq!(records(&b).len(), 2);
    }

    #[test]
    fn reject_carries_the_coordinates() {
        let b = batch();
        let r = records(&b).nth(2).unwrap().reject("bad");
        assert_eq!(
            (r.topic.as_str(), r.partition, r.offset, r.reason.as_str()),
            ("t", 2, 12, "bad")
        );
    }
}
