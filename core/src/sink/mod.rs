//! Where a batch's results go: output items to an [`ItemSink`], rejected records to a
//! [`DeadLetterSink`].
//!
//! The real sinks write to DynamoDB (the `swapstream-aws` adapter); replay prints to
//! stdout/stderr ([`print`]). The pipeline is generic over both traits, so tests and replay
//! share it with Lambda and service mode.

pub mod dead_letter;
pub mod print;

use std::future::Future;

pub use dead_letter::DeadLetter;

use crate::item::Item;
use crate::item::rules::{KeyRules, check_item};
use crate::retry::{Classify, Recovery};

/// Writes output items durably. `write` returns only when every item is stored, or fails.
pub trait ItemSink: Send + Sync {
    /// Why `item` can never be written here, if it cannot: the pipeline dead-letters such an
    /// item instead of failing its batch on every attempt. By default DynamoDB's rules for
    /// values, names and size; a sink that knows its table's key adds the key rules.
    fn check(&self, item: &Item) -> Result<(), String> {
        check_item(item, &KeyRules::default())
    }

    /// Writes `items`. Items with equal keys may be merged (last one wins).
    fn write(&self, items: Vec<Item>)
    -> impl Future<Output = Result<WriteStats, SinkError>> + Send;
}

/// Stores rejected records with their coordinates, reason and raw value.
pub trait DeadLetterSink: Send + Sync {
    /// Writes `letters`.
    fn write(
        &self,
        letters: Vec<DeadLetter>,
    ) -> impl Future<Output = Result<WriteStats, SinkError>> + Send;
}

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Items stored (after merging duplicates).
    pub written: usize,
    /// Items dropped because a later item in the same write had the same key.
    pub merged: usize,
    /// Requests retried (throttling, unprocessed items, 5xx).
    pub retries: usize,
}

impl WriteStats {
    /// Adds another write's figures.
    pub fn add(&mut self, other: WriteStats) {
        self.written += other.written;
        self.merged += other.merged;
        self.retries += other.retries;
    }
}

/// A write that did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// Transient failures (throttling, unprocessed items, 5xx, network) outlasted the retries.
    /// Retrying the batch later can succeed.
    #[error(
        "gave up writing to {table} after {attempts} attempts ({pending} items unwritten): {last_error}"
    )]
    GaveUp {
        /// Target table.
        table: String,
        /// Attempts made for the request that failed.
        attempts: u32,
        /// Items not written.
        pending: usize,
        /// The last failure.
        last_error: String,
    },
    /// The write was refused for a reason retrying cannot fix (no such table, access denied,
    /// an item that does not fit the table's key schema).
    #[error("writing to {table} was refused: {message}")]
    Refused {
        /// Target table.
        table: String,
        /// The service's message.
        message: String,
    },
    /// Items the sink cannot represent (e.g. missing key attributes).
    #[error("cannot write to {table}: {message}")]
    InvalidItem {
        /// Target table.
        table: String,
        /// What is wrong with the item.
        message: String,
    },
}

impl Classify for SinkError {
    fn recovery(&self) -> Recovery {
        match self {
            SinkError::GaveUp { .. } => Recovery::Transient,
            SinkError::Refused { .. } | SinkError::InvalidItem { .. } => Recovery::Permanent,
        }
    }
}

/// A dead-letter sink that is not configured: the pipeline then only logs rejections.
impl<T: DeadLetterSink> DeadLetterSink for Option<T> {
    async fn write(&self, letters: Vec<DeadLetter>) -> Result<WriteStats, SinkError> {
        match self {
            Some(sink) => sink.write(letters).await,
            None => Ok(WriteStats::default()),
        }
    }
}
