//! Lambda mode: the host as an AWS Lambda function behind a Kafka event source mapping.
//!
//! Each invocation's event is decoded into a columnar batch (the Lambda event source,
//! `swapstream-lambda-event`) and run through the shared [`Pipeline`]. The invocation fails
//! only when the results could not be written (then the event source mapping retries the
//! batch — writes are idempotent, so a retry is safe); rejected records never fail it. A warm
//! container picks up a new module version at the start of an invocation, at most once per
//! poll interval (see [`crate::hotswap`]).

use clap::Args;
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Serialize;
use swapstream_core::module::Module;
use swapstream_core::pipeline::{Pipeline, PipelineError};
use swapstream_core::sink::{DeadLetterSink, ItemSink};
use swapstream_lambda_event::KafkaEventBatch;

use crate::exit::Exit;
use crate::settings::{EngineArgs, HotSwapArgs, ModuleArgs, SinkArgs};
use crate::startup;

/// Settings of `swapstream lambda`.
#[derive(Debug, Clone, Args)]
pub struct LambdaArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub module: ModuleArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub engine: EngineArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sink: SinkArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub swap: HotSwapArgs,
}

/// What an invocation returns (visible in the Lambda console and in `cargo lambda invoke`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    /// Records in the event.
    pub records: usize,
    /// Items written.
    pub items: usize,
    /// Records rejected.
    pub rejected: usize,
    /// The module version that ran (`name@version#hash`).
    pub module: String,
}

/// Starts up (module, tables) and serves invocations until the runtime stops.
pub async fn run(args: LambdaArgs) -> Result<(), Exit> {
    let sink_config = args.sink.sink_config()?;
    let reloader = startup::load_swappable(&args.module, &args.engine, &args.swap).await?;
    let (items, dead_letters) = startup::dynamodb_sinks(&sink_config).await?;
    let pipeline = Pipeline::new(
        reloader.registry().clone(),
        items,
        dead_letters,
        sink_config.pipeline_settings(&args.module),
    );
    tracing::info!(table = %sink_config.table, dead_letter_table = ?sink_config.dead_letter_table, "ready for invocations");
    let pipeline = &pipeline;
    let reloader = &reloader;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<KafkaEventBatch>| async move {
            // A frozen execution environment runs no background task, so a warm container looks
            // for a new module version here, before this batch takes its module (at most once
            // per poll interval; a refused or unreachable version leaves the running one).
            reloader.check_if_due().await;
            handle(pipeline, event.payload)
                .await
                .map_err(InvocationError)
        },
    ))
    .await
    .map_err(|e| Exit::Failure(format!("Lambda runtime stopped: {e}")))
}

/// Why an invocation failed, as Lambda reports it.
#[derive(Debug)]
pub struct InvocationError(pub PipelineError);

/// The error an invocation reports: its type says which part failed, so alarms can tell a
/// DynamoDB outage from a failing module.
impl From<InvocationError> for lambda_runtime::Diagnostic {
    fn from(InvocationError(e): InvocationError) -> Self {
        let kind = match &e {
            PipelineError::Module(_) => "ModuleFailed",
            PipelineError::Sink(_) => "SinkFailed",
            PipelineError::DeadLetter(_) => "DeadLetterFailed",
            PipelineError::Internal(_) => "InternalError",
        };
        lambda_runtime::Diagnostic {
            error_type: kind.to_owned(),
            error_message: e.to_string(),
        }
    }
}

/// Handles one event.
pub async fn handle<M: Module, S: ItemSink, D: DeadLetterSink>(
    pipeline: &Pipeline<M, S, D>,
    event: KafkaEventBatch,
) -> Result<Response, PipelineError> {
    let report = pipeline
        .process(event.into_delivery())
        .await
        .map_err(|unwritten| unwritten.error)?;
    Ok(Response {
        records: report.records,
        items: report.items,
        rejected: report.rejected,
        module: report.module.lineage(),
    })
}
