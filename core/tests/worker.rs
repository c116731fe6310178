//! The service's worker over the in-memory source: no broker, no WebAssembly. A native module
//! turns each record into one item keyed by its coordinates; the sink records what it wrote
//! and can be told to fail. The test drives the worker through a sink outage, a rebalance and
//! a crash followed by a restart, and checks the result against the log itself: every record
//! written, nothing committed that was not written, every offset committed in the end.

#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use swapstream_core::batch::Batch;
use swapstream_core::item::{Attribute, Item, Output, Value};
use swapstream_core::module::{Module, ModuleLabel, Ran};
use swapstream_core::pipeline::{Pipeline, PipelineSettings};
use swapstream_core::registry::Registry;
use swapstream_core::retry::{Backoff, RetryPolicy};
use swapstream_core::sink::{DeadLetter, DeadLetterSink, ItemSink, SinkError, WriteStats};
use swapstream_core::source::TopicPartition;
use swapstream_core::source::memory::{MemoryLog, MemorySource};
use swapstream_core::worker::{BatchLimits, Health, RunSummary, ServiceSettings, Worker};

const TOPIC: &str = "sensors";

/// One item per record: `{"partition": p, "offset": o}`.
struct Echo(ModuleLabel);

impl Module for Echo {
    fn label(&self) -> &ModuleLabel {
        &self.0
    }

    fn aggregate(&self, batch: Batch, _config: &[(String, String)]) -> Ran {
        let items = batch
            .records()
            .map(|(c, _)| Item {
                attributes: vec![
                    Attribute {
                        name: "partition".into(),
                        value: Value::N(c.partition.to_string()),
                    },
                    Attribute {
                        name: "offset".into(),
                        value: Value::N(c.offset.to_string()),
                    },
                ],
            })
            .collect();
        Ran {
            batch,
            output: Ok(Output {
                items,
                rejected: Vec::new(),
            }),
        }
    }
}

/// Keeps every (partition, offset) written and the lineage that last wrote it, and how many
/// writes failed while told to and with which records.
#[derive(Clone, Default)]
struct Recorder {
    written: Arc<Mutex<Vec<(i32, i64)>>>,
    lineage: Arc<Mutex<BTreeMap<(i32, i64), String>>>,
    refused: Arc<Mutex<BTreeSet<(i32, i64)>>>,
    failing: Arc<AtomicBool>,
    /// While failing, refuse the writes (a permanent failure) instead of giving up on them.
    refusing: Arc<AtomicBool>,
    failures: Arc<AtomicUsize>,
}

impl Recorder {
    fn distinct(&self) -> BTreeSet<(i32, i64)> {
        self.written.lock().unwrap().iter().copied().collect()
    }
}

fn number(item: &Item, name: &str) -> i64 {
    item.attributes
        .iter()
        .find_map(|a| match (&a.value, a.name == name) {
            (Value::N(n), true) => n.parse().ok(),
            _ => None,
        })
        .unwrap()
}

fn coordinates(item: &Item) -> (i32, i64) {
    (number(item, "partition") as i32, number(item, "offset"))
}

fn lineage(item: &Item) -> String {
    item.attributes
        .iter()
        .find_map(|a| match (&a.value, a.name == "module") {
            (Value::S(s), true) => Some(s.clone()),
            _ => None,
        })
        .unwrap()
}

impl ItemSink for Recorder {
    async fn write(&self, items: Vec<Item>) -> Result<WriteStats, SinkError> {
        if self.failing.load(Ordering::SeqCst) {
            self.refused
                .lock()
                .unwrap()
                .extend(items.iter().map(coordinates));
            self.failures.fetch_add(1, Ordering::SeqCst);
            if self.refusing.load(Ordering::SeqCst) {
                return Err(SinkError::Refused {
                    table: "memory".into(),
                    message: "told to refuse".into(),
                });
            }
            return Err(SinkError::GaveUp {
                table: "memory".into(),
                attempts: 1,
                pending: items.len(),
                last_error: "told to fail".into(),
            });
        }
        let n = items.len();
        self.written
            .lock()
            .unwrap()
            .extend(items.iter().map(coordinates));
        self.lineage
            .lock()
            .unwrap()
            .extend(items.iter().map(|i| (coordinates(i), lineage(i))));
        Ok(WriteStats {
            written: n,
            ..WriteStats::default()
        })
    }
}

impl DeadLetterSink for Recorder {
    async fn write(&self, letters: Vec<DeadLetter>) -> Result<WriteStats, SinkError> {
        assert!(letters.is_empty(), "Echo rejects nothing");
        Ok(WriteStats::default())
    }
}

fn tp(p: i32) -> TopicPartition {
    (TOPIC.to_owned(), p)
}

fn append(log: &MemoryLog, per_partition: usize) {
    for p in 0..2 {
        for _ in 0..per_partition {
            log.append(TOPIC, p, b"{}");
        }
    }
}

/// Every (partition, offset) in the log, from the log itself.
fn everything_in(log: &MemoryLog) -> BTreeSet<(i32, i64)> {
    (0..2)
        .flat_map(|p| (0..log.end_offset(&tp(p))).map(move |o| (p, o)))
        .collect()
}

struct Running {
    source: MemorySource,
    health: Arc<Health>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<RunSummary>,
}

fn echo(version: &str) -> Echo {
    Echo(ModuleLabel {
        name: "echo".into(),
        version: version.into(),
        sha256: "0".repeat(64),
    })
}

fn start(log: &MemoryLog, sink: &Recorder) -> Running {
    start_with(log, sink, Arc::new(Registry::new(echo("1"))))
}

fn start_with(log: &MemoryLog, sink: &Recorder, modules: Arc<Registry<Echo>>) -> Running {
    let source = MemorySource::join(log, [tp(0), tp(1)]);
    let health = Arc::new(Health::new(swapstream_core::source::Source::status(
        &source,
    )));
    let pipeline = Pipeline::new(
        modules,
        sink.clone(),
        sink.clone(),
        PipelineSettings::default(),
    );
    let settings = ServiceSettings {
        limits: BatchLimits {
            max_records: 16,
            max_bytes: 1 << 20,
            max_wait: Duration::from_millis(20),
        },
        max_in_flight: 3,
        retry: RetryPolicy {
            backoff: Backoff {
                max_attempts: u32::MAX,
                base: Duration::from_millis(10),
                max: Duration::from_millis(40),
            },
            permanent_interval: Duration::from_secs(3600),
        },
        shutdown_timeout: Duration::from_secs(2),
        stall_after: Duration::from_millis(300),
    };
    let worker = Worker::new(pipeline, source.clone(), health.clone(), settings);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        worker
            .run(async {
                let _ = stopped.await;
            })
            .await
            .unwrap()
    });
    Running {
        source,
        health,
        stop,
        task,
    }
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_writes_every_record_through_an_outage_a_rebalance_and_a_restart() {
    let log = MemoryLog::new();
    let sink = Recorder::default();
    append(&log, 200);

    // A sink outage from the start: the worker pauses, reports it, commits nothing.
    sink.failing.store(true, Ordering::SeqCst);
    let first = start(&log, &sink);
    until("failed write attempts", || {
        sink.failures.load(Ordering::SeqCst) >= 3
    })
    .await;
    assert!(swapstream_core::source::Source::is_paused(&first.source));
    let report = first.health.report();
    assert!(!report.healthy);
    assert!(
        report
            .failing
            .as_deref()
            .is_some_and(|f| f.contains("told to fail")),
        "{report:?}"
    );
    first.source.commit();
    assert_eq!(
        (log.committed(&tp(0)), log.committed(&tp(1))),
        (None, None),
        "nothing unwritten is committed"
    );

    // The sink recovers: everything is written and the worker is healthy again.
    sink.failing.store(false, Ordering::SeqCst);
    until("the first 400 records", || {
        sink.distinct() == everything_in(&log)
    })
    .await;
    until("health", || first.health.report().healthy).await;

    // A rebalance takes partition 0 away while records arrive, then gives it back: what was
    // stored is committed at the revoke, and the records are read from there.
    append(&log, 100);
    first.source.rebalance([tp(1)]);
    tokio::time::sleep(Duration::from_millis(50)).await;
    first.source.rebalance([tp(0), tp(1)]);
    until("the records around the rebalance", || {
        sink.distinct() == everything_in(&log)
    })
    .await;

    // A crash: the task is killed, so what it stored since the rebalance is never committed.
    first.task.abort();
    let _ = first.task.await;
    drop(first.stop);
    let committed_at_crash: BTreeMap<i32, i64> = (0..2)
        .map(|p| (p, log.committed(&tp(p)).unwrap_or(0)))
        .collect();
    append(&log, 50);

    // A restart reads from the committed offsets: the records after them come again (at least
    // once), the new ones for the first time, and nothing is missing.
    let written_before = sink.written.lock().unwrap().len();
    let second = start(&log, &sink);
    until("every record after the restart", || {
        sink.distinct() == everything_in(&log)
    })
    .await;
    let rewritten: usize = sink.written.lock().unwrap().len() - written_before;
    let expected_rereads: usize = (0..2)
        .map(|p| (log.end_offset(&tp(p)) - committed_at_crash[&p]) as usize)
        .sum();
    assert!(
        rewritten >= expected_rereads,
        "read again from the commit: {rewritten} writes, {expected_rereads} records after the commits"
    );

    // A graceful stop commits everything that was written.
    second.stop.send(()).unwrap();
    let summary = second.task.await.unwrap();
    assert!(summary.closed_cleanly);
    assert_eq!(summary.records as usize, expected_rereads);
    for p in 0..2 {
        assert_eq!(
            log.committed(&tp(p)),
            Some(log.end_offset(&tp(p))),
            "partition {p} committed to its end"
        );
    }
    assert_eq!(sink.distinct(), everything_in(&log));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_retried_across_a_swap_is_written_by_the_version_that_ran_it() {
    let log = MemoryLog::new();
    let sink = Recorder::default();
    append(&log, 100);
    let modules = Arc::new(Registry::new(echo("1")));

    // Version 1 runs the first batches; their writes fail, and version 2 goes live meanwhile.
    sink.failing.store(true, Ordering::SeqCst);
    let running = start_with(&log, &sink, Arc::clone(&modules));
    until("failed write attempts", || {
        sink.failures.load(Ordering::SeqCst) >= 3
    })
    .await;
    modules.swap(Arc::new(echo("2")));
    sink.failing.store(false, Ordering::SeqCst);
    until("every record", || sink.distinct() == everything_in(&log)).await;

    // The retried batches' records were written by version 1, the later ones by version 2.
    let lineage = sink.lineage.lock().unwrap().clone();
    let refused = sink.refused.lock().unwrap().clone();
    assert!(!refused.is_empty());
    for record in &refused {
        assert_eq!(lineage[record], "echo@1#000000000000", "{record:?}");
    }
    let by_v2 = lineage
        .values()
        .filter(|l| *l == "echo@2#000000000000")
        .count();
    assert!(by_v2 > 0, "batches after the swap run version 2");
    running.stop.send(()).unwrap();
    assert!(running.task.await.unwrap().closed_cleanly);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_failure_waits_for_a_new_version_instead_of_retrying_and_names_its_partitions()
{
    let log = MemoryLog::new();
    let sink = Recorder::default();
    append(&log, 100);
    let modules = Arc::new(Registry::new(echo("1")));

    // The table refuses every write: each batch in flight tries once, then waits (the policy
    // here waits an hour), where a transient failure would have been retried every 10-40 ms.
    sink.failing.store(true, Ordering::SeqCst);
    sink.refusing.store(true, Ordering::SeqCst);
    let running = start_with(&log, &sink, Arc::clone(&modules));
    until("every batch in flight tried once", || {
        sink.failures.load(Ordering::SeqCst) >= 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sink.failures.load(Ordering::SeqCst),
        3,
        "no retry in a loop"
    );

    // Past the stall threshold, /healthz names the partitions that cannot make progress.
    let report = running.health.report();
    assert!(!report.healthy);
    assert_eq!(report.stalled, vec!["sensors/0", "sensors/1"]);

    // A new module version goes live: the waiting batches are tried again at once and, the
    // table fixed, written; health comes back.
    sink.failing.store(false, Ordering::SeqCst);
    modules.swap(Arc::new(echo("2")));
    until("every record", || sink.distinct() == everything_in(&log)).await;
    until("health", || running.health.report().healthy).await;
    assert!(running.health.report().stalled.is_empty());
    running.stop.send(()).unwrap();
    assert!(running.task.await.unwrap().closed_cleanly);
}
