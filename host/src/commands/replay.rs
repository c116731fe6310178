//! `swapstream replay`: runs a Lambda-format Kafka event through a module offline, printing
//! items as DynamoDB JSON on stdout and rejections as JSON lines on stderr. No AWS needed.
//!
//! The file is the source (decoded like a Lambda invocation's payload) and the terminal is the
//! sink; the pipeline is the one every driver runs.

use std::path::PathBuf;

use clap::Args;
use swapstream_core::pipeline::{OnModuleFailure, Pipeline, PipelineSettings};
use swapstream_core::sink::print::{PrintItems, PrintRejections};

use crate::exit::Exit;
use crate::settings::{EngineArgs, ModuleArgs};
use crate::startup;

/// Settings of `swapstream replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// Kafka event in the Lambda event source mapping's JSON format.
    #[arg(long, value_name = "FILE")]
    pub event: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub module: ModuleArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub engine: EngineArgs,
}

/// Runs the replay.
pub async fn run(args: ReplayArgs) -> Result<(), Exit> {
    // Settings and module first: a configuration mistake is reported as one (exit 2) before
    // the event is even read.
    let registry = startup::load_registry(&args.module, &args.engine).await?;
    let event = read_event(&args.event).await?;
    let settings = PipelineSettings {
        module_config: args.module.module_config.clone(),
        lineage_attribute: args.module.lineage(),
        on_module_failure: OnModuleFailure::Fail,
        ..PipelineSettings::default()
    };
    let pipeline = Pipeline::new(
        registry,
        PrintItems::new(std::io::stdout()),
        PrintRejections::new(std::io::stderr()),
        settings,
    );
    pipeline
        .process(event.into_delivery())
        .await
        .map_err(|unwritten| Exit::Failure(unwritten.error.to_string()))?;
    Ok(())
}

/// Reads and decodes a Lambda-format Kafka event file; a file that is not one is exit code 1
/// with one line.
pub async fn read_event(
    path: &std::path::Path,
) -> Result<swapstream_lambda_event::KafkaEventBatch, Exit> {
    let name = path.display().to_string();
    let json = tokio::fs::read(path)
        .await
        .map_err(|e| Exit::Failure(format!("cannot read event file {name}: {e}")))?;
    swapstream_lambda_event::decode(&json)
        .map_err(|e| Exit::Failure(format!("{name} is not a Kafka event: {e}")))
}
