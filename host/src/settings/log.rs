//! Logging: filter and format.

use clap::{Args, ValueEnum};

use super::in_lambda;

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
