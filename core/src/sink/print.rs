//! Sinks that print: items as DynamoDB JSON lines on stdout, rejections as JSON lines on
//! stderr. Used by `swapstream replay`.

use std::io::Write;
use std::sync::Mutex;

use serde_json::json;

use super::{DeadLetter, DeadLetterSink, ItemSink, SinkError, WriteStats};
use crate::item::{Item, dynamodb_json};

/// Prints each item as one line of DynamoDB JSON (as `aws dynamodb scan` shows items).
pub struct PrintItems<W> {
    out: Mutex<W>,
}

impl<W: Write + Send> PrintItems<W> {
    /// Prints to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out: Mutex::new(out),
        }
    }
}

impl<W: Write + Send> ItemSink for PrintItems<W> {
    async fn write(&self, items: Vec<Item>) -> Result<WriteStats, SinkError> {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let n = items.len();
        for item in &items {
            writeln!(out, "{}", dynamodb_json(item)).map_err(|e| print_error("stdout", e))?;
        }
        out.flush().map_err(|e| print_error("stdout", e))?;
        Ok(WriteStats {
            written: n,
            ..WriteStats::default()
        })
    }
}

/// Prints each rejection as one JSON line: `{"topic","partition","offset","reason"}`, plus
/// `"item"` (its index among the batch's items) for an output item that cannot be written.
pub struct PrintRejections<W> {
    out: Mutex<W>,
}

impl<W: Write + Send> PrintRejections<W> {
    /// Prints to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out: Mutex::new(out),
        }
    }
}

impl<W: Write + Send> DeadLetterSink for PrintRejections<W> {
    async fn write(&self, letters: Vec<DeadLetter>) -> Result<WriteStats, SinkError> {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        for l in &letters {
            let mut line = json!({
                "topic": l.coordinates.topic,
                "partition": l.coordinates.partition,
                "offset": l.coordinates.offset,
                "reason": l.reason,
            });
            if let Some(index) = l.item {
                line["item"] = json!(index);
            }
            writeln!(out, "{line}").map_err(|e| print_error("stderr", e))?;
        }
        Ok(WriteStats {
            written: letters.len(),
            ..WriteStats::default()
        })
    }
}

fn print_error(stream: &str, e: std::io::Error) -> SinkError {
    SinkError::Refused {
        table: stream.to_owned(),
        message: e.to_string(),
    }
}
