//! The load generator behind `swapstream produce`, modelled on the reference producer.
//!
//! Each device (ids 1..=N) has an integer temperature that starts uniformly in 25–35 and then
//! walks by −1, 0 or +1 per reading. Devices take turns; each record is the JSON the reference
//! producer writes (`{"device_id": 3, "timestamp": "2026-11-25T12:00:00.123456",
//! "temperature": 31}`, local time with microseconds), keyed by the device id.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientConfig, Message};

use crate::connection::{ClientRole, KafkaConnection, client_config};
use crate::hooks::{ClientHooks, HooksContext};

/// What to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceSettings {
    /// Topic to write to.
    pub topic: String,
    /// Number of devices (ids 1 to N).
    pub devices: u32,
    /// Records per second over all devices; 0 writes as fast as the broker takes them.
    pub rate: u32,
    /// Records to write, then stop; `None` until stopped.
    pub count: Option<u64>,
    /// Device d goes to partition (d - 1) mod P; `None`: the key picks the partition.
    pub partitions: Option<u32>,
    /// Seed of the random walks.
    pub seed: u64,
}

/// Why producing failed.
#[derive(Debug, thiserror::Error)]
pub enum ProduceError {
    /// The producer could not be created (bad settings): nothing was sent.
    #[error("cannot create the Kafka producer: {0}")]
    Create(#[source] KafkaError),
    /// A record could not be queued for sending.
    #[error("cannot produce to {topic}: {error}")]
    Send {
        /// The topic.
        topic: String,
        /// Why.
        #[source]
        error: KafkaError,
    },
    /// Records were still undelivered when the final flush gave up.
    #[error("{pending} records still undelivered: {error}")]
    Undelivered {
        /// How many.
        pending: u64,
        /// The flush's error.
        #[source]
        error: KafkaError,
    },
    /// The broker refused records.
    #[error("{failed} records were not delivered (first error: {first})")]
    Failed {
        /// How many.
        failed: u64,
        /// The first delivery error.
        first: String,
    },
    /// The flushing thread died.
    #[error("internal error flushing the producer: {0}")]
    Internal(String),
}

/// Reference-like readings, device after device.
#[derive(Debug)]
pub struct Readings {
    rng: StdRng,
    temperatures: Vec<i64>,
    next: usize,
}

/// One reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Device id, from 1.
    pub device_id: u32,
    /// Temperature.
    pub temperature: i64,
}

impl Readings {
    /// Readings for `devices` devices.
    pub fn new(devices: u32, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let temperatures = (0..devices.max(1))
            .map(|_| rng.random_range(25..=35))
            .collect();
        Self {
            rng,
            temperatures,
            next: 0,
        }
    }

    /// The next device's next reading.
    pub fn next_reading(&mut self) -> Reading {
        let index = self.next;
        self.next = (self.next + 1) % self.temperatures.len();
        let t = &mut self.temperatures[index];
        let reading = Reading {
            device_id: index as u32 + 1,
            temperature: *t,
        };
        *t += self.rng.random_range(-1..=1);
        reading
    }
}

impl Reading {
    /// The record value, formatted as Python's `json.dumps` does for the reference producer.
    pub fn to_json(&self, timestamp: &str) -> String {
        format!(
            r#"{{"device_id": {}, "timestamp": "{timestamp}", "temperature": {}}}"#,
            self.device_id, self.temperature
        )
    }
}

/// Now in local time, ISO-8601 with microseconds, like Python's `datetime.now().isoformat()`.
pub fn local_timestamp() -> String {
    chrono::Local::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

/// Counts deliveries.
#[derive(Debug, Default)]
struct Deliveries {
    delivered: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
    end_offsets: Mutex<BTreeMap<i32, i64>>,
}

struct ProduceContext {
    hooks: HooksContext,
    deliveries: Arc<Deliveries>,
}

impl ClientContext for ProduceContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.hooks.log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.hooks.error(error, reason);
    }

    fn generate_oauth_token(
        &self,
        config: Option<&str>,
    ) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        self.hooks.generate_oauth_token(config)
    }
}

impl ProducerContext for ProduceContext {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(m) => {
                self.deliveries.delivered.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut ends) = self.deliveries.end_offsets.lock() {
                    let end = ends.entry(m.partition()).or_insert(0);
                    *end = (*end).max(m.offset() + 1);
                }
            }
            Err((e, _)) => {
                self.deliveries.failed.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut first) = self.deliveries.first_error.lock() {
                    first.get_or_insert_with(|| e.to_string());
                }
            }
        }
    }
}

/// Produces until `count` records are delivered or `stop` resolves; progress on stderr. Fails
/// if any record was not delivered.
pub async fn produce(
    connection: &KafkaConnection,
    hooks: ClientHooks,
    args: &ProduceSettings,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ProduceError> {
    let config: ClientConfig = client_config(connection, &ClientRole::Producer);
    let deliveries = Arc::new(Deliveries::default());
    let producer: ThreadedProducer<ProduceContext> = config
        .create_with_context(ProduceContext {
            hooks: HooksContext(hooks),
            deliveries: deliveries.clone(),
        })
        .map_err(ProduceError::Create)?;

    let stopped = Arc::new(AtomicBool::new(false));
    tokio::spawn({
        let stopped = stopped.clone();
        async move {
            stop.await;
            stopped.store(true, Ordering::Relaxed);
        }
    });
    let stop = stopped;

    let seed = args.seed;
    let mut readings = Readings::new(args.devices, seed);
    let mut progress = Progress::new(args.count);
    let started = Instant::now();
    let mut sent: u64 = 0;
    tracing::info!(topic = %args.topic, devices = args.devices, rate = args.rate, count = ?args.count, partitions = ?args.partitions, seed, "producing");
    while args.count.is_none_or(|c| sent < c) && !stop.load(Ordering::Relaxed) {
        if args.rate > 0 {
            // Paced from the start, so the average rate holds even if a send was slow.
            let due = started + Duration::from_secs_f64(sent as f64 / f64::from(args.rate));
            tokio::time::sleep_until(due.into()).await;
        }
        let reading = readings.next_reading();
        let value = reading.to_json(&local_timestamp());
        let key = reading.device_id.to_string();
        let mut record = BaseRecord::to(&args.topic).key(&key).payload(&value);
        if let Some(p) = args.partitions {
            record = record.partition(((reading.device_id - 1) % p) as i32);
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    // The local queue is full: wait for deliveries to make room.
                    record = back;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                Err((error, _)) => {
                    return Err(ProduceError::Send {
                        topic: args.topic.clone(),
                        error,
                    });
                }
            }
        }
        sent += 1;
        progress.tick(sent, &deliveries, false);
        if args.rate == 0 && sent.is_multiple_of(4096) {
            // Lets the signal task and the timers run during a burst.
            tokio::task::yield_now().await;
        }
    }
    let flushed = tokio::task::spawn_blocking(move || {
        let result = producer.flush(Duration::from_secs(30));
        drop(producer);
        result
    })
    .await
    .map_err(|e| ProduceError::Internal(e.to_string()))?;
    progress.tick(sent, &deliveries, true);
    let failed = deliveries.failed.load(Ordering::Relaxed);
    let delivered = deliveries.delivered.load(Ordering::Relaxed);
    let ends = deliveries
        .end_offsets
        .lock()
        .map(|e| e.clone())
        .unwrap_or_default();
    let ends: Vec<String> = ends.iter().map(|(p, o)| format!("{p}:{o}")).collect();
    eprintln!(
        "produced {delivered} records to {} in {:.1}s; end offsets (partition:offset) {}",
        args.topic,
        started.elapsed().as_secs_f64(),
        ends.join(" ")
    );
    if let Err(error) = flushed {
        return Err(ProduceError::Undelivered {
            pending: sent.saturating_sub(delivered + failed),
            error,
        });
    }
    if failed > 0 {
        let first = deliveries
            .first_error
            .lock()
            .ok()
            .and_then(|f| f.clone())
            .unwrap_or_default();
        return Err(ProduceError::Failed { failed, first });
    }
    Ok(())
}

/// The progress line on stderr: rewritten in place on a terminal, one line every 5 s otherwise.
struct Progress {
    count: Option<u64>,
    tty: bool,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new(count: Option<u64>) -> Self {
        let now = Instant::now();
        Self {
            count,
            tty: std::io::stderr().is_terminal(),
            started: now,
            last: now,
        }
    }

    fn tick(&mut self, sent: u64, deliveries: &Deliveries, last: bool) {
        let every = if self.tty {
            Duration::from_millis(250)
        } else {
            Duration::from_secs(5)
        };
        if !last && self.last.elapsed() < every {
            return;
        }
        self.last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let of = self.count.map(|c| format!("/{c}")).unwrap_or_default();
        let line = format!(
            "sent {sent}{of} records ({:.0}/s), delivered {}, failed {}",
            sent as f64 / secs,
            deliveries.delivered.load(Ordering::Relaxed),
            deliveries.failed.load(Ordering::Relaxed)
        );
        if self.tty {
            eprint!("\r{line}\x1b[K");
            if last {
                eprintln!();
            }
        } else {
            eprintln!("{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn devices_take_turns_and_walk_by_at_most_one_degree() {
        let mut r = Readings::new(3, 7);
        let readings: Vec<Reading> = (0..300).map(|_| r.next_reading()).collect();
        for (i, reading) in readings.iter().enumerate() {
            assert_eq!(reading.device_id as usize, i % 3 + 1);
        }
        for device in 1..=3 {
            let temps: Vec<i64> = readings
                .iter()
                .filter(|r| r.device_id == device)
                .map(|r| r.temperature)
                .collect();
            assert!((25..=35).contains(&temps[0]), "{temps:?}");
            assert!(temps.windows(2).all(|w| (w[1] - w[0]).abs() <= 1));
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_readings() {
        let take = |seed| {
            let mut r = Readings::new(5, seed);
            (0..50).map(|_| r.next_reading()).collect::<Vec<_>>()
        };
        assert_eq!(take(1), take(1));
        assert_ne!(take(1), take(2));
    }

    #[test]
    fn values_are_the_reference_producers_json() {
        let r = Reading {
            device_id: 3,
            temperature: 31,
        };
        assert_eq!(
            r.to_json("2026-11-25T12:00:00.123456"),
            r#"{"device_id": 3, "timestamp": "2026-11-25T12:00:00.123456", "temperature": 31}"#
        );
        let ts = local_timestamp();
        assert_eq!(ts.len(), 26, "{ts}");
        assert_eq!(&ts[10..11], "T");
        assert_eq!(&ts[19..20], ".");
    }
}
