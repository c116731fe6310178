//! Decoding of the Kafka events a Lambda event source mapping delivers (`aws:kafka` for MSK,
//! `SelfManagedKafka` otherwise), straight into a columnar [`Batch`].
//!
//! The event is the same JSON document `aws_lambda_events::event::kafka::KafkaEvent` describes
//! (tests check both read the fixtures identically), but decoding it into that type costs
//! several allocations per record (strings, a header map, a timestamp). Here each record's
//! fields are borrowed from the event and its base64 key and value are decoded directly into
//! the batch's columns.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use swapstream_core::batch::{Batch, BatchBuilder, BatchError, Coordinates, Delivery, Undecodable};

/// A decoded Kafka event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct KafkaEventBatch {
    /// `aws:kafka`, `SelfManagedKafka`, or whatever the event said.
    pub event_source: Option<String>,
    /// Every record whose key and value decoded.
    pub batch: Batch,
    /// Records whose key or value is not valid base64: they cannot reach the module, so they
    /// are rejected with their coordinates instead of failing the whole event.
    pub undecodable: Vec<Undecodable>,
}

impl KafkaEventBatch {
    /// The batch and the undecodable records, as the pipeline takes them.
    pub fn into_delivery(self) -> Delivery {
        Delivery {
            batch: self.batch,
            undecodable: self.undecodable,
        }
    }
}

/// Decodes an event from JSON bytes.
///
/// Events laid out as the event source mapping sends them take a fast path (`event/fast.rs`);
/// anything it does not handle (escaped strings, floats, malformed JSON, …) is decoded again
/// from the start by serde, which stays the reference for results and error messages.
pub fn decode(json: &[u8]) -> Result<KafkaEventBatch, serde_json::Error> {
    match fast::decode(json) {
        Ok(event) => Ok(event),
        Err(reason) => {
            tracing::trace!(?reason, "event decode: fast path gave up, using serde");
            decode_with_serde(json)
        }
    }
}

/// Decodes an event with serde alone: the reference the fast path must match exactly.
pub fn decode_with_serde(json: &[u8]) -> Result<KafkaEventBatch, serde_json::Error> {
    serde_json::from_slice(json)
}

impl<'de> Deserialize<'de> for KafkaEventBatch {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum EventField {
    EventSource,
    Records,
    #[serde(other)]
    Other,
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = KafkaEventBatch;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kafka event (an object with `records`)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut event_source = None;
        let mut state = Decoder::default();
        let mut saw_records = false;
        while let Some(field) = map.next_key::<EventField>()? {
            match field {
                EventField::EventSource => event_source = map.next_value()?,
                EventField::Records => {
                    map.next_value_seed(RecordsSeed(&mut state))?;
                    saw_records = true;
                }
                EventField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !saw_records {
            return Err(de::Error::missing_field("records"));
        }
        Ok(KafkaEventBatch {
            event_source,
            batch: state.builder.build(),
            undecodable: state.undecodable,
        })
    }
}

#[derive(Default)]
struct Decoder {
    builder: BatchBuilder,
    undecodable: Vec<Undecodable>,
}

/// `records`: an object from `"topic-partition"` to a list of records.
struct RecordsSeed<'a>(&'a mut Decoder);

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of \"topic-partition\": [records]")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            map.next_value_seed(PartitionSeed {
                decoder: self.0,
                key: &key,
            })?;
        }
        Ok(())
    }
}

/// The records of one `"topic-partition"` key.
struct PartitionSeed<'a, 'k> {
    decoder: &'a mut Decoder,
    key: &'k str,
}

impl<'de> DeserializeSeed<'de> for PartitionSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PartitionSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of Kafka records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<RawRecord<'de>>()? {
            let headers = record
                .headers
                .into_iter()
                .flatten()
                .flat_map(|h| h.0)
                .map(|(name, HeaderBytes(value))| (name, value));
            let parts = RecordParts {
                topic: record.topic.as_deref(),
                partition: record.partition,
                offset: record.offset,
                timestamp: record.timestamp,
                key: record.key.as_deref().map(str::as_bytes),
                value: record.value.as_deref().map(str::as_bytes),
                headers,
            };
            self.decoder
                .add(self.key, parts)
                .map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// One record as it appears in the event, borrowing its strings.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRecord<'a> {
    #[serde(borrow, default)]
    topic: Option<Cow<'a, str>>,
    partition: i64,
    offset: i64,
    timestamp: i64,
    #[serde(borrow, default)]
    key: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    value: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    headers: Option<Vec<RawHeaders<'a>>>,
}

/// One element of `headers`: an object of header name to the value's bytes (in practice one
/// name per object).
struct RawHeaders<'a>(Vec<(Cow<'a, str>, HeaderBytes)>);

impl<'de: 'a, 'a> Deserialize<'de> for RawHeaders<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = RawHeaders<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of header name to a list of bytes")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut headers = Vec::with_capacity(1);
                while let Some(entry) = map.next_entry::<Cow<'a, str>, HeaderBytes>()? {
                    headers.push(entry);
                }
                Ok(RawHeaders(headers))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A header value: a list of byte values, signed (Java's `byte`, as MSK sends) or unsigned.
struct HeaderBytes(Vec<u8>);

impl<'de> Deserialize<'de> for HeaderBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HeaderBytes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of byte values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HeaderBytes, A::Error> {
                let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(16));
                while let Some(n) = seq.next_element::<i16>()? {
                    if !(-128..=255).contains(&n) {
                        return Err(de::Error::custom(format!(
                            "header byte {n} is out of range"
                        )));
                    }
                    // Java bytes are signed: -1 is 0xff.
                    bytes.push(n as u8);
                }
                Ok(HeaderBytes(bytes))
            }
        }
        d.deserialize_seq(V)
    }
}

/// One record's fields, however the event was read: both decode paths add records through
/// [`Decoder::add`], so they can only differ in how they read the JSON.
struct RecordParts<'r, H> {
    /// The record's own `topic`, if present and not null.
    topic: Option<&'r str>,
    partition: i64,
    offset: i64,
    timestamp: i64,
    /// The base64 text of the key, `None` if absent or null.
    key: Option<&'r [u8]>,
    /// The base64 text of the value, `None` if absent or null.
    value: Option<&'r [u8]>,
    /// Header names and values, in event order.
    headers: H,
}

impl Decoder {
    fn add<N: AsRef<str>, V: AsRef<[u8]>>(
        &mut self,
        key: &str,
        record: RecordParts<'_, impl IntoIterator<Item = (N, V)>>,
    ) -> Result<(), String> {
        // The record's own topic wins; the map key `topic-partition` is the fallback.
        let topic = match record.topic {
            Some(t) => t,
            None => key.rsplit_once('-').map_or(key, |(t, _)| t),
        };
        let partition = i32::try_from(record.partition)
            .map_err(|_| format!("partition {} is out of range", record.partition))?;
        let mut w = self.builder.partition_mut(topic, partition);
        w.begin(record.offset, record.timestamp);
        let problem = decode_into(record.key, w.key_bytes(), "key")
            .and_then(|()| decode_into(record.value, w.value_bytes(), "value"));
        if let Err(reason) = problem {
            w.abandon();
            self.undecodable.push(Undecodable {
                coordinates: Coordinates {
                    topic: topic.to_owned(),
                    partition,
                    offset: record.offset,
                },
                reason,
                raw: record.value.unwrap_or_default().to_vec(),
            });
            return Ok(());
        }
        for (name, value) in record.headers {
            w.header(name.as_ref(), value.as_ref())
                .map_err(|e| e.to_string())?;
        }
        w.finish(record.key.is_some())
            .map_err(|e: BatchError| e.to_string())
    }
}

/// Appends the base64-decoding of `text` to `column`.
///
/// `base64_simd` decodes faster than the `base64` crate and accepts exactly the
/// same text (standard alphabet, padding required, no stray trailing bits: see
/// `base64_tests`), but its errors say nothing. On an error, `base64` decodes the text again,
/// so a rejected record gets the same result and reason as it always did.
fn decode_into(text: Option<&[u8]>, column: &mut Vec<u8>, what: &str) -> Result<(), String> {
    let Some(text) = text else {
        return Ok(());
    };
    let start = column.len();
    // `decode_append` reserves exactly what each text needs, which would reallocate the
    // column on every record: reserve with the usual doubling first.
    column.reserve(text.len() / 4 * 3);
    if base64_simd::STANDARD.decode_append(text, column).is_ok() {
        return Ok(());
    }
    column.truncate(start);
    BASE64
        .decode_vec(text, column)
        .map_err(|e| format!("record {what} is not valid base64: {e}"))
}

#[cfg(test)]
mod base64_tests;
mod fast;
#[cfg(test)]
mod tests;
