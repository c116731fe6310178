//! The DynamoDB sink: `BatchWriteItem` in chunks of 25 with merged duplicate keys, retries of
//! throttled and unprocessed writes with jittered backoff, and bounded concurrency.
//!
//! Split as request building ([`request`], pure and unit-tested) and the writer that sends
//! requests and retries ([`writer`]). The dead-letter table is written by the same writer
//! ([`DynamoDbDeadLetters`]).

pub mod request;
pub mod writer;

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use sha2::{Digest, Sha256};

pub use writer::{DynamoDbWriter, WriterConfig};

/// The DynamoDB client, from the standard AWS configuration chain (`AWS_REGION`,
/// `AWS_ENDPOINT_URL_DYNAMODB`, credentials…). The SDK's own retries are off: the writer
/// retries with its own bounded, jittered backoff (it also has to retry `UnprocessedItems`,
/// which the SDK does not), so there is one policy in one place.
pub async fn client() -> aws_sdk_dynamodb::Client {
    let shared = aws_config::load_from_env().await;
    let config = aws_sdk_dynamodb::config::Builder::from(&shared)
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

use swapstream_core::item::Item;
use swapstream_core::item::rules::check_item;
use swapstream_core::sink::{DeadLetter, DeadLetterSink, ItemSink, SinkError, WriteStats};

/// The output table.
pub struct DynamoDbItems {
    writer: DynamoDbWriter,
}

impl DynamoDbItems {
    /// Writes items through `writer`.
    pub fn new(writer: DynamoDbWriter) -> Self {
        Self { writer }
    }
}

impl ItemSink for DynamoDbItems {
    fn check(&self, item: &Item) -> Result<(), String> {
        check_item(item, self.writer.key_rules())
    }

    async fn write(&self, items: Vec<Item>) -> Result<WriteStats, SinkError> {
        let items = items.into_iter().map(request::to_attribute_map).collect();
        self.writer.write(items).await
    }
}

/// The dead-letter table. Its key is `source` (`"topic/partition"`, S) and `offset` (N), so a
/// retried batch rewrites the same entries instead of adding new ones. An output item that
/// can never be written is kept under `source` `"topic/partition@offset/items"` (the batch's
/// first record) and `offset` = its index among the batch's items, with `kind` `"item"`.
pub struct DynamoDbDeadLetters {
    writer: DynamoDbWriter,
}

impl DynamoDbDeadLetters {
    /// Writes dead letters through `writer`.
    pub fn new(writer: DynamoDbWriter) -> Self {
        Self { writer }
    }
}

impl DeadLetterSink for DynamoDbDeadLetters {
    async fn write(&self, letters: Vec<DeadLetter>) -> Result<WriteStats, SinkError> {
        let now = rejected_at();
        let items = letters
            .into_iter()
            .map(|l| dead_letter_item(l, &now))
            .collect();
        self.writer.write(items).await
    }
}

/// Most bytes of a rejected record's value kept in its dead letter. DynamoDB refuses items over
/// 400 KB, and a dead letter that can never be written would stall its partition (or fail
/// every retry of a Lambda batch); a longer value keeps this prefix, and its dead letter also
/// holds the value's full length (`value_length`) and SHA-256 (`value_sha256`, hex), so the
/// record can still be found and checked in Kafka.
pub const DEAD_LETTER_VALUE_LIMIT: usize = 64 * 1024;

/// Most bytes of a rejection's reason kept in its dead letter (a reason may quote the record);
/// a longer one is cut at a character boundary and ends with `… (N bytes)`.
pub const DEAD_LETTER_REASON_LIMIT: usize = 1024;

/// The dead-letter item for one rejected record: at most [`DEAD_LETTER_VALUE_LIMIT`] bytes of
/// its value and [`DEAD_LETTER_REASON_LIMIT`] bytes of its reason, so that it always fits in
/// a DynamoDB item.
pub fn dead_letter_item(
    letter: DeadLetter,
    rejected_at: &str,
) -> std::collections::HashMap<String, AttributeValue> {
    let c = letter.coordinates;
    let (source, offset) = match letter.item {
        None => (format!("{}/{}", c.topic, c.partition), c.offset.to_string()),
        Some(index) => (
            format!("{}/{}@{}/items", c.topic, c.partition, c.offset),
            index.to_string(),
        ),
    };
    let mut item = std::collections::HashMap::from([
        ("source".to_owned(), AttributeValue::S(source)),
        ("offset".to_owned(), AttributeValue::N(offset)),
        (
            "kind".to_owned(),
            AttributeValue::S(
                if letter.item.is_some() {
                    "item"
                } else {
                    "record"
                }
                .to_owned(),
            ),
        ),
        ("topic".to_owned(), AttributeValue::S(c.topic)),
        (
            "partition".to_owned(),
            AttributeValue::N(c.partition.to_string()),
        ),
        (
            "reason".to_owned(),
            AttributeValue::S(cap_reason(letter.reason)),
        ),
        (
            "rejected_at".to_owned(),
            AttributeValue::S(rejected_at.to_owned()),
        ),
    ]);
    let mut value = letter.value;
    if value.len() > DEAD_LETTER_VALUE_LIMIT {
        item.insert(
            "value_length".to_owned(),
            AttributeValue::N(value.len().to_string()),
        );
        item.insert(
            "value_sha256".to_owned(),
            AttributeValue::S(hex::encode(Sha256::digest(&value))),
        );
        value.truncate(DEAD_LETTER_VALUE_LIMIT);
    }
    // DynamoDB refuses empty binary values; a null or empty record value is left out.
    if !value.is_empty() {
        item.insert(
            "value".to_owned(),
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(value)),
        );
    }
    if let Some(module) = letter.module {
        item.insert("module".to_owned(), AttributeValue::S(cap_reason(module)));
    }
    item
}

/// `reason`, cut to [`DEAD_LETTER_REASON_LIMIT`] bytes (at a character boundary) with the
/// original length appended when it is longer.
fn cap_reason(reason: String) -> String {
    if reason.len() <= DEAD_LETTER_REASON_LIMIT {
        return reason;
    }
    let marker = format!("… ({} bytes)", reason.len());
    let mut end = DEAD_LETTER_REASON_LIMIT - marker.len();
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{marker}", &reason[..end])
}

/// Now, as RFC 3339 UTC with millisecond precision.
fn rejected_at() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    humantime::format_rfc3339_millis(UNIX_EPOCH + since_epoch).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use swapstream_core::batch::Coordinates;

    fn letter(reason: String, value: Vec<u8>) -> DeadLetter {
        DeadLetter {
            coordinates: Coordinates {
                topic: "sensors".into(),
                partition: 2,
                offset: 41,
            },
            reason,
            value,
            module: Some("average@1.0.0#abc".into()),
            item: None,
        }
    }

    fn text(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> String {
        match &item[name] {
            AttributeValue::S(s) | AttributeValue::N(s) => s.clone(),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn a_dead_letter_keeps_a_small_value_whole_without_length_or_digest() {
        let item = dead_letter_item(letter("not JSON".into(), b"{oops".to_vec()), "now");
        assert_eq!(
            item["value"],
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(b"{oops".to_vec()))
        );
        assert_eq!(text(&item, "source"), "sensors/2");
        assert_eq!(text(&item, "offset"), "41");
        assert_eq!(text(&item, "reason"), "not JSON");
        assert!(!item.contains_key("value_length"));
        assert!(!item.contains_key("value_sha256"));
    }

    #[test]
    fn a_value_over_the_limit_is_cut_with_its_length_and_sha256_kept() {
        let value: Vec<u8> = (0..500_000u32).map(|i| (i % 251) as u8).collect();
        let item = dead_letter_item(letter("not JSON".into(), value.clone()), "now");
        assert_eq!(
            item["value"],
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(
                value[..DEAD_LETTER_VALUE_LIMIT].to_vec()
            ))
        );
        assert_eq!(text(&item, "value_length"), "500000");
        assert_eq!(
            text(&item, "value_sha256"),
            hex::encode(Sha256::digest(&value))
        );
    }

    #[test]
    fn a_long_reason_is_cut_at_a_character_boundary_with_its_length() {
        // 'é' is two bytes, so the cut falls inside one unless it is moved back.
        let reason = "é".repeat(3000);
        let item = dead_letter_item(letter(reason, Vec::new()), "now");
        let kept = text(&item, "reason");
        assert!(kept.len() <= DEAD_LETTER_REASON_LIMIT, "{}", kept.len());
        assert!(kept.ends_with("é… (6000 bytes)"), "{kept}");
        assert!(kept.starts_with("éé"));
        assert!(!item.contains_key("value"));
    }
}
