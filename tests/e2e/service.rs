//! Service mode (`swapstream run`) on a real broker (Tansu) writing to DynamoDB Local: every
//! record accounted for, crashes, replicas, a broker restart, a DynamoDB outage; and the load
//! generator (`swapstream produce`).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use swapstream_tests::dynamodb::{DynamoDbLocal, Item, text};
use swapstream_tests::kafka::{self, Tansu, committed, eventually};
use swapstream_tests::readings::{self, Stream};
use swapstream_tests::service::{Host, HostConfig};
use swapstream_tests::swapstream_bin;

const TOPIC: &str = "readings";

async fn tables(db: &DynamoDbLocal) {
    db.create_items_table("readings").await;
    db.create_dead_letter_table("dead-letters").await;
}

/// A broker with the topic in `partitions` partitions, DynamoDB Local with both tables, and a
/// directory for the hosts' logs.
async fn stack(partitions: i32) -> (Tansu, DynamoDbLocal, tempfile::TempDir) {
    let tansu = Tansu::start();
    tansu.create_topic(TOPIC, partitions);
    let db = DynamoDbLocal::start().await;
    tables(&db).await;
    (tansu, db, tempfile::tempdir().unwrap())
}

/// `(partition, offset)` of every dead letter.
fn dead_letter_coordinates(letters: &[Item]) -> Vec<(i32, i64)> {
    let mut got: Vec<(i32, i64)> = letters
        .iter()
        .map(|l| {
            assert_eq!(
                text(l, "source"),
                format!("{TOPIC}/{}", text(l, "partition"))
            );
            assert_eq!(text(l, "topic"), TOPIC);
            (
                text(l, "partition").parse().unwrap(),
                text(l, "offset").parse().unwrap(),
            )
        })
        .collect();
    got.sort_unstable();
    got
}

/// Waits until every good reading lies in the window of a correct item.
pub(crate) async fn all_covered(
    db: &DynamoDbLocal,
    stream: &Stream,
    timeout: Duration,
    host: &Host,
) {
    let want = stream.good();
    let mut last = 0;
    let started = Instant::now();
    loop {
        let accounting = stream.account(&db.scan("readings").await);
        assert!(
            accounting.wrong.is_empty(),
            "{:?}; host log:\n{}",
            accounting.wrong,
            host.log()
        );
        if accounting.covered == want {
            return;
        }
        last = last.max(accounting.covered);
        assert!(
            started.elapsed() < timeout,
            "only {last} of {want} readings written after {timeout:?} (records {:?} missing); host log:\n{}",
            accounting.uncovered,
            host.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn committed_eventually(
    tansu: &Tansu,
    group: &str,
    partitions: i32,
    want: &BTreeMap<i32, i64>,
) {
    eventually(
        "the committed offsets to reach the end offsets",
        Duration::from_secs(60),
        async || {
            (committed(&tansu.bootstrap(), group, TOPIC, partitions)
                .ok()
                .as_ref()
                == Some(want))
            .then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_one_of_100000_records_over_6_partitions_is_written_or_dead_lettered_and_committed() {
    let (tansu, db, dir) = stack(6).await;

    let stream = readings::generate(30, 6, 100_000, 400, 11);
    // Batched: one uninterrupted consumer reads every partition from its start.
    let delivered = kafka::produce_batched(&tansu.bootstrap(), TOPIC, &stream.records);
    let bad = stream.bad_coordinates(&delivered);
    assert!(bad.len() > 150, "{} bad records", bad.len());
    assert_eq!(delivered.end_offsets.values().sum::<i64>(), 100_000);

    let config = HostConfig::new(&tansu.bootstrap(), TOPIC, "all", db.env(), dir.path())
        .env("SWAPSTREAM_BATCH_MAX_RECORDS", "1000");
    let mut host = Host::start(&config, "host");
    all_covered(&db, &stream, Duration::from_secs(300), &host).await;
    let letters = eventually("every dead letter", Duration::from_secs(30), async || {
        let letters = db.scan("dead-letters").await;
        (letters.len() == bad.len()).then_some(letters)
    })
    .await;

    // Nothing processed twice, nothing missing, every item right for its window.
    let accounting = stream.account(&db.scan("readings").await);
    assert_eq!(accounting.covered, stream.good());
    assert_eq!(accounting.counted, 100_000 - bad.len());
    assert!(accounting.wrong.is_empty(), "{:?}", accounting.wrong);
    assert_eq!(dead_letter_coordinates(&letters), bad);

    let metrics = host.get("/metrics").1;
    let value = |s: &str| swapstream_tests::service::metric_value(&metrics, s);
    assert_eq!(value("swapstream_records_in_total"), 100_000.0);
    assert_eq!(value("swapstream_records_rejected_total"), bad.len() as f64);
    assert_eq!(
        value("swapstream_items_written_total"),
        accounting.items as f64
    );
    assert_eq!(
        value(r#"swapstream_batches_total{outcome="written"}"#),
        value("swapstream_batch_records_count")
    );
    assert!(
        metrics.contains("swapstream_batch_duration_seconds_bucket{le=\"0.005\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"swapstream_module_info{name="average",version="1.0.0",hash=""#),
        "{metrics}"
    );
    // From librdkafka's statistics, every 5 s (Tansu under-reports high watermarks, so only
    // its presence is checked).
    eventually(
        "consumer lag in /metrics",
        Duration::from_secs(20),
        async || {
            host.get("/metrics")
                .1
                .contains("swapstream_consumer_lag{")
                .then_some(())
        },
    )
    .await;
    assert!(
        metrics.contains("swapstream_sink_retries_total"),
        "{metrics}"
    );
    assert_eq!(host.get("/healthz").0, 200);

    // Graceful stop: exit 0, promptly, with the end offsets committed.
    let (code, took) = host.terminate();
    assert_eq!(code, Some(0), "{}", host.log());
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_eq!(
        committed(&tansu.bootstrap(), "all", TOPIC, 6).unwrap(),
        delivered.end_offsets
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_killed_mid_run_resumes_from_its_commits_and_rewrites_only_identical_items() {
    // One partition, everything produced up front, batches cut only by count: the batches of
    // the second run start where the first run's commits end, so they are the same batches.
    // (Across partitions, batch boundaries depend on fetch timing; the replica and outage
    // tests check what holds there.)
    let (tansu, db, dir) = stack(1).await;
    let stream = readings::generate(10, 1, 40_000, 0, 12);
    let delivered = kafka::produce(&tansu.bootstrap(), TOPIC, &stream.records);

    let config = HostConfig::new(&tansu.bootstrap(), TOPIC, "crash", db.env(), dir.path())
        .env("SWAPSTREAM_BATCH_MAX_RECORDS", "100")
        .env("SWAPSTREAM_BATCH_MAX_WAIT", "60s")
        // One batch at a time: slow enough to catch it mid-run on a fast machine.
        .env("SWAPSTREAM_MAX_IN_FLIGHT", "1")
        .kafka_option("auto.commit.interval.ms=1000");
    let mut first = Host::start(&config, "first");
    // Kill once something is committed and more than that is written.
    let committed_at_kill = eventually(
        "progress past a commit",
        Duration::from_secs(120),
        async || {
            let c = committed(&tansu.bootstrap(), "crash", TOPIC, 1)
                .ok()?
                .get(&0)
                .copied()?;
            let written = stream.account(&db.scan("readings").await).counted as i64;
            (c >= 100 && written >= c + 100 && written < 40_000).then_some(c)
        },
    )
    .await;
    first.kill();
    let before = db.scan("readings").await;
    let written_before = stream.account(&before).counted as i64;
    assert!(
        written_before > committed_at_kill && written_before < 40_000,
        "{written_before} written, {committed_at_kill} committed"
    );
    // At kill time: a commit never covers unwritten records.
    let committed_after_kill = committed(&tansu.bootstrap(), "crash", TOPIC, 1).unwrap()[&0];
    assert!(committed_after_kill <= written_before);

    // The second host joins once the killed member's session (6 s) has expired. Joining while
    // Tansu still counts the dead member can leave the newcomer with an empty assignment, and
    // on a loaded machine Tansu's coordinator was seen not to rebalance after the session
    // expired. The test is about what the second host writes, not about Tansu's group
    // membership.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let mut second = Host::start(&config, "second");
    all_covered(&db, &stream, Duration::from_secs(180), &second).await;
    let after = db.scan("readings").await;
    let accounting = stream.account(&after);
    // Nothing missing, nothing counted twice: the re-read batches wrote the same items.
    assert_eq!(accounting.covered, 40_000);
    assert_eq!(accounting.counted, 40_000);
    assert!(accounting.wrong.is_empty(), "{:?}", accounting.wrong);
    let key = |i: &Item| (text(i, "device_id"), text(i, "window_start"));
    let after_by_key: BTreeMap<_, _> = after.iter().map(|i| (key(i), i.clone())).collect();
    for item in &before {
        let now = &after_by_key[&key(item)];
        for attribute in ["window_stop", "avg_temp", "reading_count"] {
            assert_eq!(text(now, attribute), text(item, attribute));
        }
    }
    // 40,000 records in batches of 100, ten devices each: 4,000 items.
    assert_eq!(after.len(), 4_000);

    let (code, _) = second.terminate();
    assert_eq!(code, Some(0), "{}", second.log());
    assert_eq!(
        committed(&tansu.bootstrap(), "crash", TOPIC, 1).unwrap(),
        delivered.end_offsets
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_share_the_partitions_and_a_stopped_one_hands_its_partitions_over() {
    let (tansu, db, dir) = stack(6).await;
    let stream = readings::generate(12, 6, 36_000, 0, 13);
    let (early, late) = stream.records.split_at(12_000);
    let (middle, last) = late.split_at(12_000);

    let config = HostConfig::new(&tansu.bootstrap(), TOPIC, "pair", db.env(), dir.path());
    let mut a = Host::start(&config, "a");
    let b = Host::start(&config, "b");
    // Both are members (each with an assignment) before any record exists.
    eventually(
        "both replicas in the group",
        Duration::from_secs(60),
        async || (a.healthy() && b.healthy()).then_some(()),
    )
    .await;
    let mut delivered = kafka::produce(&tansu.bootstrap(), TOPIC, early);
    eventually(
        "both replicas to write",
        Duration::from_secs(120),
        async || {
            let (ra, rb) = (
                a.metric("swapstream_records_in_total"),
                b.metric("swapstream_records_in_total"),
            );
            (ra > 0.0 && rb > 0.0 && ra + rb >= 12_000.0).then_some(())
        },
    )
    .await;
    // Shared: each wrote part, together everything so far.
    let (ra, rb) = (
        a.metric("swapstream_records_in_total"),
        b.metric("swapstream_records_in_total"),
    );
    assert!(ra < 12_000.0 && rb < 12_000.0, "a {ra}, b {rb}");

    let more = kafka::produce(&tansu.bootstrap(), TOPIC, middle);
    // A stops while records are flowing: B takes its partitions over.
    let (code, took) = a.terminate();
    assert_eq!(code, Some(0), "{}", a.log());
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let rest = kafka::produce(&tansu.bootstrap(), TOPIC, last);
    for d in [more, rest] {
        delivered.coordinates.extend(d.coordinates);
        for (p, end) in d.end_offsets {
            let e = delivered.end_offsets.entry(p).or_insert(0);
            *e = (*e).max(end);
        }
    }
    all_covered(&db, &stream, Duration::from_secs(240), &b).await;
    let accounting = stream.account(&db.scan("readings").await);
    assert!(accounting.wrong.is_empty(), "{:?}", accounting.wrong);
    assert!(accounting.counted >= 36_000);
    committed_eventually(&tansu, "pair", 6, &delivered.end_offsets).await;
    // B now holds every partition.
    for p in 0..6 {
        let stored = b.metric(&format!(
            r#"swapstream_stored_offset{{topic="{TOPIC}",partition="{p}"}}"#
        ));
        assert_eq!(stored, delivered.end_offsets[&p] as f64, "partition {p}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_host_recovers_by_itself_when_the_broker_restarts_mid_run() {
    let mut tansu = Tansu::start_persistent();
    tansu.create_topic(TOPIC, 3);
    let db = DynamoDbLocal::start().await;
    tables(&db).await;
    let dir = tempfile::tempdir().unwrap();
    // Small: with its data in S3 (moto), Tansu stores each one-record batch as an object.
    let stream = readings::generate(9, 3, 900, 0, 14);
    let (before, after) = stream.records.split_at(450);
    let mut delivered = kafka::produce(&tansu.bootstrap(), TOPIC, before);

    let config = HostConfig::new(&tansu.bootstrap(), TOPIC, "restart", db.env(), dir.path());
    let mut host = Host::start(&config, "host");
    eventually("some progress", Duration::from_secs(120), async || {
        (host.metric("swapstream_records_in_total") >= 150.0).then_some(())
    })
    .await;

    tansu.stop();
    eventually(
        "/healthz to report the broker gone",
        Duration::from_secs(60),
        async || {
            let (status, body) = host.get("/healthz");
            (status == 503 && body.contains(r#""connected":false"#)).then_some(())
        },
    )
    .await;
    assert!(host.process.is_running(), "{}", host.log());
    tokio::time::sleep(Duration::from_secs(2)).await;
    tansu.restart();
    assert!(tansu.has_persistent_storage());

    let later = kafka::produce(&tansu.bootstrap(), TOPIC, after);
    delivered.coordinates.extend(later.coordinates);
    for (p, end) in later.end_offsets {
        let e = delivered.end_offsets.entry(p).or_insert(0);
        *e = (*e).max(end);
    }
    all_covered(&db, &stream, Duration::from_secs(240), &host).await;
    let accounting = stream.account(&db.scan("readings").await);
    assert!(accounting.wrong.is_empty(), "{:?}", accounting.wrong);
    committed_eventually(&tansu, "restart", 3, &delivered.end_offsets).await;
    eventually("healthy again", Duration::from_secs(60), async || {
        host.healthy().then_some(())
    })
    .await;
    let (code, _) = host.terminate();
    assert_eq!(code, Some(0), "{}", host.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn while_dynamodb_is_down_nothing_is_committed_past_unwritten_records_and_the_host_catches_up_after()
 {
    let tansu = Tansu::start();
    tansu.create_topic(TOPIC, 3);
    let mut db = DynamoDbLocal::start_persistent().await;
    tables(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let stream = readings::generate(9, 3, 15_000, 0, 15);
    let delivered = kafka::produce(&tansu.bootstrap(), TOPIC, &stream.records);

    let config = HostConfig::new(&tansu.bootstrap(), TOPIC, "outage", db.env(), dir.path())
        .kafka_option("auto.commit.interval.ms=500");
    let mut host = Host::start(&config, "host");
    eventually("some progress", Duration::from_secs(120), async || {
        (stream.account(&db.scan("readings").await).counted >= 1_500).then_some(())
    })
    .await;

    db.stop();
    eventually(
        "/healthz to report the failing sink",
        Duration::from_secs(60),
        async || {
            let (status, body) = host.get("/healthz");
            (status == 503 && body.contains(r#""failing":"#)).then_some(())
        },
    )
    .await;
    // Consumption stops: nothing more is taken while the batches in flight cannot be written.
    let taken = host.metric("swapstream_records_in_total");
    let mut most_committed: BTreeMap<i32, i64> = BTreeMap::new();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        for (p, c) in committed(&tansu.bootstrap(), "outage", TOPIC, 3).unwrap_or_default() {
            let m = most_committed.entry(p).or_insert(c);
            *m = (*m).max(c);
        }
    }
    assert_eq!(host.metric("swapstream_records_in_total"), taken);
    assert!(taken < 15_000.0, "{taken}");
    assert!(host.process.is_running());

    // What was written when DynamoDB went down, read from its data file by a second server
    // on another port (the host cannot reach it, so nothing changes meanwhile).
    let probe = db.start_on_same_data().await;
    let written = probe.scan("readings").await;
    drop(probe);
    let mut written_per_partition: BTreeMap<i32, i64> = BTreeMap::new();
    for item in &written {
        let device: i64 = text(item, "device_id").parse().unwrap();
        let count: i64 = text(item, "reading_count").parse().unwrap();
        *written_per_partition
            .entry(((device - 1) % 3) as i32)
            .or_insert(0) += count;
    }
    // Device d is in partition (d-1) mod 3 at offsets 0, 1, …: a partition's written records
    // are a prefix of it, so its commit may not pass the prefix's length.
    for (p, c) in &most_committed {
        let w = written_per_partition.get(p).copied().unwrap_or(0);
        assert!(*c <= w, "partition {p}: committed {c}, written {w}");
    }
    assert!(written_per_partition.values().sum::<i64>() < 15_000);

    db.restart().await;
    all_covered(&db, &stream, Duration::from_secs(240), &host).await;
    let accounting = stream.account(&db.scan("readings").await);
    assert_eq!(accounting.counted, 15_000, "nothing written twice");
    committed_eventually(&tansu, "outage", 3, &delivered.end_offsets).await;
    eventually("healthy again", Duration::from_secs(60), async || {
        host.healthy().then_some(())
    })
    .await;
    let (code, _) = host.terminate();
    assert_eq!(code, Some(0), "{}", host.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn produce_writes_reference_like_readings_spread_over_the_partitions() {
    let tansu = Tansu::start();
    tansu.create_topic("generated", 2);
    let started = Instant::now();
    let out = Command::new(swapstream_bin())
        .args([
            "produce",
            "--brokers",
            &tansu.bootstrap(),
            "--topic",
            "generated",
        ])
        .args([
            "--devices",
            "4",
            "--rate",
            "500",
            "--count",
            "400",
            "--partitions",
            "2",
        ])
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // 400 records at 500/s: paced, not a burst.
    assert!(took >= Duration::from_millis(750), "took {took:?}");
    assert!(
        stderr.contains("produced 400 records to generated in ")
            && stderr.contains("end offsets (partition:offset) 0:200 1:200"),
        "{stderr}"
    );

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", tansu.bootstrap())
        .set("group.id", "reader")
        .create()
        .unwrap();
    let mut list = TopicPartitionList::new();
    list.add_partition_offset("generated", 0, Offset::Beginning)
        .unwrap();
    list.add_partition_offset("generated", 1, Offset::Beginning)
        .unwrap();
    consumer.assign(&list).unwrap();
    let mut by_device: BTreeMap<i64, Vec<(String, i64)>> = BTreeMap::new();
    let mut seen = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen < 400 {
        assert!(Instant::now() < deadline, "read {seen} of 400");
        let Some(m) = consumer.poll(Duration::from_millis(500)) else {
            continue;
        };
        let m = m.unwrap();
        seen += 1;
        let value = std::str::from_utf8(m.payload().unwrap()).unwrap();
        let v: serde_json::Value = serde_json::from_str(value).unwrap();
        let device = v["device_id"].as_i64().unwrap();
        // The reference producer's json.dumps layout, keyed by the device id.
        let ts = v["timestamp"].as_str().unwrap().to_owned();
        let temperature = v["temperature"].as_i64().unwrap();
        assert_eq!(
            value,
            format!(
                r#"{{"device_id": {device}, "timestamp": "{ts}", "temperature": {temperature}}}"#
            )
        );
        assert_eq!(m.key().unwrap(), device.to_string().as_bytes());
        assert_eq!(i64::from(m.partition()), (device - 1) % 2);
        assert_eq!(ts.len(), 26, "{ts}");
        assert!(
            ts.as_bytes()[10] == b'T' && ts.as_bytes()[19] == b'.',
            "{ts}"
        );
        by_device.entry(device).or_default().push((ts, temperature));
    }
    assert_eq!(
        by_device.keys().copied().collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    for (device, readings) in &by_device {
        assert_eq!(readings.len(), 100, "device {device}");
        assert!(
            (25..=35).contains(&readings[0].1),
            "device {device}: {readings:?}"
        );
        for w in readings.windows(2) {
            assert!(
                (w[1].1 - w[0].1).abs() <= 1,
                "device {device}: a step of more than 1"
            );
            assert!(w[0].0 <= w[1].0, "device {device}: timestamps go back");
        }
    }
}

/// Produces `values` to partition 0 of `topic`, the one at `binary_header_at` with a header
/// named by bytes that are not UTF-8 (as a producer in another language can send), written
/// through librdkafka directly because rust-rdkafka only takes `&str` names.
fn produce_with_a_binary_header_name(
    bootstrap: &str,
    topic: &str,
    values: &[String],
    binary_header_at: usize,
) {
    use rdkafka::bindings::{rd_kafka_header_add, rd_kafka_headers_t};
    use rdkafka::message::OwnedHeaders;
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};

    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("batch.num.messages", "1")
        .set("linger.ms", "0")
        .create()
        .unwrap();
    for (i, value) in values.iter().enumerate() {
        let mut record = BaseRecord::<(), String>::to(topic)
            .payload(value)
            .partition(0);
        if i == binary_header_at {
            let headers = OwnedHeaders::new();
            let ptr = std::ptr::from_ref(headers.as_borrowed())
                .cast::<rd_kafka_headers_t>()
                .cast_mut();
            let name = [0xc3u8, 0x28];
            // SAFETY: `ptr` is the live header list `headers` owns; librdkafka copies the
            // name and the (empty) value.
            #[allow(unsafe_code)]
            unsafe {
                rd_kafka_header_add(ptr, name.as_ptr().cast(), 2, std::ptr::null(), 0);
            }
            record = record.headers(headers);
        }
        producer.send(record).map_err(|(e, _)| e).unwrap();
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_whose_header_name_is_not_utf8_is_dead_lettered_and_the_host_carries_on() {
    let (tansu, db, dir) = stack(1).await;
    let values: Vec<String> = (0..5)
        .map(|i| {
            format!(
                r#"{{"device_id": 7, "timestamp": "2026-11-25T12:00:0{i}.000000", "temperature": {}}}"#,
                20 + i
            )
        })
        .collect();
    produce_with_a_binary_header_name(&tansu.bootstrap(), TOPIC, &values, 2);

    let config = HostConfig::new(
        &tansu.bootstrap(),
        TOPIC,
        "binary-header",
        db.env(),
        dir.path(),
    );
    let host = Host::start(&config, "host");
    let letters = eventually("the dead letter", Duration::from_secs(60), async || {
        let letters = db.scan("dead-letters").await;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(
        dead_letter_coordinates(&letters),
        [(0, 2)],
        "{}",
        host.log()
    );
    assert_eq!(
        text(&letters[0], "reason"),
        "header 0's name is not UTF-8 (bytes c328)"
    );
    assert_eq!(
        letters[0].get("value"),
        Some(&aws_sdk_dynamodb::types::AttributeValue::B(
            aws_sdk_dynamodb::primitives::Blob::new(values[2].as_bytes())
        ))
    );
    // The other four readings are written, each counted once.
    eventually("the readings", Duration::from_secs(60), async || {
        let items = db.scan("readings").await;
        let counted: i64 = items
            .iter()
            .map(|i| text(i, "reading_count").parse::<i64>().unwrap())
            .sum();
        (counted == 4).then_some(())
    })
    .await;
    committed_eventually(&tansu, "binary-header", 1, &BTreeMap::from([(0, 5)])).await;
    assert_eq!(host.get("/healthz").0, 200, "{}", host.log());
    assert!(!host.log().contains("panicked"), "{}", host.log());
}
