//! Structured logs on stderr: JSON in Lambda (CloudWatch parses it), human text on a terminal.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::settings::{ConfigError, LogArgs, LogFormat};

/// Installs the global subscriber, with `default_filter` unless the user gave one. Fails on an
/// unparsable filter.
pub fn init(args: &LogArgs, default_filter: &str) -> Result<(), ConfigError> {
    let wanted = args.filter.as_deref().unwrap_or(default_filter);
    let filter = EnvFilter::try_new(wanted)
        .map_err(|e| ConfigError::Invalid(format!("bad log filter `{wanted}`: {e}")))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::NONE);
    // A second initialisation (tests) keeps the first subscriber.
    let _ = match args.format() {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.with_target(false).try_init(),
    };
    Ok(())
}
