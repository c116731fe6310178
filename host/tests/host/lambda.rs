//! The Lambda handler: the invocation's payload bytes in, its response or its reported error
//! out (`swapstream::commands::lambda::handle`, with the builtin `average` module and an
//! in-memory sink).

use std::sync::{Arc, Mutex};

use swapstream::commands::lambda::{InvocationError, Response, handle};
use swapstream_core::item::Item;
use swapstream_core::module::Module;
use swapstream_core::pipeline::{Pipeline, PipelineSettings};
use swapstream_core::registry::Registry;
use swapstream_core::sink::{DeadLetter, DeadLetterSink, ItemSink, SinkError, WriteStats};
use swapstream_core::store::ModuleBytes;
use swapstream_engine::{Engine, EngineConfig, WasmModule};

/// Keeps what it is given (items, and the count of dead letters), or refuses every item write.
#[derive(Clone, Default)]
struct Sink {
    items: Arc<Mutex<Vec<Item>>>,
    dead_letters: Arc<Mutex<usize>>,
    reasons: Arc<Mutex<Vec<String>>>,
    refusing: bool,
}

impl ItemSink for Sink {
    async fn write(&self, items: Vec<Item>) -> Result<WriteStats, SinkError> {
        if self.refusing {
            return Err(SinkError::Refused {
                table: "readings".into(),
                message: "no such table".into(),
            });
        }
        let written = items.len();
        self.items.lock().unwrap().extend(items);
        Ok(WriteStats {
            written,
            ..WriteStats::default()
        })
    }
}

impl DeadLetterSink for Sink {
    async fn write(&self, letters: Vec<DeadLetter>) -> Result<WriteStats, SinkError> {
        *self.dead_letters.lock().unwrap() += letters.len();
        self.reasons
            .lock()
            .unwrap()
            .extend(letters.iter().map(|l| l.reason.clone()));
        Ok(WriteStats {
            written: letters.len(),
            ..WriteStats::default()
        })
    }
}

type TestPipeline = Pipeline<WasmModule, Sink, Sink>;

/// A pipeline running the builtin `average` into `sink`, and that module's lineage.
fn pipeline_with_lineage(sink: &Sink) -> (TestPipeline, String) {
    let engine = Engine::new(EngineConfig {
        cache_dir: None,
        ..EngineConfig::default()
    })
    .unwrap();
    let module = engine
        .load(
            &ModuleBytes::new(swapstream::builtin::bytes("average").unwrap()),
            "builtin:average",
        )
        .unwrap();
    let lineage = module.label().lineage();
    let pipeline = Pipeline::new(
        Arc::new(Registry::new(module)),
        sink.clone(),
        sink.clone(),
        PipelineSettings::default(),
    );
    (pipeline, lineage)
}

fn pipeline(sink: &Sink) -> TestPipeline {
    pipeline_with_lineage(sink).0
}

fn fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/msk-event.json"
    ))
    .unwrap()
}

/// The error type and message Lambda reports for `e`.
fn reported(e: InvocationError) -> (String, String) {
    let d = lambda_runtime::Diagnostic::from(e);
    (d.error_type, d.error_message)
}

#[tokio::test]
async fn the_fixture_event_is_decoded_from_its_bytes_and_its_items_and_rejections_written() {
    let sink = Sink::default();
    let (pipeline, module) = pipeline_with_lineage(&sink);
    let response = handle(&pipeline, &fixture()).await.unwrap();
    assert_eq!(
        response,
        Response {
            records: 12,
            items: 2,
            rejected: 2,
            module,
        }
    );
    assert_eq!(sink.items.lock().unwrap().len(), 2);
    assert_eq!(*sink.dead_letters.lock().unwrap(), 2);
}

#[tokio::test]
async fn a_payload_that_is_not_json_fails_as_invalid_event_and_writes_nothing() {
    let sink = Sink::default();
    let err = handle(&pipeline(&sink), b"records: none")
        .await
        .unwrap_err();
    assert!(matches!(err, InvocationError::InvalidEvent(_)), "{err:?}");
    assert_eq!(
        reported(err),
        (
            "InvalidEvent".to_owned(),
            "the payload is not a Kafka event: expected value at line 1 column 1".to_owned()
        )
    );
    assert!(sink.items.lock().unwrap().is_empty());
    assert_eq!(*sink.dead_letters.lock().unwrap(), 0);
}

#[tokio::test]
async fn an_event_without_records_fails_as_invalid_event_naming_the_field() {
    let sink = Sink::default();
    let err = handle(&pipeline(&sink), br#"{"eventSource": "aws:kafka"}"#)
        .await
        .unwrap_err();
    assert_eq!(
        reported(err),
        (
            "InvalidEvent".to_owned(),
            "the payload is not a Kafka event: missing field `records` at line 1 column 28"
                .to_owned()
        )
    );
}

#[tokio::test]
async fn a_record_of_the_wrong_shape_fails_as_invalid_event_on_one_line() {
    let sink = Sink::default();
    let event = String::from_utf8(fixture()).unwrap().replacen(
        r#""offset": 1000"#,
        r#""offset": "1000""#,
        1,
    );
    let (kind, message) = reported(
        handle(&pipeline(&sink), event.as_bytes())
            .await
            .unwrap_err(),
    );
    assert_eq!(kind, "InvalidEvent");
    assert!(
        message.starts_with("the payload is not a Kafka event: invalid type: string \"1000\""),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[tokio::test]
async fn a_refused_write_fails_as_sink_failed() {
    let sink = Sink {
        refusing: true,
        ..Sink::default()
    };
    let err = handle(&pipeline(&sink), &fixture()).await.unwrap_err();
    assert_eq!(
        reported(err),
        (
            "SinkFailed".to_owned(),
            "items not written: writing to readings was refused: no such table".to_owned()
        )
    );
}

/// One module per attack, run by the Lambda handler with a dead-letter table: each invocation
/// ends within the module's budget, a failing one sends the event's 12 records to the
/// dead-letter table with the typed failure as the reason, and the next invocation on the same
/// module version is written normally.
#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_module_ends_within_its_budget_and_the_next_invocation_is_written() {
    use super::hostile::{ATTACKS, attack_settings, misbehave_registry};

    let registry = misbehave_registry();
    let pipeline = |sink: &Sink, mode: &str| {
        Pipeline::new(
            Arc::clone(&registry),
            sink.clone(),
            sink.clone(),
            attack_settings(mode),
        )
    };
    for (mode, failure) in ATTACKS {
        let sink = Sink::default();
        let response = handle(&pipeline(&sink, mode), &fixture())
            .await
            .unwrap_or_else(|e| panic!("{mode}: {e:?}"));
        assert_eq!(response.records, 12, "{mode}");
        match failure {
            None => {
                assert_eq!((response.items, response.rejected), (2, 0), "{mode}");
            }
            Some(reason) => {
                assert_eq!((response.items, response.rejected), (0, 12), "{mode}");
                let reasons = sink.reasons.lock().unwrap();
                assert!(
                    reasons
                        .iter()
                        .all(|r| r.starts_with("module failed: ") && r.contains(reason)),
                    "{mode}: {reasons:?}"
                );
            }
        }
        let next = Sink::default();
        let response = handle(&pipeline(&next, "behave"), &fixture())
            .await
            .unwrap();
        assert_eq!(
            (response.items, response.rejected),
            (2, 0),
            "the invocation after {mode}"
        );
    }
}
