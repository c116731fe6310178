//! Typed configuration, from command-line flags and `SWAPSTREAM_*` environment variables.
//!
//! Every setting is a flag with an environment variable of the same meaning (`--table` /
//! `SWAPSTREAM_TABLE`), parsed and validated here, once, into the typed configuration of the
//! crate it is for (the engine's limits, the DynamoDB writer's, the Kafka connection). Only
//! the settings several commands share live here; each command owns its own arguments
//! (`crate::commands`). Nothing outside this module reads the environment.

mod engine;
mod kafka;
mod log;
mod module;
mod sink;

use std::time::Duration;

use bytesize::ByteSize;

pub use engine::EngineArgs;
pub use kafka::KafkaArgs;
pub use log::{LogArgs, LogFormat};
pub use module::{CanaryArgs, HotSwapArgs, ModuleArgs, parse_location};
pub use sink::{SinkArgs, SinkConfig};

/// A configuration error: printed as one line, exit code 2, before anything starts.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required setting is missing.
    #[error("{0}")]
    Missing(String),
    /// A setting has an unusable value.
    #[error("{0}")]
    Invalid(String),
}

/// Whether the process runs inside AWS Lambda (the runtime API address is set).
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// Whether S3 requests use path-style addressing (`http://host/bucket/key`). Yes when the SDK's
/// endpoint is overridden (`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`): S3-compatible servers
/// (moto, MinIO) and VPC interface endpoints serve one host name, not `bucket.host`. No against
/// AWS's own endpoints, where virtual-hosted addressing is the default AWS recommends.
pub fn s3_path_style() -> bool {
    ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
}

/// Parses a size with units (`6MB`, `1MiB`) or plain bytes.
pub fn parse_size(s: &str) -> Result<ByteSize, String> {
    s.parse::<ByteSize>()
        .map_err(|e| format!("{e} (e.g. 256MiB, 6MB, 1048576)"))
}

/// Parses a duration (`500ms`, `10s`, `2m`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (e.g. 500ms, 10s, 2m)"))
}

/// Parses `key=value` (for `--module-config` and `--kafka-option`).
pub fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
        _ => Err(format!("`{s}` is not of the form key=value")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn key_values_need_an_equals_sign() {
        assert_eq!(
            parse_key_value(" a = b=c ").unwrap(),
            ("a".into(), "b=c".into())
        );
        assert!(parse_key_value("novalue").is_err());
        assert!(parse_key_value("=v").is_err());
    }
}
