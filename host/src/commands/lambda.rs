//! Lambda mode: the host as an AWS Lambda function behind a Kafka event source mapping.
//!
//! Each invocation's payload is decoded from its bytes into a columnar batch by the Lambda
//! event source's decoder (`swapstream_lambda_event::decode`, the one `replay` uses) and run
//! through the shared [`Pipeline`]. The invocation fails when the event does not decode, or
//! when the results could not be written (then the event source mapping retries the batch —
//! writes are idempotent, so a retry is safe); rejected records never fail it. A warm
//! container picks up a new module version at the start of an invocation, at most once per
//! poll interval (see [`crate::hotswap`]).

use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

// The `bytes` crate's buffer, which is what the Lambda runtime hands over as the body.
use axum::body::Bytes;
use clap::Args;
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{LambdaEvent, LambdaInvocation, Runtime, layers::TracingLayer, service_fn};
use serde::Serialize;
use swapstream_core::module::Module;
use swapstream_core::pipeline::{Pipeline, PipelineError};
use swapstream_core::sink::{DeadLetterSink, ItemSink};

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
    let events = RawEvents::default();
    let handed = events.clone();
    let handler = service_fn(move |event: LambdaEvent<()>| {
        let handed = handed.clone();
        async move {
            let body = handed.take(&event.context.request_id)?;
            // A frozen execution environment runs no background task, so a warm container
            // looks for a new module version here, before this batch takes its module (at
            // most once per poll interval; a refused or unreachable version leaves the
            // running one).
            reloader.check_if_due().await;
            handle(pipeline, &body).await
        }
    });
    // Layers run outermost last-added first: the span covers the whole invocation, as
    // `lambda_runtime::run` sets it up.
    Runtime::new(handler)
        .layer(events)
        .layer(TracingLayer::new())
        .run()
        .await
        .map_err(|e| Exit::Failure(format!("Lambda runtime stopped: {e}")))
}

/// Takes each invocation's body away from the runtime before it deserializes it, and hands it
/// to the handler as bytes.
///
/// The runtime deserializes the body with serde into the handler's payload type; with
/// `LambdaEvent<()>` and the body replaced by `null` that costs nothing, and the handler
/// decodes the original bytes with the event source's own decoder instead (a
/// `Box<RawValue>` payload would still make serde scan the whole event and copy it). The
/// runtime serves one invocation at a time, so one slot is enough; the body is tagged with its
/// request id so that a handler can never take another invocation's event.
#[derive(Clone, Default)]
struct RawEvents(Arc<Mutex<Option<(String, Bytes)>>>);

impl RawEvents {
    /// The body of invocation `request_id`.
    fn take(&self, request_id: &str) -> Result<Bytes, InvocationError> {
        let slot = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        match slot {
            Some((id, body)) if id == request_id => Ok(body),
            _ => Err(InvocationError::Internal(format!(
                "the event of invocation {request_id} was not handed to the handler"
            ))),
        }
    }
}

impl<S> Layer<S> for RawEvents {
    type Service = RawEventService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RawEventService {
            inner,
            events: self.clone(),
        }
    }
}

/// The service [`RawEvents`] puts in front of the runtime's own.
struct RawEventService<S> {
    inner: S,
    events: RawEvents,
}

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for RawEventService<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        let body = std::mem::replace(&mut invocation.body, Bytes::from_static(b"null"));
        *self.events.0.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((invocation.context.request_id.clone(), body));
        self.inner.call(invocation)
    }
}

/// Why an invocation failed, as Lambda reports it.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// The payload is not a Kafka event (not JSON, or not in the event's shape).
    #[error("the payload is not a Kafka event: {0}")]
    InvalidEvent(#[source] serde_json::Error),
    /// The batch could not be run or its results not written.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The runtime did not hand the event over as expected.
    #[error("{0}")]
    Internal(String),
}

/// The error an invocation reports: its type says which part failed, so alarms can tell a
/// malformed event or a DynamoDB outage from a failing module.
impl From<InvocationError> for lambda_runtime::Diagnostic {
    fn from(e: InvocationError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.kind().to_owned(),
            error_message: e.to_string(),
        }
    }
}

impl InvocationError {
    /// The error type Lambda reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidEvent(_) => "InvalidEvent",
            Self::Pipeline(PipelineError::Module(_)) => "ModuleFailed",
            Self::Pipeline(PipelineError::Sink(_)) => "SinkFailed",
            Self::Pipeline(PipelineError::DeadLetter(_)) => "DeadLetterFailed",
            Self::Pipeline(PipelineError::Internal(_)) | Self::Internal(_) => "InternalError",
        }
    }
}

/// Handles one event, given as the invocation's payload bytes.
pub async fn handle<M: Module, S: ItemSink, D: DeadLetterSink>(
    pipeline: &Pipeline<M, S, D>,
    payload: &[u8],
) -> Result<Response, InvocationError> {
    let event = swapstream_lambda_event::decode(payload).map_err(InvocationError::InvalidEvent)?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// An invocation `request_id` whose body is `body`, as the runtime builds it.
    fn invocation(request_id: &str, body: &'static [u8]) -> LambdaInvocation {
        let mut context = lambda_runtime::Context::default();
        context.request_id = request_id.to_owned();
        LambdaInvocation {
            parts: axum::http::Response::new(()).into_parts().0,
            body: Bytes::from_static(body),
            context,
        }
    }

    /// The runtime's side of the layer: what body it goes on to deserialize.
    fn runtime_side(
        events: &RawEvents,
    ) -> RawEventService<
        impl Service<LambdaInvocation, Response = Bytes, Error = std::convert::Infallible>,
    > {
        events.layer(service_fn(|invocation: LambdaInvocation| async move {
            Ok::<_, std::convert::Infallible>(invocation.body)
        }))
    }

    #[tokio::test]
    async fn the_runtime_deserializes_null_and_the_handler_takes_the_body_once() {
        let events = RawEvents::default();
        let seen = runtime_side(&events)
            .call(invocation("a", br#"{"records": {}}"#))
            .await
            .unwrap();
        assert_eq!(seen, Bytes::from_static(b"null"));
        assert_eq!(
            events.take("a").unwrap(),
            Bytes::from_static(br#"{"records": {}}"#)
        );
        let again = events.take("a").unwrap_err();
        assert_eq!(
            (again.kind(), again.to_string().as_str()),
            (
                "InternalError",
                "the event of invocation a was not handed to the handler"
            )
        );
    }

    #[tokio::test]
    async fn a_handler_never_takes_another_invocations_body() {
        let events = RawEvents::default();
        runtime_side(&events)
            .call(invocation("a", b"{}"))
            .await
            .unwrap();
        assert!(matches!(
            events.take("b"),
            Err(InvocationError::Internal(_))
        ));
    }
}
