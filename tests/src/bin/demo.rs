//! `make demo`: the whole pipeline live on local servers.
//!
//! Starts Tansu (a Kafka-API broker) and DynamoDB Local, creates a topic with three
//! partitions, writes reference-like telemetry for ten devices with `swapstream produce`, runs
//! `swapstream run` (service mode) with a live progress line read from its `/metrics`, and
//! prints the resulting DynamoDB table. Everything it starts is stopped at the end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use swapstream_tests::dynamodb::{DynamoDbLocal, text};
use swapstream_tests::kafka::Tansu;
use swapstream_tests::service::{Host, HostConfig};

const RECORDS: u64 = 3_000;
const TOPIC: &str = "sensors";

#[tokio::main]
async fn main() {
    println!(
        "swapstream demo: swapstream produce -> Kafka (Tansu) -> swapstream run -> WebAssembly module -> DynamoDB Local\n"
    );
    let binary = swapstream_tests::swapstream_bin();
    println!("[1/5] starting Tansu and DynamoDB Local");
    let tansu = Tansu::start();
    tansu.create_topic(TOPIC, 3);
    let db = DynamoDbLocal::start().await;
    db.create_items_table("readings").await;
    db.create_dead_letter_table("dead-letters").await;
    println!(
        "      broker {} with topic `{TOPIC}` (3 partitions); DynamoDB {} with tables `readings` and `dead-letters`",
        tansu.bootstrap(),
        db.endpoint()
    );

    let dir = tempfile::tempdir().unwrap();
    println!(
        "[2/5] swapstream run {}: consumer group `demo`, batches of up to 100 records",
        binary.display()
    );
    let config = HostConfig::new(&tansu.bootstrap(), TOPIC, "demo", db.env(), dir.path())
        .env("SWAPSTREAM_LOG", "warn");
    let mut host = Host::start(&config, "swapstream-run");
    println!(
        "      /metrics and /healthz on http://127.0.0.1:{}",
        host.http_port
    );

    println!(
        "[3/5] swapstream produce: {RECORDS} readings from 10 devices at 600 records/s, while the host consumes"
    );
    let producer = Command::new(&binary)
        .args(["produce", "--brokers", &tansu.bootstrap(), "--topic", TOPIC])
        .args(["--devices", "10", "--rate", "600", "--partitions", "3"])
        .args(["--count", &RECORDS.to_string()])
        .env("SWAPSTREAM_LOG", "warn")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let tty = std::io::stdout().is_terminal();
    let started = Instant::now();
    let mut ticks = 0u32;
    loop {
        let metrics = host.get("/metrics").1;
        let value = |s: &str| swapstream_tests::service::metric_value(&metrics, s);
        let records = value("swapstream_records_in_total");
        let batches = value(r#"swapstream_batches_total{outcome="written"}"#);
        let in_batches = value("swapstream_batch_records_sum");
        let items = value("swapstream_items_written_total");
        let rejected = value("swapstream_records_rejected_total");
        let healthy = if host.healthy() {
            "healthy"
        } else {
            "starting"
        };
        let line = format!(
            "      {:>5.1}s  {healthy:<8}  records taken {records:>6}  batches written {batches:>4}  items written {items:>5}  rejected {rejected:>3}",
            started.elapsed().as_secs_f64()
        );
        let done = in_batches >= RECORDS as f64;
        if tty {
            print!("\r{line}");
            std::io::stdout().flush().unwrap();
        } else if ticks.is_multiple_of(4) || done {
            println!("{line}");
        }
        ticks += 1;
        if done {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "\nthe host did not finish in 2 minutes:\n{}",
            host.log()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    if tty {
        println!();
    }
    let produced = producer.wait_with_output().unwrap();
    assert!(
        produced.status.success(),
        "{}",
        String::from_utf8_lossy(&produced.stderr)
    );
    if let Some(summary) = String::from_utf8_lossy(&produced.stderr).lines().last() {
        println!("      {summary}");
    }

    println!("[4/5] stopping it with SIGTERM (graceful: commits what was written)");
    let (code, took) = host.terminate();
    assert_eq!(code, Some(0), "{}", host.log());
    println!("      exited with code 0 in {:.1}s", took.as_secs_f64());

    println!("[5/5] the `readings` table (one item per device and batch):\n");
    let mut rows: BTreeMap<(i64, String), Vec<String>> = BTreeMap::new();
    for item in db.scan("readings").await {
        let key = (
            text(&item, "device_id").parse().unwrap(),
            text(&item, "window_start"),
        );
        rows.insert(
            key,
            vec![
                text(&item, "window_stop"),
                text(&item, "avg_temp"),
                text(&item, "reading_count"),
                text(&item, "module"),
            ],
        );
    }
    println!(
        "{:>9}  {:<26}  {:<26}  {:>8}  {:>8}  module",
        "device_id", "window_start", "window_stop", "avg_temp", "readings"
    );
    let shown = 30;
    for ((device, start), r) in rows.iter().take(shown) {
        println!(
            "{device:>9}  {start:<26}  {:<26}  {:>8}  {:>8}  {}",
            r[0], r[1], r[2], r[3]
        );
    }
    let total: i64 = rows.values().map(|r| r[2].parse::<i64>().unwrap()).sum();
    if rows.len() > shown {
        println!("      … {} more items", rows.len() - shown);
    }
    println!(
        "\n{} items holding {total} readings; {} rejected records in `dead-letters`.",
        rows.len(),
        db.scan("dead-letters").await.len()
    );
    println!("\ndone; stopping Tansu and DynamoDB Local.");
}
