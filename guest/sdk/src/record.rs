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
        let (b, index) = (self.batch, self.index);
        // Headers are stored in record order, so this record's are one contiguous run.
        let first = b.header_records.partition_point(|&i| i < index);
        let end = |ends: &[u32], h: usize| ends.get(h).map(|&e| e as usize);
        (first..b.header_records.len())
            .take_while(move |&h| b.header_records.get(h) == Some(&index))
            .map_while(move |h| {
                let start = |ends: &[u32]| h.checked_sub(1).map_or(Some(0), |p| end(ends, p));
                let name = b
                    .header_names
                    .get(start(&b.header_name_ends)?..end(&b.header_name_ends, h)?)?;
                let value = b
                    .header_values
                    .get(start(&b.header_value_ends)?..end(&b.header_value_ends, h)?)?;
                Some(Header { name, value })
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

    // Inlined into the module's loop even where LLVM would not: a `Record` returned from a
    // call goes through wasm's shadow stack in linear memory.
    #[inline(always)]
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
            header_records: vec![1, 1, 2],
            header_names: "hé2".into(),
            header_name_ends: vec![1, 3, 4],
            header_values: b"vwx".to_vec(),
            header_value_ends: vec![1, 1, 3],
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
            vec![
                Header {
                    name: "h",
                    value: b"v"
                },
                Header {
                    name: "é",
                    value: b""
                }
            ]
        );
        let h: Vec<_> = r[2].headers().collect();
        assert_eq!(
            h,
            vec![Header {
                name: "2",
                value: b"wx"
            }]
        );
    }

    #[test]
    fn headers_stop_at_inconsistent_columns_instead_of_panicking() {
        let mut b = batch();
        // A name end inside the two-byte `é` and one past the end.
        b.header_name_ends = vec![1, 2, 40];
        let r: Vec<_> = records(&b).collect();
        assert_eq!(r[1].headers().count(), 1);
        assert_eq!(r[2].headers().count(), 0);
        b.header_value_ends.clear();
        assert_eq!(records(&b).nth(1).unwrap().headers().count(), 0);
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
