//! `swapstream produce`: writes reference-like telemetry to a topic — a load generator for
//! demos, load tests and benchmarks (the Kafka adapter's [`produce`]).

use clap::Args;
use swapstream_kafka::producer::{ProduceError, ProduceSettings, produce};

use crate::exit::Exit;
use crate::settings::KafkaArgs;

/// Settings of `swapstream produce`.
#[derive(Debug, Clone, Args)]
pub struct ProduceArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub kafka: KafkaArgs,

    /// Topic to write to.
    #[arg(long, value_name = "TOPIC")]
    pub topic: String,

    /// Number of devices (ids 1 to N).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1_000_000), value_name = "N")]
    pub devices: u32,

    /// Records per second over all devices; 0 writes as fast as the broker takes them.
    #[arg(long, default_value_t = 10, value_name = "PER_SECOND")]
    pub rate: u32,

    /// Records to write, then stop [default: until SIGINT/SIGTERM].
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,

    /// Spread the devices over partitions 0..P: device d always goes to partition
    /// (d - 1) mod P, so every partition gets traffic and each device's readings stay in order.
    /// Without it the key (the device id) picks the partition.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000), value_name = "P")]
    pub partitions: Option<u32>,

    /// Seed of the random walks, for reproducible data [default: random].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// Produces until `--count` records are delivered or a signal arrives. Exit code 1 if any
/// record was not delivered.
pub async fn run(args: ProduceArgs) -> Result<(), Exit> {
    let connection = args.kafka.connection()?;
    if args.topic.trim().is_empty() {
        return Err(Exit::Config("no topic: set --topic".into()));
    }
    let hooks = super::run::kafka_hooks(connection.security.needs_oauth_tokens()).await?;
    let settings = ProduceSettings {
        topic: args.topic.clone(),
        devices: args.devices,
        rate: args.rate,
        count: args.count,
        partitions: args.partitions,
        seed: args.seed.unwrap_or_else(rand::random),
    };
    produce(&connection, hooks, &settings, crate::shutdown::signal())
        .await
        .map_err(|e| match e {
            ProduceError::Create(_) => Exit::Config(e.to_string()),
            _ => Exit::Failure(e.to_string()),
        })
}
