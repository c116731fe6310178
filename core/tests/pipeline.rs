//! The pipeline with a native module that fails on purpose: a module failure that depends on
//! the machine (a time-out, exhausted host resources) is run again on the same version before
//! anything is dead-lettered; one that depends on the batch is dead-lettered at once. Items
//! DynamoDB would refuse are dead-lettered one by one.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use swapstream_core::batch::{Batch, BatchBuilder, Delivery, RecordRef};
use swapstream_core::item::{Attribute, Item, Output, Value};
use swapstream_core::module::{Module, ModuleError, ModuleLabel, Ran};
use swapstream_core::pipeline::{BatchReport, OnModuleFailure, Pipeline, PipelineSettings};
use swapstream_core::registry::Registry;
use swapstream_core::retry::Backoff;
use swapstream_core::sink::{DeadLetter, DeadLetterSink, ItemSink, SinkError, WriteStats};

/// Fails its first `failures` runs with `error`, then makes one item per record (its offset),
/// or one per entry of `numbers` when there are some.
struct Flaky {
    label: ModuleLabel,
    failures: u32,
    error: fn(ModuleLabel) -> ModuleError,
    runs: AtomicU32,
    numbers: Vec<&'static str>,
}

impl Module for Flaky {
    fn label(&self) -> &ModuleLabel {
        &self.label
    }

    fn aggregate(&self, batch: Batch, _config: &[(String, String)]) -> Ran {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        if run <= self.failures {
            return Ran {
                batch,
                output: Err((self.error)(self.label.clone())),
            };
        }
        let number = |n: String| Item {
            attributes: vec![Attribute {
                name: "offset".into(),
                value: Value::N(n),
            }],
        };
        let items = if self.numbers.is_empty() {
            batch
                .records()
                .map(|(c, _)| number(c.offset.to_string()))
                .collect()
        } else {
            self.numbers
                .iter()
                .map(|n| number((*n).to_owned()))
                .collect()
        };
        Ran {
            batch,
            output: Ok(Output {
                items,
                rejected: Vec::new(),
            }),
        }
    }
}

fn timeout(module: ModuleLabel) -> ModuleError {
    ModuleError::Timeout {
        module,
        budget: Duration::from_millis(500),
    }
}

fn pool_exhausted(module: ModuleLabel) -> ModuleError {
    ModuleError::Resources {
        module,
        message: "maximum concurrent limit of 1000 for component instances reached".into(),
    }
}

fn trap(module: ModuleLabel) -> ModuleError {
    ModuleError::Trap {
        module,
        message: "unreachable".into(),
    }
}

#[derive(Clone, Default)]
struct Tables {
    items: Arc<Mutex<Vec<String>>>,
    letters: Arc<Mutex<Vec<(i64, String)>>>,
}

impl ItemSink for Tables {
    async fn write(&self, items: Vec<Item>) -> Result<WriteStats, SinkError> {
        let n = items.len();
        self.items.lock().unwrap().extend(items.into_iter().map(
            |i| match &i.attributes[0].value {
                Value::N(n) => n.clone(),
                other => panic!("{other:?}"),
            },
        ));
        Ok(WriteStats {
            written: n,
            ..WriteStats::default()
        })
    }
}

impl DeadLetterSink for Tables {
    async fn write(&self, letters: Vec<DeadLetter>) -> Result<WriteStats, SinkError> {
        self.letters.lock().unwrap().extend(
            letters
                .into_iter()
                .map(|l| (l.coordinates.offset, l.reason)),
        );
        Ok(WriteStats::default())
    }
}

/// Runs a three-record batch through `module`, dead-lettering what the module fails.
async fn run(module: Flaky) -> (Tables, Arc<Registry<Flaky>>) {
    let (tables, modules, _) = run_reporting(module).await;
    (tables, modules)
}

async fn run_reporting(module: Flaky) -> (Tables, Arc<Registry<Flaky>>, BatchReport) {
    let tables = Tables::default();
    let modules = Arc::new(Registry::new(module));
    let pipeline = Pipeline::new(
        Arc::clone(&modules),
        tables.clone(),
        tables.clone(),
        PipelineSettings {
            on_module_failure: OnModuleFailure::DeadLetter,
            module_retries: Backoff {
                max_attempts: 3,
                base: Duration::from_millis(1),
                max: Duration::from_millis(2),
            },
            ..PipelineSettings::default()
        },
    );
    let mut batch = BatchBuilder::new();
    for offset in [10, 11, 12] {
        let record = RecordRef {
            offset,
            timestamp_ms: 0,
            key: None,
            value: Some(b"{}"),
        };
        batch.push("sensors", 0, record, []).unwrap();
    }
    let report = pipeline
        .process(Delivery::from(batch.build()))
        .await
        .map_err(|u| u.error)
        .unwrap();
    (tables, modules, report)
}

fn flaky(failures: u32, error: fn(ModuleLabel) -> ModuleError) -> Flaky {
    Flaky {
        label: ModuleLabel {
            name: "flaky".into(),
            version: "1".into(),
            sha256: "0".repeat(64),
        },
        failures,
        error,
        runs: AtomicU32::new(0),
        numbers: Vec::new(),
    }
}

#[tokio::test]
async fn a_batch_that_timed_out_twice_is_run_again_and_written_without_dead_letters() {
    let (tables, modules) = run(flaky(2, timeout)).await;
    assert_eq!(*tables.items.lock().unwrap(), vec!["10", "11", "12"]);
    assert!(tables.letters.lock().unwrap().is_empty());
    assert_eq!(modules.current().runs.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn an_exhausted_instance_pool_is_retried_like_a_time_out_not_treated_as_a_trap() {
    let (tables, modules) = run(flaky(1, pool_exhausted)).await;
    assert_eq!(*tables.items.lock().unwrap(), vec!["10", "11", "12"]);
    assert!(tables.letters.lock().unwrap().is_empty());
    assert_eq!(modules.current().runs.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_batch_that_times_out_on_every_run_is_dead_lettered_after_the_last_attempt() {
    let (tables, modules) = run(flaky(u32::MAX, timeout)).await;
    assert!(tables.items.lock().unwrap().is_empty());
    let reason =
        "module failed: module flaky@1#000000000000 ran out of time (budget 500ms per batch)";
    assert_eq!(
        *tables.letters.lock().unwrap(),
        vec![
            (10, reason.to_owned()),
            (11, reason.to_owned()),
            (12, reason.to_owned())
        ]
    );
    assert_eq!(modules.current().runs.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_trap_is_dead_lettered_at_once_because_the_same_batch_traps_again() {
    let (tables, modules) = run(flaky(u32::MAX, trap)).await;
    assert!(tables.items.lock().unwrap().is_empty());
    assert_eq!(tables.letters.lock().unwrap().len(), 3);
    assert_eq!(modules.current().runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn items_dynamodb_would_refuse_are_dead_lettered_with_the_rule_and_the_others_written() {
    let module = Flaky {
        numbers: vec![
            "1",
            "NaN",
            "2",
            "1e200",
            "123456789012345678901234567890123456789",
        ],
        ..flaky(0, trap)
    };
    let (tables, _, report) = run_reporting(module).await;
    assert_eq!(*tables.items.lock().unwrap(), vec!["1", "2"]);
    let rule = |r: &str| {
        (
            10,
            format!("item cannot be written: attribute `offset`: {r}"),
        )
    };
    assert_eq!(
        *tables.letters.lock().unwrap(),
        vec![
            rule("\"NaN\" is not a number DynamoDB accepts"),
            rule("1e200 is out of DynamoDB's number range"),
            rule("123456789012345678901234567890123456789 has 39 significant digits (most: 38)"),
        ]
    );
    assert_eq!(
        (report.items, report.unwritable, report.rejected),
        (2, 3, 0)
    );
}
