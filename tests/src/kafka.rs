//! Tansu, a Kafka-API broker, on a free loopback port; topics; a producer that reports where
//! each record landed; and a group's committed offsets.
//!
//! Tansu's memory storage under-reports the high watermark after batched produce, so the
//! tests take end offsets from the producer's delivery reports, never from ListOffsets.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Message, Offset, TopicPartitionList};

use crate::process::Running;
use crate::{LOOPBACK, free_port, stack_home, wait_for_port};

/// Where Tansu keeps its data.
enum Storage {
    /// In memory: lost when the broker stops.
    Memory,
    /// In an S3 bucket on a local S3 server (moto): survives a broker restart.
    S3 { server: Running, port: u16 },
}

/// A Tansu broker on a free loopback port.
pub struct Tansu {
    port: u16,
    process: Running,
    storage: Storage,
    logs: tempfile::TempDir,
}

/// Consumer settings every test client uses: group joins take ~23 s on Tansu with the
/// librdkafka defaults, ~3 s with a 6 s session timeout.
pub const FAST_GROUP_OPTIONS: &[(&str, &str)] = &[("session.timeout.ms", "6000")];

impl Tansu {
    /// Starts Tansu with memory storage and waits until it answers.
    pub fn start() -> Self {
        let logs = tempfile::tempdir().unwrap();
        let port = free_port();
        let process = spawn_tansu(port, "memory://tansu/", None, logs.path(), 0);
        let tansu = Self {
            port,
            process,
            storage: Storage::Memory,
            logs,
        };
        tansu.wait_ready();
        tansu
    }

    /// Starts Tansu with its data in a bucket of a local S3 server (moto), so that the broker
    /// can be stopped and restarted without losing topics, records or committed offsets.
    pub fn start_persistent() -> Self {
        let logs = tempfile::tempdir().unwrap();
        let s3_port = free_port();
        let mut moto = Command::new(stack_home().join("venv/bin/moto_server"));
        moto.args(["-H", LOOPBACK, "-p"]).arg(s3_port.to_string());
        let server = Running::spawn("moto_server", moto, &logs.path().join("moto.log"));
        wait_for_port(s3_port, "moto_server", Duration::from_secs(60));
        create_bucket(s3_port, "tansu");
        let port = free_port();
        let process = spawn_tansu(port, "s3://tansu/", Some(s3_port), logs.path(), 0);
        let tansu = Self {
            port,
            process,
            storage: Storage::S3 {
                server,
                port: s3_port,
            },
            logs,
        };
        tansu.wait_ready();
        tansu
    }

    /// `127.0.0.1:<port>`, for `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        format!("{LOOPBACK}:{}", self.port)
    }

    fn url(&self) -> String {
        format!("tcp://{LOOPBACK}:{}", self.port)
    }

    fn wait_ready(&self) {
        wait_for_port(self.port, "tansu", Duration::from_secs(60));
        let client: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap())
            .create()
            .unwrap();
        let started = Instant::now();
        while client.fetch_metadata(None, Duration::from_secs(2)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "tansu did not answer metadata requests: {}",
                self.process.output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Creates a topic (Tansu does not create topics on first use).
    pub fn create_topic(&self, name: &str, partitions: i32) {
        let out = Command::new("tansu")
            .args(["topic", "create", "--broker", &self.url(), "--partitions"])
            .arg(partitions.to_string())
            .arg(name)
            .output()
            .expect("tansu runs");
        assert!(
            out.status.success(),
            "creating topic {name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Kills the broker (SIGKILL), as in an outage.
    pub fn stop(&mut self) {
        self.process.kill();
    }

    /// Starts the broker again on the same port (with persistent storage, with its data).
    pub fn restart(&mut self) {
        self.process.kill();
        let (storage, s3) = match &self.storage {
            Storage::Memory => ("memory://tansu/", None),
            Storage::S3 { port, .. } => ("s3://tansu/", Some(*port)),
        };
        static RESTARTS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let n = RESTARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.process = spawn_tansu(self.port, storage, s3, self.logs.path(), n);
        self.wait_ready();
    }

    /// The broker's process id (for the benchmark's CPU accounting).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The broker's log so far.
    pub fn log(&self) -> String {
        self.process.output()
    }

    /// Whether the S3 server is running (persistent storage only).
    pub fn has_persistent_storage(&mut self) -> bool {
        match &mut self.storage {
            Storage::Memory => false,
            Storage::S3 { server, .. } => server.is_running(),
        }
    }
}

fn spawn_tansu(port: u16, storage: &str, s3: Option<u16>, logs: &Path, n: u32) -> Running {
    let url = format!("tcp://{LOOPBACK}:{port}");
    let mut cmd = Command::new("tansu");
    cmd.args([
        "broker",
        "--listener-url",
        &url,
        "--advertised-listener-url",
        &url,
        "--storage-engine",
        storage,
    ]);
    if let Some(s3) = s3 {
        // object_store's S3 client reads these.
        cmd.env("AWS_ENDPOINT", format!("http://{LOOPBACK}:{s3}"))
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_REGION", "us-east-1");
    }
    Running::spawn("tansu", cmd, &logs.join(format!("tansu-{port}-{n}.log")))
}

/// `PUT /bucket` on the local S3 server (moto accepts unsigned requests).
fn create_bucket(port: u16, bucket: &str) {
    let mut stream = TcpStream::connect((LOOPBACK, port)).unwrap();
    write!(
        stream,
        "PUT /{bucket} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

/// A record to produce.
#[derive(Debug, Clone)]
pub struct OutRecord {
    /// Partition, or `None` to let the key pick it.
    pub partition: Option<i32>,
    /// Key.
    pub key: Vec<u8>,
    /// Value.
    pub value: Vec<u8>,
}

/// Where produced records landed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    /// `(partition, offset)` of each record, in the order given.
    pub coordinates: Vec<(i32, i64)>,
    /// Per partition, one past the last offset written (the committed offset a consumer that
    /// read everything ends at).
    pub end_offsets: BTreeMap<i32, i64>,
}

#[derive(Default)]
struct Reports {
    coordinates: Mutex<Vec<Option<(i32, i64)>>>,
    errors: Mutex<Vec<String>>,
}

struct ReportingContext(Arc<Reports>);

impl ClientContext for ReportingContext {}

impl ProducerContext for ReportingContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, index: usize) {
        match result {
            Ok(m) => {
                if let Some(slot) = self.0.coordinates.lock().unwrap().get_mut(index) {
                    *slot = Some((m.partition(), m.offset()));
                }
            }
            Err((e, _)) => self.0.errors.lock().unwrap().push(e.to_string()),
        }
    }
}

/// Produces `records` to `topic`, one record per batch, and waits for every delivery report;
/// panics if any failed.
///
/// One record per batch because Tansu 0.6.0 answers a fetch that starts inside a stored batch
/// with the batches after it, skipping the rest of that one: a consumer resuming from a
/// committed offset mid-batch (after a restart, a rebalance, a pause) would miss records.
/// With one record per batch every offset is a batch start. (Kafka returns the whole batch
/// and librdkafka skips the records before the offset asked for.)
pub fn produce(bootstrap: &str, topic: &str, records: &[OutRecord]) -> Delivered {
    produce_with(
        bootstrap,
        topic,
        records,
        &[("batch.num.messages", "1"), ("linger.ms", "0")],
    )
}

/// Like [`produce`] but in ordinary batches (much faster), for tests in which no consumer
/// ever resumes mid-partition.
pub fn produce_batched(bootstrap: &str, topic: &str, records: &[OutRecord]) -> Delivered {
    produce_with(bootstrap, topic, records, &[("linger.ms", "5")])
}

fn produce_with(
    bootstrap: &str,
    topic: &str,
    records: &[OutRecord],
    options: &[(&str, &str)],
) -> Delivered {
    let reports = Arc::new(Reports {
        coordinates: Mutex::new(vec![None; records.len()]),
        errors: Mutex::new(Vec::new()),
    });
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap);
    for (k, v) in options {
        config.set(*k, *v);
    }
    let producer: ThreadedProducer<ReportingContext> = config
        .create_with_context(ReportingContext(reports.clone()))
        .unwrap();
    for (index, r) in records.iter().enumerate() {
        let mut record = BaseRecord::with_opaque_to(topic, index)
            .key(&r.key)
            .payload(&r.value);
        if let Some(p) = r.partition {
            record = record.partition(p);
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull),
                    back,
                )) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, _)) => panic!("producing to {topic}: {e}"),
            }
        }
    }
    producer.flush(Duration::from_secs(300)).unwrap();
    let errors = reports.errors.lock().unwrap().clone();
    assert!(errors.is_empty(), "deliveries failed: {errors:?}");
    let coordinates: Vec<(i32, i64)> = reports
        .coordinates
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.expect("every record has a delivery report"))
        .collect();
    let mut end_offsets = BTreeMap::new();
    for (p, o) in &coordinates {
        let end = end_offsets.entry(*p).or_insert(0);
        *end = (*end).max(o + 1);
    }
    Delivered {
        coordinates,
        end_offsets,
    }
}

/// The offsets `group` has committed for `partitions` of `topic` (partitions with no commit
/// are left out). Asking does not join the group.
pub fn committed(
    bootstrap: &str,
    group: &str,
    topic: &str,
    partitions: i32,
) -> Result<BTreeMap<i32, i64>, String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .map_err(|e| e.to_string())?;
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition(topic, p);
    }
    let committed = consumer
        .committed_offsets(list, Duration::from_secs(10))
        .map_err(|e| e.to_string())?;
    Ok(committed
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect())
}

/// Polls `f` every 100 ms until it returns `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T>(
    what: &str,
    timeout: Duration,
    mut f: impl AsyncFnMut() -> Option<T>,
) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            started.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
