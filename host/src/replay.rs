//! `swapstream replay`: runs a Lambda-format Kafka event through a module offline, printing
//! items as DynamoDB JSON on stdout and rejections as JSON lines on stderr. No AWS needed.

use std::path::PathBuf;

use clap::Args;

use crate::cli::Exit;
use crate::config::{EngineArgs, ModuleArgs};
use crate::lambda::event;
use crate::pipeline::{OnModuleFailure, Pipeline, PipelineSettings};
use crate::sink::print::{PrintItems, PrintRejections};
use crate::startup::{self, StartupError};

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
    let (_engine, registry) = startup::load_registry(&args.module, &args.engine).await?;
    let path = args.event.display().to_string();
    let json = tokio::fs::read(&args.event)
        .await
        .map_err(|e| Exit::Failure(format!("cannot read event file {path}: {e}")))?;
    let event = event::decode(&json)
        .map_err(|e| Exit::Failure(format!("{path} is not a Kafka event: {e}")))?;
    let settings = PipelineSettings {
        module_config: args.module.module_config.clone(),
        lineage_attribute: args.module.lineage(),
        on_module_failure: OnModuleFailure::Fail,
    };
    let pipeline = Pipeline::new(
        registry,
        PrintItems::new(std::io::stdout()),
        PrintRejections::new(std::io::stderr()),
        settings,
    );
    pipeline
        .process(event.batch, event.undecodable)
        .await
        .map_err(|e| Exit::Failure(e.to_string()))?;
    Ok(())
}

impl From<StartupError> for Exit {
    fn from(e: StartupError) -> Self {
        Exit::Config(e.to_string())
    }
}
