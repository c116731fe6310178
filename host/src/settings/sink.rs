//! The DynamoDB tables and how to write them, and what the pipeline does with a batch the
//! module fails.

use std::time::Duration;

use clap::Args;
use swapstream_aws::dynamodb::WriterConfig;
use swapstream_core::pipeline::{OnModuleFailure, PipelineSettings};
use swapstream_core::retry::Backoff;

use super::{ConfigError, ModuleArgs, parse_duration};

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

impl SinkConfig {
    /// Pipeline settings for `module` writing to these tables: with a dead-letter table, a
    /// batch the module fails goes there instead of being retried.
    pub fn pipeline_settings(&self, module: &ModuleArgs) -> PipelineSettings {
        PipelineSettings {
            module_config: module.module_config.clone(),
            lineage_attribute: module.lineage(),
            on_module_failure: if self.dead_letter_table.is_some() {
                OnModuleFailure::DeadLetter
            } else {
                OnModuleFailure::Fail
            },
            ..PipelineSettings::default()
        }
    }
}
