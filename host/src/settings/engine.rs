//! Sandbox limits and the precompiled cache, for the engine.

use std::path::PathBuf;
use std::time::Duration;

use bytesize::ByteSize;
use clap::Args;
use swapstream_engine::{EngineConfig, Limits};

use super::{ConfigError, in_lambda, parse_duration, parse_size};

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

    /// Most a module may make the host copy out of it in one call: a batch's output (items and
    /// rejections, counted as the host holds them) or one log line.
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

/// Where precompiled modules go unless `--cache-dir` says otherwise.
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
