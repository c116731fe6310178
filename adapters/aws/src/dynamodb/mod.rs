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
    async fn write(&self, items: Vec<Item>) -> Result<WriteStats, SinkError> {
        let items = items.into_iter().map(request::to_attribute_map).collect();
        self.writer.write(items).await
    }
}

/// The dead-letter table. Its key is `source` (`"topic/partition"`, S) and `offset` (N), so a
/// retried batch rewrites the same entries instead of adding new ones.
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

/// The dead-letter item for one rejected record.
pub fn dead_letter_item(
    letter: DeadLetter,
    rejected_at: &str,
) -> std::collections::HashMap<String, AttributeValue> {
    let c = letter.coordinates;
    let mut item = std::collections::HashMap::from([
        (
            "source".to_owned(),
            AttributeValue::S(format!("{}/{}", c.topic, c.partition)),
        ),
        ("offset".to_owned(), AttributeValue::N(c.offset.to_string())),
        ("topic".to_owned(), AttributeValue::S(c.topic)),
        (
            "partition".to_owned(),
            AttributeValue::N(c.partition.to_string()),
        ),
        ("reason".to_owned(), AttributeValue::S(letter.reason)),
        (
            "rejected_at".to_owned(),
            AttributeValue::S(rejected_at.to_owned()),
        ),
    ]);
    // DynamoDB refuses empty binary values; a null or empty record value is left out.
    if !letter.value.is_empty() {
        item.insert(
            "value".to_owned(),
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(letter.value)),
        );
    }
    if let Some(module) = letter.module {
        item.insert("module".to_owned(), AttributeValue::S(module));
    }
    item
}

/// Now, as RFC 3339 UTC with millisecond precision.
fn rejected_at() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    humantime::format_rfc3339_millis(UNIX_EPOCH + since_epoch).to_string()
}
