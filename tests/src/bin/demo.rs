//! `make demo`: the whole pipeline live on local servers.
//!
//! Starts DynamoDB Local and cargo-lambda's Runtime API emulator, runs the real `swapstream`
//! binary as the Lambda function, sends it Kafka events of reference-like telemetry (ten
//! devices, a few bad records), and prints the resulting DynamoDB table. Everything it starts
//! is stopped at the end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use swapstream_tests::dynamodb::{DynamoDbLocal, text};
use swapstream_tests::lambda::LambdaFunction;
use swapstream_tests::telemetry;

const BATCHES: u64 = 5;

#[tokio::main]
async fn main() {
    println!(
        "swapstream demo: Kafka events -> Lambda (cargo-lambda emulator) -> WebAssembly module -> DynamoDB Local\n"
    );
    let binary = swapstream_tests::swapstream_bin();
    println!("[1/4] starting DynamoDB Local");
    let db = DynamoDbLocal::start().await;
    db.create_items_table("readings").await;
    db.create_dead_letter_table("dead-letters").await;
    println!(
        "      {} with tables `readings` and `dead-letters`",
        db.endpoint()
    );

    println!(
        "[2/4] starting the Lambda runtime emulator and {}",
        binary.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut env = db.env();
    env.push(("SWAPSTREAM_TABLE".into(), "readings".into()));
    env.push(("SWAPSTREAM_DEAD_LETTER_TABLE".into(), "dead-letters".into()));
    let mut function = LambdaFunction::start(&env, dir.path());

    println!(
        "[3/4] invoking it with {BATCHES} Kafka events of 2,000 records (3 partitions, 10 devices)"
    );
    for batch in 0..BATCHES {
        let records =
            telemetry::generate("sensors", 3, batch as i64 * 667, 667, 10, 400, 100 + batch);
        let event = dir.path().join(format!("event-{batch}.json"));
        std::fs::write(&event, telemetry::lambda_event(&records).to_string()).unwrap();
        let started = std::time::Instant::now();
        let result = function.invoke(&event);
        assert!(
            result.ok,
            "invocation failed: {}\n{}",
            result.body,
            function.function_log()
        );
        println!(
            "      event {}: {} in {:?}",
            batch + 1,
            result.body.trim(),
            started.elapsed()
        );
    }

    println!("[4/4] the `readings` table:\n");
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
    for ((device, start), r) in &rows {
        println!(
            "{device:>9}  {start:<26}  {:<26}  {:>8}  {:>8}  {}",
            r[0], r[1], r[2], r[3]
        );
    }
    let dead = db.scan("dead-letters").await;
    println!(
        "\n{} items; {} rejected records in `dead-letters`, e.g.:",
        rows.len(),
        dead.len()
    );
    for letter in dead.iter().take(3) {
        println!(
            "  {}@{}: {}",
            text(letter, "source"),
            text(letter, "offset"),
            text(letter, "reason")
        );
    }
    println!("\ndone; stopping DynamoDB Local and the emulator.");
}
