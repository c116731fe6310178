//! The canary batch: a sample every new module version must process, within its limits,
//! before it goes live.

use std::path::Path;

use swapstream_core::batch::Batch;
use swapstream_lambda_event as event;

/// The reference fixture (`tests/fixtures/msk-event.json`): readings of two devices over two
/// partitions, with a bad record in each — so a canary run exercises parsing, aggregation and
/// rejection.
const REFERENCE: &[u8] = include_bytes!("../../../tests/fixtures/msk-event.json");

/// A decoded canary batch and where it came from.
#[derive(Debug)]
pub struct Canary {
    batch: Batch,
    source: String,
}

/// Why the configured canary cannot be used (a configuration error).
#[derive(Debug, thiserror::Error)]
pub enum CanaryError {
    /// The file could not be read.
    #[error("cannot read the canary event {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a Kafka event.
    #[error("the canary {path} is not a Kafka event: {source}")]
    Decode {
        /// The file.
        path: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The event has no records: it would let any module through.
    #[error("the canary {path} has no records")]
    Empty {
        /// The file.
        path: String,
    },
}

impl Canary {
    /// The canary from `path` (a Lambda-format Kafka event file), or the reference fixture.
    pub fn load(path: Option<&Path>) -> Result<Self, CanaryError> {
        match path {
            None => Self::from_json(REFERENCE, "reference fixture"),
            Some(path) => {
                let name = path.display().to_string();
                let json = std::fs::read(path).map_err(|source| CanaryError::Read {
                    path: name.clone(),
                    source,
                })?;
                Self::from_json(&json, &name)
            }
        }
    }

    fn from_json(json: &[u8], source: &str) -> Result<Self, CanaryError> {
        let decoded = event::decode(json).map_err(|e| CanaryError::Decode {
            path: source.to_owned(),
            source: e,
        })?;
        if decoded.batch.is_empty() {
            return Err(CanaryError::Empty {
                path: source.to_owned(),
            });
        }
        Ok(Self {
            batch: decoded.batch,
            source: source.to_owned(),
        })
    }

    /// The batch.
    pub fn batch(&self) -> &Batch {
        &self.batch
    }

    /// Where it came from: `reference fixture` or the file's path.
    pub fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_reference_canary_is_the_fixture() {
        let canary = Canary::load(None).unwrap();
        assert_eq!(canary.source(), "reference fixture");
        assert_eq!(canary.batch().len(), 12);
        assert_eq!(canary.batch().partitions().len(), 2);
    }

    #[test]
    fn a_canary_without_records_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.json");
        std::fs::write(&path, r#"{"eventSource":"aws:kafka","records":{}}"#).unwrap();
        let err = Canary::load(Some(&path)).unwrap_err();
        assert!(matches!(err, CanaryError::Empty { .. }), "{err}");
    }
}
