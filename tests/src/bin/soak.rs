//! Soak: `swapstream run` under continuous load (Tansu -> host -> DynamoDB Local) for a long
//! time, with the host's resident memory and open file descriptors sampled throughout. After
//! a warm-up (the first sixth of the run, at least a minute) neither may grow beyond the
//! tolerances `RSS_GROWTH` and `FD_GROWTH` allow. At the end
//! every reading produced is in exactly one item of the right window, as an independent
//! accounting of the stream computes it, and the host wrote every record.
//!
//! Usage: `scripts/soak.sh [MINUTES] [RECORDS_PER_SECOND]` (defaults: 30, 500).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use swapstream_tests::dynamodb::DynamoDbLocal;
use swapstream_tests::kafka::{self, Tansu};
use swapstream_tests::process::{open_fds, rss_kib};
use swapstream_tests::readings;
use swapstream_tests::service::{Host, HostConfig, metric_value};

const PARTITIONS: i32 = 6;
const DEVICES: i64 = 60;
/// Most the last sample's resident memory may be, as a multiple of the warm-up's.
const RSS_GROWTH: f64 = 1.25;
/// Most file descriptors the last sample may hold beyond the warm-up's.
const FD_GROWTH: i64 = 8;

#[derive(Debug, Clone, Copy)]
struct Sample {
    at: Duration,
    rss_kib: u64,
    fds: usize,
    written: f64,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let minutes: u64 = args.first().map_or(30, |a| a.parse().unwrap());
    let rate: usize = args.get(1).map_or(500, |a| a.parse().unwrap());
    let duration = Duration::from_secs(minutes * 60);
    let total = rate * minutes as usize * 60;
    swapstream_tests::swapstream_bin();
    let tansu = Tansu::start();
    let db = DynamoDbLocal::start().await;
    db.create_items_table("readings").await;
    db.create_dead_letter_table("dead-letters").await;
    tansu.create_topic("soak", PARTITIONS);
    let dir = tempfile::tempdir().unwrap();
    let stream = readings::generate(DEVICES, PARTITIONS, total, 200, 11);
    eprintln!("soak: {minutes} min at {rate} records/s = {total} records, 1 in ~200 bad");

    let config = HostConfig::new(&tansu.bootstrap(), "soak", "soak", db.env(), dir.path())
        .env("SWAPSTREAM_TABLE", "readings")
        .env("SWAPSTREAM_DEAD_LETTER_TABLE", "dead-letters")
        .env("SWAPSTREAM_LOG", "warn")
        .env("SWAPSTREAM_BATCH_MAX_RECORDS", "1000");
    let host = Host::start(&config, "soak");
    let pid = host.process.pid();
    let started = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    let mut sent = 0usize;
    let mut next_sample = Duration::ZERO;
    // One second's records per step, on schedule, then a sample every 10 s.
    while sent < total {
        let due = (started.elapsed().as_secs() as usize + 1) * rate;
        let end = due.min(total);
        if end > sent {
            kafka::produce_batched(&tansu.bootstrap(), "soak", &stream.records[sent..end]);
            sent = end;
        }
        if started.elapsed() >= next_sample {
            let written = metric_value(&host.get("/metrics").1, "swapstream_batch_records_sum");
            if let (Some(rss), Some(fds)) = (rss_kib(pid), open_fds(pid)) {
                samples.push(Sample {
                    at: started.elapsed(),
                    rss_kib: rss,
                    fds,
                    written,
                });
            }
            next_sample += Duration::from_secs(10);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let drain = Instant::now();
    loop {
        let written = metric_value(&host.get("/metrics").1, "swapstream_batch_records_sum");
        if written >= total as f64 {
            break;
        }
        if drain.elapsed() > Duration::from_secs(300) {
            eprintln!(
                "soak: FAILED waiting for every record to be written: {written} of {total} after 300 s"
            );
            std::process::exit(1);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let last = Sample {
        at: started.elapsed(),
        rss_kib: rss_kib(pid).unwrap_or(0),
        fds: open_fds(pid).unwrap_or(0),
        written: total as f64,
    };
    samples.push(last);

    println!("| minute | records written | host RSS (MiB) | open fds |");
    println!("|---:|---:|---:|---:|");
    let mut minute = 0;
    for s in &samples {
        if s.at.as_secs() / 60 >= minute || std::ptr::eq(s, samples.last().unwrap()) {
            println!(
                "| {:.1} | {:.0} | {:.1} | {} |",
                s.at.as_secs_f64() / 60.0,
                s.written,
                s.rss_kib as f64 / 1024.0,
                s.fds
            );
            minute = s.at.as_secs() / 60 + 1;
        }
    }

    let warm_up = (duration / 6).max(Duration::from_secs(60));
    let warm = samples
        .iter()
        .find(|s| s.at >= warm_up)
        .copied()
        .unwrap_or(last);
    let rss_growth = last.rss_kib as f64 / warm.rss_kib.max(1) as f64;
    let fd_growth = last.fds as i64 - warm.fds as i64;
    let accounting = stream.account(&db.scan("readings").await);
    let letters = db.scan("dead-letters").await.len();
    let bad = total - stream.good();
    println!(
        "\nafter warm-up ({:.1} min): RSS {:.1} -> {:.1} MiB ({rss_growth:.2}x), fds {} -> {} ({fd_growth:+}); readings covered {} of {}, wrong {}, dead letters {letters} of {bad} bad records",
        warm.at.as_secs_f64() / 60.0,
        warm.rss_kib as f64 / 1024.0,
        last.rss_kib as f64 / 1024.0,
        warm.fds,
        last.fds,
        accounting.covered,
        stream.good(),
        accounting.wrong.len()
    );
    let mut failures = Vec::new();
    if rss_growth > RSS_GROWTH {
        failures.push(format!(
            "resident memory grew {rss_growth:.2}x after warm-up"
        ));
    }
    if fd_growth > FD_GROWTH {
        failures.push(format!(
            "open file descriptors grew by {fd_growth} after warm-up"
        ));
    }
    if accounting.covered != stream.good() || !accounting.wrong.is_empty() {
        failures.push(format!(
            "{} of {} readings covered, {} wrong",
            accounting.covered,
            stream.good(),
            accounting.wrong.len()
        ));
    }
    if letters != bad {
        failures.push(format!("{letters} dead letters for {bad} bad records"));
    }
    if failures.is_empty() {
        println!("soak: passed");
    } else {
        eprintln!("soak: FAILED: {}", failures.join("; "));
        std::process::exit(1);
    }
}
