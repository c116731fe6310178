#![allow(clippy::unwrap_used)]
//! The writer against `aws-smithy-mocks`: faults DynamoDB Local never produces (throttling,
//! unprocessed items, 5xx).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::batch_write_item::{BatchWriteItemError, BatchWriteItemOutput};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::error::{
    ProvisionedThroughputExceededException, ResourceNotFoundException,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};

use swapstream_core::retry::Classify;

use super::*;

/// A mocked client with the SDK's own retries off, as `dynamodb::client` configures
/// it: every retry seen here is the writer's.
fn client(mode: RuleMode, rules: &[&aws_smithy_mocks::Rule]) -> Client {
    mock_client!(aws_sdk_dynamodb, mode, rules.iter().copied(), |c| c
        .retry_config(
            aws_sdk_dynamodb::config::retry::RetryConfig::disabled()
        ))
}

fn writer(client: Client, max_attempts: u32) -> DynamoDbWriter {
    DynamoDbWriter::with_key_schema(
        client,
        "readings",
        KeySchema {
            partition: "device_id".into(),
            sort: Some("window_start".into()),
        },
        WriterConfig {
            concurrency: 4,
            backoff: Backoff {
                max_attempts,
                base: Duration::from_millis(1),
                max: Duration::from_millis(2),
            },
        },
    )
}

fn items(n: usize) -> Vec<AttributeMap> {
    (0..n)
        .map(|i| {
            HashMap::from([
                ("device_id".to_owned(), AttributeValue::N(i.to_string())),
                ("window_start".to_owned(), AttributeValue::S("t".into())),
            ])
        })
        .collect()
}

fn throttled() -> BatchWriteItemError {
    BatchWriteItemError::ProvisionedThroughputExceededException(
        ProvisionedThroughputExceededException::builder()
            .message("slow down")
            .build(),
    )
}

fn requests_in(
    input: &aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput,
) -> usize {
    input.request_items().unwrap()["readings"].len()
}

#[tokio::test]
async fn retries_a_throttled_chunk_until_it_is_written() {
    let rule = mock!(Client::batch_write_item)
        .sequence()
        .error(throttled)
        .times(2)
        .output(|| BatchWriteItemOutput::builder().build())
        .build();
    let client = client(RuleMode::Sequential, &[&rule]);
    let stats = writer(client, 5).write(items(3)).await.unwrap();
    assert_eq!(
        stats,
        WriteStats {
            written: 3,
            merged: 0,
            retries: 2
        }
    );
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn retries_a_server_error() {
    let rule = mock!(Client::batch_write_item)
        .sequence()
        .http_status(500, None)
        .http_status(503, None)
        .output(|| BatchWriteItemOutput::builder().build())
        .build();
    let client = client(RuleMode::Sequential, &[&rule]);
    let stats = writer(client, 5).write(items(1)).await.unwrap();
    assert_eq!(stats.retries, 2);
}

#[tokio::test]
async fn resends_exactly_the_unprocessed_items() {
    let calls = Arc::new(AtomicUsize::new(0));
    let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (c, s) = (calls.clone(), sizes.clone());
    let rule = mock!(Client::batch_write_item).then_compute_output(move |input| {
        let requests = input.request_items().unwrap()["readings"].clone();
        s.lock().unwrap().push(requests.len());
        let builder = BatchWriteItemOutput::builder();
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            // Leave the last three unwritten.
            let unprocessed = requests[requests.len() - 3..].to_vec();
            builder.unprocessed_items("readings", unprocessed).build()
        } else {
            builder.build()
        }
    });
    let client = client(RuleMode::MatchAny, &[&rule]);
    let stats = writer(client, 5).write(items(10)).await.unwrap();
    assert_eq!(*sizes.lock().unwrap(), vec![10, 3]);
    assert_eq!(
        stats,
        WriteStats {
            written: 10,
            merged: 0,
            retries: 1
        }
    );
}

#[tokio::test]
async fn gives_up_after_the_attempt_limit_with_a_retryable_error() {
    let rule = mock!(Client::batch_write_item).then_error(throttled);
    let client = client(RuleMode::MatchAny, &[&rule]);
    let err = writer(client, 4).write(items(2)).await.unwrap_err();
    let SinkError::GaveUp {
        table,
        attempts,
        pending,
        last_error,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((table.as_str(), *attempts, *pending), ("readings", 4, 2));
    assert!(last_error.contains("slow down"), "{last_error}");
    assert_eq!(err.recovery(), Recovery::Transient);
    assert_eq!(rule.num_calls(), 4);
}

#[tokio::test]
async fn a_missing_table_is_refused_without_retrying() {
    let rule = mock!(Client::batch_write_item).then_error(|| {
        BatchWriteItemError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("no such table")
                .build(),
        )
    });
    let client = client(RuleMode::MatchAny, &[&rule]);
    let err = writer(client, 8).write(items(1)).await.unwrap_err();
    assert!(
        matches!(&err, SinkError::Refused { message, .. } if message.contains("no such table")),
        "{err:?}"
    );
    assert_eq!(err.recovery(), Recovery::Permanent);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn a_refusal_is_one_line_naming_the_table_the_error_code_and_the_message() {
    let rule = mock!(Client::batch_write_item).then_error(|| {
        BatchWriteItemError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("Cannot do operations on a non-existent table\nRequest id: 1234")
                .build(),
        )
    });
    let client = client(RuleMode::MatchAny, &[&rule]);
    let err = writer(client, 8).write(items(1)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "writing to readings was refused: service error: ResourceNotFoundException: Cannot do operations on a non-existent table Request id: 1234"
    );
}

#[tokio::test]
async fn splits_into_chunks_of_25_after_merging_duplicate_keys() {
    let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = sizes.clone();
    let rule = mock!(Client::batch_write_item).then_compute_output(move |input| {
        s.lock().unwrap().push(requests_in(input));
        BatchWriteItemOutput::builder().build()
    });
    let client = client(RuleMode::MatchAny, &[&rule]);
    let mut all = items(60);
    all.extend(items(5)); // five keys again: merged, not sent twice
    let stats = writer(client, 3).write(all).await.unwrap();
    let mut sizes = sizes.lock().unwrap().clone();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![10, 25, 25]);
    assert_eq!(
        stats,
        WriteStats {
            written: 60,
            merged: 5,
            retries: 0
        }
    );
}

#[tokio::test]
async fn an_item_without_its_key_is_an_invalid_item() {
    let rule =
        mock!(Client::batch_write_item).then_output(|| BatchWriteItemOutput::builder().build());
    let client = client(RuleMode::MatchAny, &[&rule]);
    let mut bad = items(1);
    bad[0].remove("window_start");
    let err = writer(client, 3).write(bad).await.unwrap_err();
    assert_eq!(
        err,
        SinkError::InvalidItem {
            table: "readings".into(),
            message: "item has no key attribute `window_start`".into()
        }
    );
    assert_eq!(rule.num_calls(), 0);
}

#[tokio::test]
async fn writing_nothing_sends_nothing() {
    let rule =
        mock!(Client::batch_write_item).then_output(|| BatchWriteItemOutput::builder().build());
    let client = client(RuleMode::MatchAny, &[&rule]);
    assert_eq!(
        writer(client, 3).write(Vec::new()).await.unwrap(),
        WriteStats::default()
    );
    assert_eq!(rule.num_calls(), 0);
}
