//! `scripts/bench-service.sh`: end-to-end throughput of service mode (Tansu → `swapstream run`
//! → DynamoDB Local) against a consume-only baseline on the same broker in the same run, for
//! batch sizes 100, 1,000 and 10,000, with the host's resident memory and where the time goes.
//!
//! Usage: `bench-service [RECORDS] [DEVICES] [ROUNDS] [BATCH…]` (defaults 300000, 60, 1 and
//! 100 1000 10000). Each round runs, per batch size, the baseline and then the host over the
//! same fresh topic. Prints a Markdown table per round.
//!
//! Both rates are timed alike: from the moment the consumer is assigned its partitions (the
//! group join, seconds on Tansu, is left out) until the last record is consumed (baseline) or
//! written (host).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use swapstream_tests::dynamodb::DynamoDbLocal;
use swapstream_tests::kafka::{self, Tansu};
use swapstream_tests::process::rss_kib;
use swapstream_tests::readings;
use swapstream_tests::service::{Host, HostConfig, metric_value};

const PARTITIONS: i32 = 6;

/// Notes when the partitions were assigned.
#[derive(Default)]
struct Assigned(Mutex<Option<Instant>>);

impl ClientContext for Assigned {}

impl ConsumerContext for Assigned {
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if matches!(rebalance, Rebalance::Assign(_)) {
            self.0.lock().unwrap().get_or_insert_with(Instant::now);
        }
    }
}

/// Reads every record of `topic` as a fresh group member, touching each payload and nothing
/// more; records/s from the assignment to the last record.
fn baseline(bootstrap: &str, topic: &str, records: usize) -> f64 {
    let consumer: BaseConsumer<Assigned> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("baseline-{topic}"))
        .set("session.timeout.ms", "6000")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create_with_context(Assigned::default())
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut seen = 0usize;
    let mut bytes = 0usize;
    let deadline = Instant::now() + Duration::from_secs(600);
    while seen < records {
        assert!(
            Instant::now() < deadline,
            "baseline read {seen} of {records}"
        );
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                seen += 1;
                // Touch the payload, as the host does when it copies it into a batch.
                bytes += rdkafka::Message::payload(&m).map_or(0, <[u8]>::len);
            }
            Some(Err(e)) => eprintln!("baseline consumer error: {e}"),
            None => {}
        }
    }
    let elapsed = consumer.context().0.lock().unwrap().unwrap().elapsed();
    assert!(bytes > 0);
    records as f64 / elapsed.as_secs_f64()
}

/// CPU time (user + system, all threads) `pid` has used, seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // Fields after the command name (which may hold spaces) start at field 3; utime and
    // stime are fields 14 and 15, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<f64>().ok());
    match (ticks(14), ticks(15)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

/// CPU seconds used by the host, the broker and DynamoDB Local during one host run.
#[derive(Debug, Clone, Copy, Default)]
struct Cpu {
    host: f64,
    tansu: f64,
    dynamodb: f64,
}

struct HostRun {
    rate: f64,
    elapsed: f64,
    rss_steady_mib: f64,
    rss_peak_mib: f64,
    items: f64,
    cpu: Cpu,
    module_ms: f64,
    total_ms: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Median `module_ms` and `total_ms` of the host's "batch done" log lines (JSON).
fn batch_times(log: &str) -> (f64, f64) {
    let (mut module, mut total) = (Vec::new(), Vec::new());
    for line in log.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["message"] == "batch done" {
            module.extend(v["module_ms"].as_f64());
            total.extend(v["total_ms"].as_f64());
        }
    }
    (median(module), median(total))
}

/// Runs `swapstream run` over a topic holding `records` records until every one is written.
fn host_run(config: &HostConfig, records: usize, name: &str, pids: (u32, u32)) -> HostRun {
    let host = Host::start(config, name);
    let pid = host.process.pid();
    let deadline = Instant::now() + Duration::from_secs(900);
    while !host.get("/healthz").1.contains(r#""group_member":true"#) {
        assert!(Instant::now() < deadline, "{name} never joined");
        std::thread::sleep(Duration::from_millis(5));
    }
    let assigned = Instant::now();
    let cpu_at = |pid_host| Cpu {
        host: cpu_seconds(pid_host),
        tansu: cpu_seconds(pids.0),
        dynamodb: cpu_seconds(pids.1),
    };
    let cpu_start = cpu_at(pid);
    let mut samples: Vec<u64> = Vec::new();
    let metrics = loop {
        assert!(
            Instant::now() < deadline,
            "{name} did not finish:\n{}",
            host.log()
        );
        let metrics = host.get("/metrics").1;
        if let Some(kib) = rss_kib(pid) {
            samples.push(kib);
            if std::env::var_os("BENCH_TRACE").is_some() {
                eprintln!(
                    "{:.2}s rss {} MiB written {}",
                    assigned.elapsed().as_secs_f64(),
                    kib / 1024,
                    metric_value(&metrics, "swapstream_batch_records_sum")
                );
            }
        }
        let written = metric_value(&metrics, "swapstream_batch_records_sum");
        if written >= records as f64 {
            break metrics;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = assigned.elapsed().as_secs_f64();
    let cpu_end = cpu_at(pid);
    // Steady state: the median of the samples after the first quarter of the run.
    let mut steady: Vec<u64> = samples[samples.len() / 4..].to_vec();
    steady.sort_unstable();
    let steady = steady.get(steady.len() / 2).copied().unwrap_or(0);
    let peak = samples.iter().copied().max().unwrap_or(0);
    let items = metric_value(&metrics, "swapstream_items_written_total");
    let (module_ms, total_ms) = batch_times(&host.log());
    drop(host);
    HostRun {
        rate: records as f64 / elapsed,
        elapsed,
        rss_steady_mib: steady as f64 / 1024.0,
        rss_peak_mib: peak as f64 / 1024.0,
        items,
        cpu: Cpu {
            host: cpu_end.host - cpu_start.host,
            tansu: cpu_end.tansu - cpu_start.tansu,
            dynamodb: cpu_end.dynamodb - cpu_start.dynamodb,
        },
        module_ms,
        total_ms,
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let records: usize = args.first().map_or(300_000, |a| a.parse().unwrap());
    let devices: i64 = args.get(1).map_or(60, |a| a.parse().unwrap());
    let rounds: usize = args.get(2).map_or(1, |a| a.parse().unwrap());
    let batches: Vec<usize> = if args.len() > 3 {
        args[3..].iter().map(|a| a.parse().unwrap()).collect()
    } else {
        vec![100, 1_000, 10_000]
    };
    swapstream_tests::swapstream_bin();
    let tansu = Tansu::start();
    let db = DynamoDbLocal::start().await;
    db.create_dead_letter_table("dead-letters").await;
    let dir = tempfile::tempdir().unwrap();
    eprintln!(
        "bench-service: {records} records, {devices} devices, {PARTITIONS} partitions per topic, {rounds} round(s), {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let stream = readings::generate(devices, PARTITIONS, records, 0, 7);

    for round in 1..=rounds {
        if rounds > 1 {
            println!("\nround {round}\n");
        }
        println!(
            "| batch size | consume-only (records/s) | end-to-end (records/s) | ratio | items written | batch median: module / total (ms) | CPU s: host / Tansu / DynamoDB Local | host RSS steady / peak (MiB) |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for &batch in &batches {
            let topic = format!("bench-{batch}-{round}");
            tansu.create_topic(&topic, PARTITIONS);
            let table = format!("readings-{batch}-{round}");
            db.create_items_table(&table).await;
            // Ordinary producer batches: each consumer reads every partition from its start,
            // uninterrupted.
            kafka::produce_batched(&tansu.bootstrap(), &topic, &stream.records);

            let base = baseline(&tansu.bootstrap(), &topic, records);
            let config = HostConfig::new(
                &tansu.bootstrap(),
                &topic,
                &format!("host-{batch}-{round}"),
                db.env(),
                dir.path(),
            )
            .env("SWAPSTREAM_TABLE", &table)
            .env("SWAPSTREAM_LOG", "warn,swapstream_core::pipeline=info")
            .env("SWAPSTREAM_LOG_FORMAT", "json")
            .env("SWAPSTREAM_BATCH_MAX_RECORDS", &batch.to_string());
            let mut config = config;
            for o in std::env::var("BENCH_KAFKA")
                .unwrap_or_default()
                .split(',')
                .filter(|o| !o.is_empty())
            {
                config = config.kafka_option(o);
            }
            for o in std::env::var("BENCH_ENV")
                .unwrap_or_default()
                .split(',')
                .filter(|o| !o.is_empty())
            {
                let (k, v) = o.split_once('=').unwrap();
                config = config.env(k, v);
            }
            let run = host_run(
                &config,
                records,
                &format!("host-{batch}-{round}"),
                (tansu.pid(), db.pid()),
            );
            // Everything written, and right: every reading lies in the window of an item
            // whose count and average are those of its window.
            let accounting = stream.account(&db.scan(&table).await);
            assert!(accounting.wrong.is_empty(), "{:?}", accounting.wrong);
            assert_eq!(
                accounting.covered, records,
                "batch {batch}: readings missing"
            );
            eprintln!(
                "batch {batch}: baseline {base:.0}/s, host {:.0}/s over {:.1} s",
                run.rate, run.elapsed
            );
            println!(
                "| {batch} | {base:.0} | {:.0} | {:.2} | {:.0} | {:.2} / {:.1} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} |",
                run.rate,
                run.rate / base,
                run.items,
                run.module_ms,
                run.total_ms,
                run.cpu.host,
                run.cpu.tansu,
                run.cpu.dynamodb,
                run.rss_steady_mib,
                run.rss_peak_mib
            );
            db.delete_table(&table).await;
        }
    }
}
