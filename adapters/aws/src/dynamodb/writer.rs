//! Sends `BatchWriteItem` requests and retries what did not get written.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemError;
use aws_sdk_dynamodb::types::{KeyType, ScalarAttributeType, WriteRequest};
use futures::{StreamExt, TryStreamExt, stream};

use swapstream_core::item::rules::{self, KeyRules};
use swapstream_core::retry::{Backoff, Recovery};
use swapstream_core::sink::{SinkError, WriteStats};

use crate::error::one_line;

use super::request::{AttributeMap, KeySchema, write_requests};

/// How the writer behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterConfig {
    /// `BatchWriteItem` requests in flight at once, per write.
    pub concurrency: usize,
    /// Retries of throttled, failed (5xx, network) and unprocessed writes.
    pub backoff: Backoff,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            backoff: Backoff::default(),
        }
    }
}

/// Writes items to one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoDbWriter {
    client: Client,
    table: String,
    key: KeySchema,
    rules: KeyRules,
    config: WriterConfig,
}

impl DynamoDbWriter {
    /// Looks the table up (`DescribeTable`) to learn its key schema, which the writer needs
    /// to merge duplicate keys. Fails early, with a clear message, if the table is missing or
    /// not accessible.
    pub async fn connect(
        client: Client,
        table: &str,
        config: WriterConfig,
    ) -> Result<Self, SinkError> {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| {
                let not_found = e
                    .as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception());
                SinkError::Refused {
                    table: table.to_owned(),
                    message: if not_found {
                        "the table does not exist".to_owned()
                    } else {
                        format!("cannot describe the table: {}", one_line(&e))
                    },
                }
            })?;
        let schema = described
            .table()
            .map(|t| t.key_schema())
            .unwrap_or_default();
        let definitions = described
            .table()
            .map(|t| t.attribute_definitions())
            .unwrap_or_default();
        let type_of = |name: &str| {
            definitions
                .iter()
                .find(|d| d.attribute_name() == name)
                .and_then(|d| match d.attribute_type() {
                    ScalarAttributeType::S => Some(rules::KeyType::S),
                    ScalarAttributeType::N => Some(rules::KeyType::N),
                    ScalarAttributeType::B => Some(rules::KeyType::B),
                    _ => None,
                })
        };
        let name_of = |kind: KeyType| {
            schema
                .iter()
                .find(|k| k.key_type() == &kind)
                .map(|k| k.attribute_name().to_owned())
        };
        let partition = name_of(KeyType::Hash).ok_or_else(|| SinkError::Refused {
            table: table.to_owned(),
            message: "the table has no partition key".to_owned(),
        })?;
        let key = KeySchema {
            partition,
            sort: name_of(KeyType::Range),
        };
        let attribute = |name: &String| rules::KeyAttribute {
            name: name.clone(),
            kind: type_of(name),
        };
        let rules = KeyRules {
            partition: Some(attribute(&key.partition)),
            sort: key.sort.as_ref().map(attribute),
        };
        Ok(Self {
            rules,
            ..Self::with_key_schema(client, table, key, config)
        })
    }

    /// A writer for a table whose key schema is already known (its key types are not: a key
    /// of any scalar type passes the item check).
    pub fn with_key_schema(
        client: Client,
        table: &str,
        key: KeySchema,
        config: WriterConfig,
    ) -> Self {
        let attribute = |name: &String| rules::KeyAttribute {
            name: name.clone(),
            kind: None,
        };
        let rules = KeyRules {
            partition: Some(attribute(&key.partition)),
            sort: key.sort.as_ref().map(attribute),
        };
        Self {
            client,
            table: table.to_owned(),
            key,
            rules,
            config,
        }
    }

    /// What DynamoDB requires of this table's items' keys (types known once the table was
    /// described).
    pub fn key_rules(&self) -> &KeyRules {
        &self.rules
    }

    /// The table.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The table's key schema.
    pub fn key_schema(&self) -> &KeySchema {
        &self.key
    }

    /// Writes every item, or fails. Duplicate keys are merged first (last one wins); the rest
    /// goes out in chunks of 25, up to `concurrency` chunks at a time.
    pub async fn write(&self, items: Vec<AttributeMap>) -> Result<WriteStats, SinkError> {
        let (chunks, merged) =
            write_requests(items, &self.key).map_err(|message| SinkError::InvalidItem {
                table: self.table.clone(),
                message,
            })?;
        let written = chunks.iter().map(Vec::len).sum();
        let retries = stream::iter(chunks)
            .map(|chunk| self.write_chunk(chunk))
            .buffer_unordered(self.config.concurrency.max(1))
            .try_fold(0, |total, retries| async move { Ok(total + retries) })
            .await?;
        Ok(WriteStats {
            written,
            merged,
            retries,
        })
    }

    /// Writes one chunk, retrying throttling, server errors and `UnprocessedItems` with
    /// jittered exponential backoff. Returns the number of retries.
    async fn write_chunk(&self, mut pending: Vec<WriteRequest>) -> Result<usize, SinkError> {
        let backoff = self.config.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending.clone())
                .send()
                .await;
            let last_error = match result {
                Ok(output) => {
                    let unprocessed = output
                        .unprocessed_items
                        .and_then(|mut by_table| by_table.remove(&self.table))
                        .unwrap_or_default();
                    if unprocessed.is_empty() {
                        return Ok(attempt as usize - 1);
                    }
                    let message = format!(
                        "{} of {} items unprocessed",
                        unprocessed.len(),
                        pending.len()
                    );
                    pending = unprocessed;
                    message
                }
                Err(e) if recovery(&e) == Recovery::Transient => one_line(&e),
                Err(e) => {
                    return Err(SinkError::Refused {
                        table: self.table.clone(),
                        message: one_line(&e),
                    });
                }
            };
            if attempt >= backoff.max_attempts.max(1) {
                return Err(SinkError::GaveUp {
                    table: self.table.clone(),
                    attempts: attempt,
                    pending: pending.len(),
                    last_error,
                });
            }
            let delay = backoff.delay(attempt);
            tracing::debug!(table = %self.table, attempt, ?delay, error = %last_error, "retrying a BatchWriteItem");
            tokio::time::sleep(delay).await;
        }
    }
}

/// Throttling, server-side errors and transport failures can succeed on retry; validation
/// errors, missing tables and access denials cannot.
fn recovery(e: &SdkError<BatchWriteItemError, HttpResponse>) -> Recovery {
    let transient = match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            let err = service.err();
            err.is_provisioned_throughput_exceeded_exception()
                || err.is_request_limit_exceeded()
                || err.is_throttling_exception()
                || err.is_internal_server_error()
                || service.raw().status().is_server_error()
        }
        _ => false,
    };
    if transient {
        Recovery::Transient
    } else {
        Recovery::Permanent
    }
}

#[cfg(test)]
mod tests;
