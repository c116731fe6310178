//! Service mode: `swapstream run`, a long-running member of a Kafka consumer group.
//!
//! The core's [`Worker`] reads the Kafka source (`swapstream-kafka`), gathers records into
//! batches shaped exactly like Lambda events and runs them through the same [`Pipeline`] as
//! Lambda mode; a partition's offset is stored only after every batch holding its earlier
//! records is written. `/metrics` and `/healthz` are served on the side ([`crate::http`]);
//! SIGTERM and SIGINT stop it gracefully ([`crate::shutdown`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytesize::ByteSize;
use clap::Args;
use swapstream_core::pipeline::Pipeline;
use swapstream_core::source::Source;
use swapstream_core::worker::{BatchLimits, Health, ServiceSettings, Worker};
use swapstream_kafka::{ClientHooks, KafkaSource, MskIamTokens};

use crate::exit::Exit;
use crate::http::HttpServer;
use crate::settings::{
    ConfigError, EngineArgs, HotSwapArgs, KafkaArgs, ModuleArgs, SinkArgs, parse_duration,
    parse_size,
};
use crate::startup;

/// Most records a batch may hold (the event source mapping's limit for Kafka).
pub const MAX_BATCH_RECORDS: u32 = 10_000;

/// Settings of `swapstream run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub kafka: KafkaArgs,

    /// Topic to consume (comma-separated, or the flag repeated).
    #[arg(
        long = "topic",
        env = "SWAPSTREAM_TOPICS",
        value_delimiter = ',',
        required = true,
        value_name = "TOPIC"
    )]
    pub topics: Vec<String>,

    /// Consumer group; replicas with the same group share the partitions.
    #[arg(long, env = "SWAPSTREAM_GROUP", required = true, value_name = "GROUP")]
    pub group: String,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub batch: BatchArgs,

    /// Address for /metrics (Prometheus) and /healthz; port 0 picks a free one (logged).
    #[arg(
        long,
        env = "SWAPSTREAM_METRICS_ADDR",
        default_value = "127.0.0.1:9100",
        value_name = "ADDR"
    )]
    pub metrics_addr: SocketAddr,

    /// Batches written concurrently. Offsets are still stored strictly in order.
    #[arg(long, env = "SWAPSTREAM_MAX_IN_FLIGHT", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64), value_name = "N")]
    pub max_in_flight: u16,

    /// How long batches in flight may take to finish after SIGTERM/SIGINT before they are
    /// abandoned (and read again on the next start).
    #[arg(long, env = "SWAPSTREAM_SHUTDOWN_TIMEOUT", default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub shutdown_timeout: Duration,

    /// How long a batch may be in flight before /healthz reports its partitions as stalled
    /// (and answers 503): longer than the module budget plus the sink's retries.
    #[arg(long, env = "SWAPSTREAM_STALL_AFTER", default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub stall_after: Duration,

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

/// When a batch closes, like an event source mapping's batch size and batching window.
#[derive(Debug, Clone, Args)]
pub struct BatchArgs {
    /// Most records per batch (1 to 10,000).
    #[arg(long = "batch-max-records", env = "SWAPSTREAM_BATCH_MAX_RECORDS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_BATCH_RECORDS)), value_name = "N")]
    pub max_records: u32,

    /// Most key and value bytes per batch.
    #[arg(long = "batch-max-bytes", env = "SWAPSTREAM_BATCH_MAX_BYTES", default_value = "6MB", value_parser = parse_size, value_name = "SIZE")]
    pub max_bytes: ByteSize,

    /// Longest a batch waits for more records after its first one.
    #[arg(long = "batch-max-wait", env = "SWAPSTREAM_BATCH_MAX_WAIT", default_value = "500ms", value_parser = parse_duration, value_name = "DURATION")]
    pub max_wait: Duration,
}

impl BatchArgs {
    /// The validated limits.
    pub fn limits(&self) -> Result<BatchLimits, ConfigError> {
        if self.max_bytes < ByteSize::kib(1) || self.max_bytes > ByteSize::mib(256) {
            return Err(ConfigError::Invalid(format!(
                "--batch-max-bytes {} is out of range (1KiB to 256MiB)",
                self.max_bytes
            )));
        }
        if self.max_wait > Duration::from_secs(300) {
            return Err(ConfigError::Invalid(format!(
                "--batch-max-wait {} is too long (at most 5m, the event source mapping's limit)",
                humantime::format_duration(self.max_wait)
            )));
        }
        Ok(BatchLimits {
            max_records: self.max_records as usize,
            max_bytes: usize::try_from(self.max_bytes.as_u64()).unwrap_or(usize::MAX),
            max_wait: self.max_wait,
        })
    }
}

/// Records librdkafka may fetch ahead of the batches, in KiB: two full batches by bytes, or
/// 4 KiB per record of one batch if less (librdkafka spends a few hundred bytes on each
/// record it holds, so a byte bound meant for 6 MB batches lets a slow consumer of small
/// records hold far more than the bytes: BENCHMARKS.md, service mode); at least 4 MiB (fewer, larger fetches
/// keep up with the broker), at most librdkafka's 64 MiB default.
pub fn prefetch_kib(limits: &BatchLimits) -> u64 {
    let by_bytes = 2 * limits.max_bytes as u64 / 1024;
    let by_records = 4 * limits.max_records as u64;
    by_bytes.min(by_records).clamp(4 * 1024, 64 * 1024)
}

impl RunArgs {
    /// The validated loop settings.
    pub fn settings(&self) -> Result<ServiceSettings, ConfigError> {
        let topics: Vec<&String> = self
            .topics
            .iter()
            .filter(|t| !t.trim().is_empty())
            .collect();
        if topics.is_empty() {
            return Err(ConfigError::Missing(
                "no topic: set --topic or SWAPSTREAM_TOPICS".into(),
            ));
        }
        if self.group.trim().is_empty() {
            return Err(ConfigError::Missing(
                "no consumer group: set --group or SWAPSTREAM_GROUP".into(),
            ));
        }
        Ok(ServiceSettings {
            limits: self.batch.limits()?,
            max_in_flight: usize::from(self.max_in_flight),
            shutdown_timeout: self.shutdown_timeout,
            stall_after: self.stall_after,
            ..ServiceSettings::default()
        })
    }
}

/// Starts up (configuration, module, tables, consumer, HTTP server) and consumes until
/// SIGTERM/SIGINT.
pub async fn run(args: RunArgs) -> Result<(), Exit> {
    // Everything that can be wrong with the configuration is found before anything starts.
    let connection = args.kafka.connection()?;
    let settings = args.settings()?;
    let sink_config = args.sink.sink_config()?;
    let hooks = kafka_hooks(connection.security.needs_oauth_tokens()).await?;
    let metrics = match crate::http::install_metrics() {
        Ok(handle) => Some(handle),
        Err(e) => {
            tracing::warn!(error = %e, "metrics are not available");
            None
        }
    };

    // The module location is polled in the background; each batch takes the version live when
    // it starts, so a swap lands between batches.
    let live = startup::start_hot_swap(&args.module, &args.engine, &args.swap).await?;
    let (items, dead_letters) = startup::dynamodb_sinks(&sink_config).await?;
    let pipeline = Pipeline::new(
        live.registry(),
        items,
        dead_letters,
        sink_config.pipeline_settings(&args.module),
    );
    let topics: Vec<String> = args
        .topics
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    let source = KafkaSource::subscribe(
        &connection,
        args.group.trim(),
        &topics,
        prefetch_kib(&settings.limits),
        hooks,
    )
    .map_err(|e| Exit::Config(e.to_string()))?;
    let health = Arc::new(Health::new(source.status()));
    let server = HttpServer::bind(args.metrics_addr, health.clone(), metrics)
        .await
        .map_err(|e| Exit::Config(e.to_string()))?;
    tracing::info!(
        metrics_addr = %server.local_addr().map_or_else(|| args.metrics_addr.to_string(), |a| a.to_string()),
        brokers = %connection.brokers.join(","),
        topics = %topics.join(","),
        group = %args.group,
        table = %sink_config.table,
        dead_letter_table = ?sink_config.dead_letter_table,
        max_records = settings.limits.max_records,
        max_wait_ms = settings.limits.max_wait.as_millis() as u64,
        max_in_flight = settings.max_in_flight,
        "consuming"
    );
    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    let http = tokio::spawn(server.serve(async move {
        let _ = http_stopped.await;
    }));

    let result = Worker::new(pipeline, source, health, settings)
        .run(crate::shutdown::signal())
        .await;
    let _ = stop_http.send(());
    let _ = http.await;
    live.stop().await;
    match result {
        Ok(summary) => {
            tracing::info!(
                batches = summary.batches,
                records = summary.records,
                items = summary.items,
                rejected = summary.rejected,
                abandoned = summary.abandoned,
                "stopped"
            );
            Ok(())
        }
        Err(e) => Err(Exit::Failure(e.to_string())),
    }
}

/// The hooks every Kafka client of this host gets: with MSK IAM, a token signer from the AWS
/// credentials chain (no region or credentials: a configuration error).
pub async fn kafka_hooks(msk_iam: bool) -> Result<ClientHooks, Exit> {
    if !msk_iam {
        return Ok(ClientHooks::new(None));
    }
    let aws = aws_config::load_from_env().await;
    let tokens = MskIamTokens::new(aws, tokio::runtime::Handle::current())
        .map_err(|e| Exit::Config(e.to_string()))?;
    Ok(ClientHooks::new(Some(tokens)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    fn parse(args: &[&str]) -> Result<RunArgs, clap::Error> {
        let mut argv = vec!["run", "--brokers", "b:9092", "--group", "g"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).map(|c| c.run)
    }

    #[test]
    fn batching_defaults_mirror_the_event_source_mapping() {
        let args = parse(&["--topic", "a,b", "--topic", "c"]).unwrap();
        assert_eq!(args.topics, vec!["a", "b", "c"]);
        let s = args.settings().unwrap();
        assert_eq!(s.limits, BatchLimits::default());
        assert_eq!(s.limits.max_records, 100);
        assert_eq!(s.limits.max_bytes, 6_000_000);
        assert_eq!(s.limits.max_wait, Duration::from_millis(500));
        assert_eq!(s.max_in_flight, 4);
        assert_eq!(args.metrics_addr.to_string(), "127.0.0.1:9100");
    }

    #[test]
    fn batch_size_is_limited_to_10000_records() {
        let args = parse(&["--topic", "t", "--batch-max-records", "10000"]).unwrap();
        assert_eq!(args.settings().unwrap().limits.max_records, 10_000);
        let err = parse(&["--topic", "t", "--batch-max-records", "10001"]).unwrap_err();
        assert!(
            err.to_string().contains("10001 is not in 1..=10000"),
            "{err}"
        );
    }

    #[test]
    fn refuses_unusable_batch_limits() {
        let err = |a: &[&str]| parse(a).unwrap().settings().unwrap_err().to_string();
        assert_eq!(
            err(&["--topic", "t", "--batch-max-bytes", "10"]),
            "--batch-max-bytes 10 B is out of range (1KiB to 256MiB)"
        );
        assert_eq!(
            err(&["--topic", "t", "--batch-max-wait", "10m"]),
            "--batch-max-wait 10m is too long (at most 5m, the event source mapping's limit)"
        );
        assert_eq!(
            err(&["--topic", " "]),
            "no topic: set --topic or SWAPSTREAM_TOPICS"
        );
    }

    #[test]
    fn prefetch_is_two_batches_within_bounds() {
        let kib = |bytes, records| {
            prefetch_kib(&BatchLimits {
                max_bytes: bytes,
                max_records: records,
                ..BatchLimits::default()
            })
        };
        // At most 10,000 records per batch: 40,000 KiB by records.
        assert_eq!(kib(6_000_000, 10_000), 11_718);
        assert_eq!(kib(256 << 20, 10_000), 40_000);
        assert_eq!(kib(1_000, 10_000), 4_096);
        // Small batches of the default 6 MB: bounded by records, then by the floor.
        assert_eq!(kib(6_000_000, 2_000), 8_000);
        assert_eq!(kib(6_000_000, 100), 4_096);
    }
}
