//! Typed configuration, from command-line flags and `SWAPSTREAM_*` environment variables.
//!
//! Every setting is a flag with an environment variable of the same meaning (`--table` /
//! `SWAPSTREAM_TABLE`), parsed and validated here, once, into typed values that the rest of
//! the host receives. Nothing outside this module reads the environment.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use bytesize::ByteSize;
use clap::{Args, ValueEnum};

use crate::engine::{EngineConfig, Limits};
use crate::pipeline::{OnModuleFailure, PipelineSettings};
use crate::sink::dynamodb::WriterConfig;
use crate::sink::retry::Backoff;

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

/// Where a module comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleLocation {
    /// A module compiled into the host: `builtin:average`, `builtin:stats`.
    Builtin(String),
    /// A local file: `file:///path/to/module.wasm` or a plain path.
    File(PathBuf),
    /// An S3 object: `s3://bucket/key`.
    S3 {
        /// Bucket.
        bucket: String,
        /// Object key.
        key: String,
    },
}

impl FromStr for ModuleLocation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(name) = s.strip_prefix("builtin:") {
            return if crate::modules::builtin(name).is_some() {
                Ok(Self::Builtin(name.to_owned()))
            } else {
                Err(format!(
                    "no built-in module `{name}` (built-in: {})",
                    crate::modules::builtin_names().join(", ")
                ))
            };
        }
        if let Some(rest) = s.strip_prefix("s3://") {
            return match rest.split_once('/') {
                Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(Self::S3 {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                }),
                _ => Err(format!("`{s}` is not of the form s3://bucket/key")),
            };
        }
        if let Some(path) = s.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(format!(
                    "`{s}`: a file:// location needs an absolute path (file:///…)"
                ));
            }
            return Ok(Self::File(PathBuf::from(path)));
        }
        if s.is_empty() {
            return Err("empty module location".to_owned());
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(format!(
                "unsupported module location scheme `{scheme}://` (use builtin:, file:// or s3://)"
            ));
        }
        Ok(Self::File(PathBuf::from(s)))
    }
}

impl fmt::Display for ModuleLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin(name) => write!(f, "builtin:{name}"),
            Self::File(path) => write!(f, "file://{}", path.display()),
            Self::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

/// A sha256 digest in lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sha256Hex(pub String);

impl FromStr for Sha256Hex {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s))
        } else {
            Err("expected 64 hex digits".to_owned())
        }
    }
}

pub(crate) fn parse_size(s: &str) -> Result<ByteSize, String> {
    s.parse::<ByteSize>()
        .map_err(|e| format!("{e} (e.g. 256MiB, 6MB, 1048576)"))
}

pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (e.g. 500ms, 10s, 2m)"))
}

/// Parses `key=value` (for `--module-config`).
pub fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
        _ => Err(format!("`{s}` is not of the form key=value")),
    }
}

/// Which module runs and how its output is labelled.
#[derive(Debug, Clone, Args)]
pub struct ModuleArgs {
    /// Module to run: `builtin:average` (default), `builtin:stats`, `file:///path.wasm` (or a
    /// plain path), or `s3://bucket/key`.
    #[arg(
        long,
        env = "SWAPSTREAM_MODULE",
        default_value = "builtin:average",
        value_name = "LOCATION"
    )]
    pub module: ModuleLocation,

    /// Refuse any module whose sha256 differs from this (hex).
    #[arg(long, env = "SWAPSTREAM_MODULE_SHA256", value_name = "HEX")]
    pub module_sha256: Option<Sha256Hex>,

    /// Configuration passed to the module, as key=value pairs (comma-separated in the
    /// environment variable).
    #[arg(long = "module-config", env = "SWAPSTREAM_MODULE_CONFIG", value_name = "KEY=VALUE", value_parser = parse_key_value, value_delimiter = ',')]
    pub module_config: Vec<(String, String)>,

    /// Attribute that records which module version wrote each item (`name@version#hash`);
    /// empty to leave it out.
    #[arg(
        long,
        env = "SWAPSTREAM_LINEAGE_ATTRIBUTE",
        default_value = "module",
        value_name = "NAME"
    )]
    pub lineage_attribute: String,
}

impl ModuleArgs {
    /// The lineage attribute name, or `None` when turned off.
    pub fn lineage(&self) -> Option<String> {
        let name = self.lineage_attribute.trim();
        (!name.is_empty()).then(|| name.to_owned())
    }
}

/// The part of the module configuration meant for the module named `name`: every unscoped
/// `key`, and every `name/key` with its prefix removed; keys scoped to other modules are left
/// out. Scoping lets one configuration serve every version a host may swap between — e.g.
/// `misbehave/mode=trap` reaches `misbehave` while `average`, which refuses any key, gets none.
pub fn module_config_for(config: &[(String, String)], name: &str) -> Vec<(String, String)> {
    config
        .iter()
        .filter_map(|(key, value)| match key.split_once('/') {
            None => Some((key.clone(), value.clone())),
            Some((scope, key)) if scope == name => Some((key.to_owned(), value.clone())),
            Some(_) => None,
        })
        .collect()
}

/// Hot swap: how often the module location is checked for a new version, and the canary batch
/// a new version must process before it goes live.
#[derive(Debug, Clone, Args)]
pub struct HotSwapArgs {
    /// How often to check the module location for a new version; `0s` turns checking off. In
    /// Lambda the check runs at the start of an invocation, at most this often.
    #[arg(long, env = "SWAPSTREAM_MODULE_POLL_INTERVAL", default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub module_poll_interval: Duration,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub canary: CanaryArgs,
}

impl HotSwapArgs {
    /// The poll interval, or `None` when checking is off.
    pub fn poll_interval(&self) -> Option<Duration> {
        (!self.module_poll_interval.is_zero()).then_some(self.module_poll_interval)
    }
}

/// The canary batch.
#[derive(Debug, Clone, Default, Args)]
pub struct CanaryArgs {
    /// Kafka event file (Lambda format) that every new module version must process within its
    /// limits before it goes live [default: the built-in reference fixture].
    #[arg(long, env = "SWAPSTREAM_MODULE_CANARY", value_name = "FILE")]
    pub module_canary: Option<PathBuf>,
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

/// Sandbox limits and the precompiled cache.
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// Most linear memory a module may use for one batch.
    #[arg(long, env = "SWAPSTREAM_MEMORY_LIMIT", default_value = "128MiB", value_parser = parse_size, value_name = "SIZE")]
    pub memory_limit: ByteSize,

    /// Most time a module may take for one batch.
    #[arg(long, env = "SWAPSTREAM_BATCH_TIMEOUT", default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub batch_timeout: Duration,

    /// Largest wasm call stack.
    #[arg(long, env = "SWAPSTREAM_STACK_LIMIT", default_value = "1MiB", value_parser = parse_size, value_name = "SIZE")]
    pub stack_limit: ByteSize,

    /// Largest output (items and rejections) a module may return for one batch.
    #[arg(long, env = "SWAPSTREAM_MAX_OUTPUT", default_value = "32MiB", value_parser = parse_size, value_name = "SIZE")]
    pub max_output: ByteSize,

    /// Directory for precompiled modules [default: /tmp/swapstream-cache in Lambda, else
    /// $XDG_CACHE_HOME/swapstream/modules or ~/.cache/swapstream/modules].
    #[arg(long, env = "SWAPSTREAM_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Do not read or write the precompiled cache.
    #[arg(long, env = "SWAPSTREAM_NO_CACHE")]
    pub no_cache: bool,
}

impl EngineArgs {
    /// The engine configuration.
    pub fn engine_config(&self) -> Result<EngineConfig, ConfigError> {
        if self.memory_limit < ByteSize::mib(1) {
            return Err(ConfigError::Invalid(format!(
                "--memory-limit {} is too small (at least 1MiB)",
                self.memory_limit
            )));
        }
        if self.batch_timeout.is_zero() {
            return Err(ConfigError::Invalid(
                "--batch-timeout must be positive".into(),
            ));
        }
        if self.stack_limit < ByteSize::kib(64) || self.stack_limit > ByteSize::mib(64) {
            return Err(ConfigError::Invalid(format!(
                "--stack-limit {} is out of range (64KiB to 64MiB)",
                self.stack_limit
            )));
        }
        let cache_dir =
            (!self.no_cache).then(|| self.cache_dir.clone().unwrap_or_else(default_cache_dir));
        Ok(EngineConfig {
            limits: Limits {
                memory: self.memory_limit,
                time: self.batch_timeout,
                stack: self.stack_limit,
                output: self.max_output,
                ..Limits::default()
            },
            cache_dir,
        })
    }
}

fn default_cache_dir() -> PathBuf {
    if in_lambda() {
        // The only writable place in Lambda; it survives while the execution environment does.
        return PathBuf::from("/tmp/swapstream-cache");
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("swapstream").join("modules");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => PathBuf::from(home)
            .join(".cache")
            .join("swapstream")
            .join("modules"),
        None => std::env::temp_dir().join("swapstream-cache"),
    }
}

/// The DynamoDB tables and how to write them.
#[derive(Debug, Clone, Args)]
pub struct SinkArgs {
    /// DynamoDB table for output items.
    #[arg(long, env = "SWAPSTREAM_TABLE", value_name = "TABLE")]
    pub table: Option<String>,

    /// The reference Lambda's variable for the table, accepted so swapstream is a drop-in
    /// replacement.
    #[arg(long = "dynamodb-table-name", env = "DYNAMODB_TABLE_NAME", hide = true)]
    pub reference_table: Option<String>,

    /// DynamoDB table for rejected records (key: `source` S = "topic/partition", `offset` N).
    /// Without it, rejections are only logged; with it, a batch the module fails on is sent
    /// there instead of being retried.
    #[arg(long, env = "SWAPSTREAM_DEAD_LETTER_TABLE", value_name = "TABLE")]
    pub dead_letter_table: Option<String>,

    /// `BatchWriteItem` requests in flight at once.
    #[arg(long, env = "SWAPSTREAM_WRITE_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N")]
    pub write_concurrency: u16,

    /// Attempts per `BatchWriteItem` request before the batch fails (throttling, 5xx and
    /// unprocessed items are retried with jittered exponential backoff).
    #[arg(long, env = "SWAPSTREAM_WRITE_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100), value_name = "N")]
    pub write_max_attempts: u32,

    /// Ceiling of the first retry's delay; it doubles per retry up to 5s.
    #[arg(long, env = "SWAPSTREAM_WRITE_BACKOFF", default_value = "50ms", value_parser = parse_duration, value_name = "DURATION")]
    pub write_backoff: Duration,
}

/// The sink settings, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkConfig {
    /// Output table.
    pub table: String,
    /// Dead-letter table.
    pub dead_letter_table: Option<String>,
    /// Writer behaviour.
    pub writer: WriterConfig,
}

impl SinkArgs {
    /// The sink configuration; the output table is required.
    pub fn sink_config(&self) -> Result<SinkConfig, ConfigError> {
        let table = self
            .table
            .clone()
            .or_else(|| self.reference_table.clone())
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| {
                ConfigError::Missing(
                    "no output table: set --table or SWAPSTREAM_TABLE (or DYNAMODB_TABLE_NAME)"
                        .into(),
                )
            })?;
        Ok(SinkConfig {
            table,
            dead_letter_table: self
                .dead_letter_table
                .clone()
                .filter(|t| !t.trim().is_empty()),
            writer: WriterConfig {
                concurrency: usize::from(self.write_concurrency),
                backoff: Backoff {
                    max_attempts: self.write_max_attempts,
                    base: self.write_backoff,
                    ..Backoff::default()
                },
            },
        })
    }
}

/// Pipeline settings from the module and sink arguments.
pub fn pipeline_settings(module: &ModuleArgs, sink: &SinkConfig) -> PipelineSettings {
    PipelineSettings {
        module_config: module.module_config.clone(),
        lineage_attribute: module.lineage(),
        on_module_failure: if sink.dead_letter_table.is_some() {
            OnModuleFailure::DeadLetter
        } else {
            OnModuleFailure::Fail
        },
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (default in Lambda).
    Json,
    /// Human-readable lines (default elsewhere).
    Text,
}

/// Logging.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log filter, e.g. `info`, `debug`, `swapstream=debug,warn` [default: info; warn for
    /// commands whose output is on the terminal, such as replay].
    #[arg(
        long = "log",
        env = "SWAPSTREAM_LOG",
        global = true,
        value_name = "FILTER"
    )]
    pub filter: Option<String>,

    /// Log format [default: json in Lambda, text elsewhere].
    #[arg(
        long,
        env = "SWAPSTREAM_LOG_FORMAT",
        global = true,
        value_name = "FORMAT"
    )]
    pub log_format: Option<LogFormat>,
}

impl LogArgs {
    /// The format to use.
    pub fn format(&self) -> LogFormat {
        self.log_format.unwrap_or(if in_lambda() {
            LogFormat::Json
        } else {
            LogFormat::Text
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_module_locations() {
        assert_eq!(
            "builtin:average".parse::<ModuleLocation>().unwrap(),
            ModuleLocation::Builtin("average".into())
        );
        assert_eq!(
            "s3://bucket/path/to/m.wasm"
                .parse::<ModuleLocation>()
                .unwrap(),
            ModuleLocation::S3 {
                bucket: "bucket".into(),
                key: "path/to/m.wasm".into()
            }
        );
        assert_eq!(
            "file:///opt/m.wasm".parse::<ModuleLocation>().unwrap(),
            ModuleLocation::File("/opt/m.wasm".into())
        );
        assert_eq!(
            "./m.wasm".parse::<ModuleLocation>().unwrap(),
            ModuleLocation::File("./m.wasm".into())
        );
    }

    #[test]
    fn refuses_bad_module_locations_with_a_reason() {
        let err = |s: &str| s.parse::<ModuleLocation>().unwrap_err();
        assert_eq!(
            err("builtin:nope"),
            "no built-in module `nope` (built-in: average, stats)"
        );
        assert_eq!(
            err("s3://bucket"),
            "`s3://bucket` is not of the form s3://bucket/key"
        );
        assert_eq!(
            err("file://rel/m.wasm"),
            "`file://rel/m.wasm`: a file:// location needs an absolute path (file:///…)"
        );
        assert_eq!(
            err("https://x/m.wasm"),
            "unsupported module location scheme `https://` (use builtin:, file:// or s3://)"
        );
    }

    #[test]
    fn sha256_pins_are_64_hex_digits() {
        assert!(format!("{:064}", 0).parse::<Sha256Hex>().is_ok());
        assert_eq!(
            "abc".parse::<Sha256Hex>().unwrap_err(),
            "expected 64 hex digits"
        );
    }

    #[test]
    fn scoped_module_config_reaches_only_its_module() {
        let config = vec![
            ("shared".to_owned(), "1".to_owned()),
            ("misbehave/mode".to_owned(), "trap".to_owned()),
            ("stats/precision".to_owned(), "2".to_owned()),
        ];
        assert_eq!(
            module_config_for(&config, "misbehave"),
            vec![
                ("shared".to_owned(), "1".to_owned()),
                ("mode".to_owned(), "trap".to_owned())
            ]
        );
        assert_eq!(
            module_config_for(&config, "average"),
            vec![("shared".to_owned(), "1".to_owned())]
        );
    }

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
