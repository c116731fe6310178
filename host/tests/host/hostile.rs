//! The hostile-module suite in service mode: the worker (over the in-memory source, so no
//! broker is needed) runs `misbehave` in each attacking mode with a dead-letter table. Every
//! batch ends within the module's budget; a failing one sends its records to the dead-letter
//! table with the typed failure as the reason; the worker carries on, commits every record and
//! stops cleanly. The Lambda handler's half of the suite is in `lambda.rs`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use swapstream_core::item::Item;
use swapstream_core::pipeline::{OnModuleFailure, Pipeline, PipelineSettings};
use swapstream_core::registry::Registry;
use swapstream_core::retry::Backoff;
use swapstream_core::sink::{DeadLetter, DeadLetterSink, ItemSink, SinkError, WriteStats};
use swapstream_core::source::Source;
use swapstream_core::source::memory::{MemoryLog, MemorySource};
use swapstream_core::store::ModuleBytes;
use swapstream_core::worker::{BatchLimits, Health, ServiceSettings, Worker};
use swapstream_engine::{Engine, EngineConfig, Limits, WasmModule};

/// Every attack `misbehave` knows, with the reason of every dead letter it causes, or `None`
/// when its batches are written as usual.
pub(super) const ATTACKS: [(&str, Option<&str>); 15] = [
    ("sleep", None),
    ("log-flood", None),
    ("log-bomb", None),
    ("stdio-flood", None),
    ("loop", Some("ran out of time")),
    ("clock-spin", Some("ran out of time")),
    ("memory", Some("memory")),
    ("recursion", Some("exhausted its call stack")),
    ("huge-output", Some("bytes of output")),
    ("amplify", Some("bytes of output")),
    ("many-items", Some("bytes of output")),
    ("trap", Some("misbehave: asked to trap")),
    ("connect", Some("misbehave: connect failed")),
    ("read-file", Some("misbehave: read failed")),
    ("fail", Some("misbehave: asked to fail")),
];

/// `misbehave`, loaded with a 500 ms budget per batch.
pub(super) fn misbehave_registry() -> Arc<Registry<WasmModule>> {
    let engine = Engine::new(EngineConfig {
        cache_dir: None,
        limits: Limits {
            time: Duration::from_millis(500),
            ..Limits::default()
        },
    })
    .unwrap();
    let bytes =
        std::fs::read(swapstream::builtin::built_modules_dir().join("misbehave.wasm")).unwrap();
    let module = engine
        .load(&ModuleBytes::new(bytes), "misbehave.wasm")
        .unwrap();
    Arc::new(Registry::new(module))
}

/// Runs `misbehave` in `mode`, dead-lettering what fails; a time-out runs twice.
pub(super) fn attack_settings(mode: &str) -> PipelineSettings {
    PipelineSettings {
        module_config: vec![("mode".into(), mode.into())],
        on_module_failure: OnModuleFailure::DeadLetter,
        module_retries: Backoff {
            max_attempts: 2,
            base: Duration::from_millis(1),
            max: Duration::from_millis(2),
        },
        ..PipelineSettings::default()
    }
}

#[derive(Clone, Default)]
struct Tables {
    items: Arc<Mutex<Vec<Item>>>,
    reasons: Arc<Mutex<Vec<String>>>,
}

impl ItemSink for Tables {
    async fn write(&self, items: Vec<Item>) -> Result<WriteStats, SinkError> {
        let written = items.len();
        self.items.lock().unwrap().extend(items);
        Ok(WriteStats {
            written,
            ..WriteStats::default()
        })
    }
}

impl DeadLetterSink for Tables {
    async fn write(&self, letters: Vec<DeadLetter>) -> Result<WriteStats, SinkError> {
        let written = letters.len();
        self.reasons
            .lock()
            .unwrap()
            .extend(letters.into_iter().map(|l| l.reason));
        Ok(WriteStats {
            written,
            ..WriteStats::default()
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_module_ends_within_its_budget_and_the_worker_commits_everything() {
    let registry = misbehave_registry();
    for (mode, failure) in ATTACKS {
        let log = MemoryLog::new();
        let tp = ("sensors".to_owned(), 0);
        for _ in 0..20 {
            log.append("sensors", 0, b"{}");
        }
        let tables = Tables::default();
        let pipeline = Pipeline::new(
            Arc::clone(&registry),
            tables.clone(),
            tables.clone(),
            attack_settings(mode),
        );
        let source = MemorySource::join(&log, [tp.clone()]);
        let health = Arc::new(Health::new(source.status()));
        let settings = ServiceSettings {
            limits: BatchLimits {
                max_records: 10,
                max_bytes: 1 << 20,
                max_wait: Duration::from_millis(20),
            },
            max_in_flight: 2,
            shutdown_timeout: Duration::from_secs(5),
            ..ServiceSettings::default()
        };
        let worker = Worker::new(pipeline, source.clone(), health, settings);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(worker.run(async {
            let _ = stopped.await;
        }));
        let started = std::time::Instant::now();
        loop {
            let handled = match failure {
                None => tables.items.lock().unwrap().len() == 2,
                Some(_) => tables.reasons.lock().unwrap().len() == 20,
            };
            if handled {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{mode}: the batches were not handled"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.send(()).unwrap();
        let summary = task.await.unwrap().unwrap();
        assert!(summary.closed_cleanly, "{mode}");
        assert_eq!(
            log.committed(&tp),
            Some(20),
            "{mode}: every record committed"
        );
        if let Some(reason) = failure {
            let reasons = tables.reasons.lock().unwrap();
            assert!(
                reasons
                    .iter()
                    .all(|r| r.starts_with("module failed: ") && r.contains(reason)),
                "{mode}: {reasons:?}"
            );
            assert!(tables.items.lock().unwrap().is_empty(), "{mode}");
        }
    }
}
