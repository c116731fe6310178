//! Service mode against librdkafka's in-process mock cluster, for the faults a real local
//! broker cannot stage: request errors on commit, a coordinator that moves, and a sink that
//! fails while partitions are revoked. The sink is an in-memory double that can be told to
//! fail; everything else (consumer, batching, module, offsets) is the real thing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::{MockCluster, MockCoordinator};
use rdkafka::producer::DefaultProducerContext;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rdkafka::{Offset, TopicPartitionList};
use swapstream_aws::dynamodb::DynamoDbDeadLetters;
use swapstream_core::item::{Item, Value};
use swapstream_core::pipeline::{Pipeline, PipelineSettings};
use swapstream_core::registry::Registry;
use swapstream_core::retry::{Backoff, RetryPolicy};
use swapstream_core::sink::{ItemSink, SinkError, WriteStats};
use swapstream_core::source::Source;
use swapstream_core::store::ModuleBytes;
use swapstream_core::worker::{BatchLimits, Health, RunSummary, ServiceSettings, Worker};
use swapstream_engine::{Engine, EngineConfig, WasmModule};
use swapstream_kafka::{ClientHooks, KafkaConnection, KafkaSource, SecurityConfig};

const TOPIC: &str = "readings";
const PARTITIONS: i32 = 3;
const DEVICES: i64 = 9;

/// What the memory sink holds: (device, window_start) → (window_stop, reading_count), as
/// DynamoDB would (a rewrite of a key replaces it).
#[derive(Default)]
struct Memory {
    items: Mutex<HashMap<(i64, String), (String, i64)>>,
    failing: AtomicBool,
    failed_attempts: AtomicUsize,
    keys_tried_while_failing: Mutex<BTreeSet<(i64, String)>>,
}

#[derive(Clone, Default)]
struct MemorySink(Arc<Memory>);

fn attribute<'a>(item: &'a Item, name: &str) -> &'a str {
    item.attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| match &a.value {
            Value::S(s) | Value::N(s) => s.as_str(),
            other => panic!("{name}: {other:?}"),
        })
        .unwrap_or_else(|| panic!("no {name}"))
}

impl ItemSink for MemorySink {
    async fn write(&self, items: Vec<Item>) -> Result<WriteStats, SinkError> {
        let keys: Vec<((i64, String), (String, i64))> = items
            .iter()
            .map(|i| {
                (
                    (
                        attribute(i, "device_id").parse().unwrap(),
                        attribute(i, "window_start").to_owned(),
                    ),
                    (
                        attribute(i, "window_stop").to_owned(),
                        attribute(i, "reading_count").parse().unwrap(),
                    ),
                )
            })
            .collect();
        if self.0.failing.load(Ordering::SeqCst) {
            self.0.failed_attempts.fetch_add(1, Ordering::SeqCst);
            self.0
                .keys_tried_while_failing
                .lock()
                .unwrap()
                .extend(keys.into_iter().map(|(k, _)| k));
            return Err(SinkError::GaveUp {
                table: "memory".into(),
                attempts: 1,
                pending: items.len(),
                last_error: "the test says no".into(),
            });
        }
        let written = keys.len();
        self.0.items.lock().unwrap().extend(keys);
        Ok(WriteStats {
            written,
            ..WriteStats::default()
        })
    }
}

impl MemorySink {
    fn failing(self, failing: bool) -> Self {
        self.0.failing.store(failing, Ordering::SeqCst);
        self
    }

    fn set_failing(&self, failing: bool) {
        self.0.failing.store(failing, Ordering::SeqCst);
    }

    /// Readings written, per partition (device d lives in partition (d-1) mod 3).
    fn written_per_partition(&self) -> BTreeMap<i32, i64> {
        let mut out = BTreeMap::new();
        for ((device, _), (_, count)) in self.0.items.lock().unwrap().iter() {
            *out.entry(((device - 1) % i64::from(PARTITIONS)) as i32)
                .or_insert(0) += count;
        }
        out
    }

    fn written(&self) -> i64 {
        self.written_per_partition().values().sum()
    }

    /// How many of readings `0..count` lie in the window of an item of their device.
    fn covered(&self, count: usize) -> usize {
        let items = self.0.items.lock().unwrap();
        (0..count)
            .filter(|i| {
                let device = (*i as i64 % DEVICES) + 1;
                let ts = timestamp(*i);
                items.iter().any(|((d, start), (stop, _))| {
                    *d == device && start.as_str() <= ts.as_str() && ts.as_str() <= stop.as_str()
                })
            })
            .count()
    }
}

fn timestamp(i: usize) -> String {
    format!("2026-11-25T12:00:00.{i:06}")
}

/// A mock cluster with the topic, and `per_partition` readings produced to each partition.
fn cluster(brokers: i32, per_partition: usize) -> MockCluster<'static, DefaultProducerContext> {
    let mock = MockCluster::new(brokers).unwrap();
    mock.create_topic(TOPIC, PARTITIONS, 1).unwrap();
    produce(
        &mock.bootstrap_servers(),
        0,
        per_partition * PARTITIONS as usize,
    );
    mock
}

/// Readings `from..from+count`: device d = i mod 9 + 1, in partition (d-1) mod 3.
fn produce(bootstrap: &str, from: usize, count: usize) {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    for i in from..from + count {
        let device = (i as i64 % DEVICES) + 1;
        let value = format!(
            r#"{{"device_id": {device}, "timestamp": "{}", "temperature": {}}}"#,
            timestamp(i),
            20 + i % 7
        );
        let key = device.to_string();
        let partition = ((device - 1) % i64::from(PARTITIONS)) as i32;
        producer
            .send(
                BaseRecord::to(TOPIC)
                    .key(&key)
                    .payload(&value)
                    .partition(partition),
            )
            .unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

fn committed(bootstrap: &str, group: &str) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        list.add_partition(TOPIC, p);
    }
    let Ok(list) = consumer.committed_offsets(list, Duration::from_secs(5)) else {
        return BTreeMap::new();
    };
    list.elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect()
}

fn settings() -> ServiceSettings {
    ServiceSettings {
        limits: BatchLimits {
            max_records: 100,
            max_bytes: 1 << 20,
            max_wait: Duration::from_millis(100),
        },
        max_in_flight: 4,
        retry: RetryPolicy {
            backoff: Backoff {
                max_attempts: u32::MAX,
                base: Duration::from_millis(50),
                max: Duration::from_millis(200),
            },
            ..RetryPolicy::default()
        },
        shutdown_timeout: Duration::from_secs(3),
        ..ServiceSettings::default()
    }
}

fn registry() -> Arc<Registry<WasmModule>> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SWAPSTREAM_TEST_LOG")
                .unwrap_or_else(|_| "off".into()),
        )
        .with_test_writer()
        .try_init();
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    let engine = ENGINE.get_or_init(|| {
        Engine::new(EngineConfig {
            cache_dir: None,
            ..EngineConfig::default()
        })
        .unwrap()
    });
    let module = engine
        .load(
            &ModuleBytes::new(swapstream::builtin::bytes("average").unwrap()),
            "builtin:average",
        )
        .unwrap();
    Arc::new(Registry::new(module))
}

/// A service in `group` on the mock cluster, writing to `sink`.
fn service(
    bootstrap: &str,
    group: &str,
    sink: MemorySink,
) -> (
    Worker<KafkaSource, WasmModule, MemorySink, Option<DynamoDbDeadLetters>>,
    Arc<Health>,
) {
    let connection = KafkaConnection {
        brokers: vec![bootstrap.to_owned()],
        security: SecurityConfig::Plaintext,
        options: vec![
            ("session.timeout.ms".into(), "6000".into()),
            ("heartbeat.interval.ms".into(), "500".into()),
            ("auto.commit.interval.ms".into(), "500".into()),
        ],
    };
    let source = KafkaSource::subscribe(
        &connection,
        group,
        &[TOPIC.to_owned()],
        4096,
        ClientHooks::default(),
    )
    .unwrap();
    let health = Arc::new(Health::new(source.status()));
    let pipeline = Pipeline::new(registry(), sink, None, PipelineSettings::default());
    (
        Worker::new(pipeline, source, health.clone(), settings()),
        health,
    )
}

async fn until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let started = Instant::now();
    while !f() {
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ends(per_partition: i64) -> BTreeMap<i32, i64> {
    (0..PARTITIONS).map(|p| (p, per_partition)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sink_outage_stops_consumption_and_commits_nothing_unwritten_until_it_recovers() {
    let mock = cluster(1, 1_000);
    let bootstrap = mock.bootstrap_servers();
    let sink = MemorySink::default().failing(true);
    let (service, health) = service(&bootstrap, "outage", sink.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = service.run(async {
        let _ = stopped.await;
    });
    let check = async {
        until("failed attempts", Duration::from_secs(30), || {
            sink.0.failed_attempts.load(Ordering::SeqCst) >= 5
        })
        .await;
        let report = health.report();
        assert!(!report.healthy);
        let reason = report.failing.unwrap_or_default();
        assert!(
            reason.starts_with("items not written: gave up writing to memory after 1 attempts"),
            "{reason}"
        );
        // Auto-commit runs every 500 ms; nothing is written, so nothing may be committed.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(committed(&bootstrap, "outage"), BTreeMap::new());
        // Paused: only the batches already in flight (at most 4, of at most 9 devices each)
        // were tried, not the 3,000 records available.
        let tried = sink.0.keys_tried_while_failing.lock().unwrap().len();
        assert!(tried <= 4 * 9, "{tried} keys tried while failing");
        assert_eq!(sink.written(), 0);

        sink.set_failing(false);
        until("every reading written", Duration::from_secs(60), || {
            sink.written() == 3_000
        })
        .await;
        until("healthy again", Duration::from_secs(10), || {
            health.report().healthy
        })
        .await;
        let _ = stop.send(());
    };
    let (summary, ()) = tokio::join!(run, check);
    let summary: RunSummary = summary.unwrap();
    assert_eq!(summary.records, 3_000);
    assert!(summary.closed_cleanly);
    assert_eq!(sink.written_per_partition(), ends(1_000));
    assert_eq!(committed(&bootstrap, "outage"), ends(1_000));
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_while_the_sink_fails_ends_in_time_and_commits_nothing() {
    let mock = cluster(1, 300);
    let bootstrap = mock.bootstrap_servers();
    let sink = MemorySink::default().failing(true);
    let (service, _health) = service(&bootstrap, "stuck", sink.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = service.run(async {
        let _ = stopped.await;
    });
    let check = async {
        until("failed attempts", Duration::from_secs(30), || {
            sink.0.failed_attempts.load(Ordering::SeqCst) >= 3
        })
        .await;
        let _ = stop.send(());
        Instant::now()
    };
    let (summary, stop_sent) = tokio::join!(run, check);
    let took = stop_sent.elapsed();
    let summary = summary.unwrap();
    // The shutdown timeout (3 s) plus the close (at most 5 s).
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(summary.abandoned >= 1, "{summary:?}");
    assert_eq!(summary.batches, 0);
    assert_eq!(committed(&bootstrap, "stuck"), BTreeMap::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn offset_commit_errors_are_retried_until_the_group_is_at_the_end_offsets() {
    let mock = cluster(1, 500);
    let bootstrap = mock.bootstrap_servers();
    // Every commit for a while fails, with errors of the kinds a broker sends under stress.
    let errors: Vec<RDKafkaRespErr> = [
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
    ]
    .into_iter()
    .cycle()
    .take(20)
    .collect();
    mock.request_errors(RDKafkaApiKey::OffsetCommit, &errors);
    let sink = MemorySink::default();
    let (service, _health) = service(&bootstrap, "commit-errors", sink.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = service.run(async {
        let _ = stopped.await;
    });
    let check = async {
        until("every reading written", Duration::from_secs(60), || {
            sink.written() == 1_500
        })
        .await;
        until(
            "the commits to get through",
            Duration::from_secs(60),
            || committed(&bootstrap, "commit-errors") == ends(500),
        )
        .await;
        let _ = stop.send(());
    };
    let (summary, ()) = tokio::join!(run, check);
    // Nothing missing. Read twice is allowed: while the coordinator is unreachable the
    // session can expire, and the group then hands the partitions out again from the last
    // commit that got through (at-least-once, as with a real broker).
    let records = summary.unwrap().records;
    assert!((1_500..=3_000).contains(&records), "{records} records");
    assert_eq!(sink.covered(1_500), 1_500);
    assert_eq!(committed(&bootstrap, "commit-errors"), ends(500));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_coordinator_that_moves_mid_run_loses_nothing() {
    let mock = cluster(3, 400);
    let bootstrap = mock.bootstrap_servers();
    mock.coordinator(MockCoordinator::Group("moving".into()), 1)
        .unwrap();
    let sink = MemorySink::default();
    let (service, _health) = service(&bootstrap, "moving", sink.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let run = service.run(async {
        let _ = stopped.await;
    });
    let check = async {
        until("the first readings", Duration::from_secs(60), || {
            sink.written() == 1_200
        })
        .await;
        until("a commit", Duration::from_secs(30), || {
            committed(&bootstrap, "moving") == ends(400)
        })
        .await;
        mock.coordinator(MockCoordinator::Group("moving".into()), 2)
            .unwrap();
        produce(&bootstrap, 3_600, 1_800);
        until(
            "the readings after the move",
            Duration::from_secs(60),
            || sink.written() == 3_000,
        )
        .await;
        mock.coordinator(MockCoordinator::Group("moving".into()), 3)
            .unwrap();
        let _ = stop.send(());
    };
    let (summary, ()) = tokio::join!(run, check);
    assert_eq!(summary.unwrap().records, 3_000);
    assert_eq!(sink.written_per_partition(), ends(1_000));
    assert_eq!(committed(&bootstrap, "moving"), ends(1_000));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_partition_is_never_committed_unwritten_and_its_next_owner_writes_it() {
    let mock = cluster(1, 600);
    let bootstrap = mock.bootstrap_servers();
    // A cannot write at all; B can.
    let broken = MemorySink::default().failing(true);
    let working = MemorySink::default();
    let (a, a_health) = service(&bootstrap, "handover", broken.clone());
    let (stop_a, a_stopped) = tokio::sync::oneshot::channel::<()>();
    let (stop_b, b_stopped) = tokio::sync::oneshot::channel::<()>();
    let run_a = a.run(async {
        let _ = a_stopped.await;
    });
    let run_b = async {
        until("A to fail", Duration::from_secs(30), || {
            broken.0.failed_attempts.load(Ordering::SeqCst) >= 2
        })
        .await;
        let (b, _) = service(&bootstrap, "handover", working.clone());
        b.run(async {
            let _ = b_stopped.await;
        })
        .await
    };
    let check = async {
        // B joins, the partitions are split: B writes its share while A still fails.
        until("B to write a share", Duration::from_secs(60), || {
            working.written() > 0
        })
        .await;
        assert!(!a_health.report().healthy);
        // A leaves: B gets everything.
        let _ = stop_a.send(());
        until("B to write everything", Duration::from_secs(60), || {
            working.covered(1_800) == 1_800
        })
        .await;
        until("the commits", Duration::from_secs(30), || {
            committed(&bootstrap, "handover") == ends(600)
        })
        .await;
        let _ = stop_b.send(());
    };
    let (a_summary, b_summary, ()) = tokio::join!(run_a, run_b, check);
    assert_eq!(a_summary.unwrap().batches, 0);
    assert_eq!(broken.written(), 0);
    // A committed nothing, so B read every record. A commit that a rebalance refuses
    // (the mock refuses commits while A leaves) can make B read some twice: at least once.
    assert!(b_summary.unwrap().records >= 1_800);
    assert_eq!(working.covered(1_800), 1_800);
    assert_eq!(committed(&bootstrap, "handover"), ends(600));
}
