//! Lambda mode under cargo-lambda's Runtime API emulator, writing to DynamoDB Local.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::AttributeValue;
use swapstream_tests::dynamodb::{DynamoDbLocal, text};
use swapstream_tests::lambda::LambdaFunction;
use swapstream_tests::telemetry::{self, Expected};

fn function_env(db: &DynamoDbLocal) -> Vec<(String, String)> {
    let mut env = db.env();
    // The reference Lambda's variable name, to show the drop-in replacement works.
    env.push(("DYNAMODB_TABLE_NAME".into(), "readings".into()));
    env.push(("SWAPSTREAM_DEAD_LETTER_TABLE".into(), "dead-letters".into()));
    env
}

/// Invokes a function writing to `db` with an event of `records`; returns the response body
/// of the invocation, which must succeed.
fn invoke_with(db: &DynamoDbLocal, dir: &std::path::Path, records: &[telemetry::Record]) -> String {
    let event_file = dir.join("event.json");
    std::fs::write(&event_file, telemetry::lambda_event(records).to_string()).unwrap();
    let mut function = LambdaFunction::start(&function_env(db), dir);
    let invocation = function.invoke(&event_file);
    assert!(
        invocation.ok,
        "{}\n{}",
        invocation.body,
        function.function_log()
    );
    invocation.body
}

#[tokio::test(flavor = "multi_thread")]
async fn a_10000_record_event_lands_in_dynamodb_exactly_as_the_reference_computes_it() {
    let db = DynamoDbLocal::start().await;
    db.create_items_table("readings").await;
    db.create_dead_letter_table("dead-letters").await;
    let dir = tempfile::tempdir().unwrap();

    let records = telemetry::generate("sensors", 4, 1000, 2500, 12, 100, 7);
    assert_eq!(records.len(), 10_000);
    let body = invoke_with(&db, dir.path(), &records);
    let response: serde_json::Value = serde_json::from_str(body.trim()).unwrap();
    let bad: Vec<_> = records.iter().filter(|r| r.bad).collect();
    assert!(
        bad.len() > 50,
        "the event has bad records of every kind: {}",
        bad.len()
    );
    assert_eq!(response["records"], 10_000);
    assert_eq!(response["rejected"], bad.len());

    // Every item, against the independently computed expectation.
    let expected = telemetry::expected(&records);
    let items = db.scan("readings").await;
    let got: BTreeMap<i64, Expected> = items
        .iter()
        .map(|item| {
            let e = Expected::from_parts(
                text(item, "window_start"),
                text(item, "window_stop"),
                text(item, "avg_temp").parse().unwrap(),
                text(item, "reading_count").parse().unwrap(),
            );
            (text(item, "device_id").parse().unwrap(), e)
        })
        .collect();
    assert_eq!(got, expected);
    let lineage = text(&items[0], "module");
    assert!(lineage.starts_with("average@1.0.0#"), "{lineage}");

    // Every rejection: its coordinates, its raw value, a reason.
    let letters = db.scan("dead-letters").await;
    let got: BTreeSet<(String, i64, i64)> = letters
        .iter()
        .map(|l| {
            (
                text(l, "topic"),
                text(l, "partition").parse().unwrap(),
                text(l, "offset").parse().unwrap(),
            )
        })
        .collect();
    let want: BTreeSet<(String, i64, i64)> = bad
        .iter()
        .map(|r| (r.topic.clone(), i64::from(r.partition), r.offset))
        .collect();
    assert_eq!(got, want);
    for letter in &letters {
        let offset: i64 = text(letter, "offset").parse().unwrap();
        let partition: i32 = text(letter, "partition").parse().unwrap();
        let record = bad
            .iter()
            .find(|r| r.offset == offset && r.partition == partition)
            .unwrap();
        let raw = match letter.get("value") {
            Some(AttributeValue::B(b)) => b.as_ref().to_vec(),
            other => panic!("value: {other:?}"),
        };
        let want_raw = record
            .value
            .clone()
            .unwrap_or_else(|| record.bad_base64.clone().unwrap().into_bytes());
        assert_eq!(raw, want_raw, "raw value kept for {partition}/{offset}");
        assert_eq!(text(letter, "source"), format!("sensors/{partition}"));
        assert!(!text(letter, "reason").is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_invocation_fails_while_dynamodb_refuses_writes_so_the_batch_is_retried() {
    let db = DynamoDbLocal::start().await;
    db.create_items_table("readings").await;
    db.create_dead_letter_table("dead-letters").await;
    let dir = tempfile::tempdir().unwrap();
    let event_file = dir.path().join("event.json");
    std::fs::copy(
        swapstream_tests::workspace_root().join("tests/fixtures/msk-event.json"),
        &event_file,
    )
    .unwrap();

    let mut function = LambdaFunction::start(&function_env(&db), dir.path());
    // The table disappears after the function started: the write fails, and so must the
    // invocation, or the event source mapping would move past unwritten records.
    db.delete_table("readings").await;
    let failed = function.invoke(&event_file);
    assert!(!failed.ok, "{}", failed.body);
    assert!(failed.body.contains("SinkFailed"), "{}", failed.body);

    // The retry, once the table is back, writes the batch.
    db.create_items_table("readings").await;
    let retried = function.invoke(&event_file);
    assert!(retried.ok, "{}\n{}", retried.body, function.function_log());
    let items = db.scan("readings").await;
    let mut got: Vec<(String, String)> = items
        .iter()
        .map(|i| (text(i, "device_id"), text(i, "avg_temp")))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![("1".into(), "34".into()), ("3".into(), "24".into())]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_record_over_dynamodbs_item_limit_is_dead_lettered_cut_with_its_length_and_sha256()
 {
    use sha2::{Digest, Sha256};
    use swapstream_tests::telemetry::Record;
    let db = DynamoDbLocal::start().await;
    db.create_items_table("readings").await;
    db.create_dead_letter_table("dead-letters").await;
    let dir = tempfile::tempdir().unwrap();

    // 500 KB that is not JSON: whole, its dead letter would be over DynamoDB's 400 KB limit,
    // refused on every retry, and the batch around it would never be written.
    let huge: Vec<u8> = (0..500_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let good = br#"{"device_id": 5, "timestamp": "2026-11-25T12:00:00.000001", "temperature": 30}"#;
    let record = |offset: i64, value: &[u8], bad: bool| Record {
        topic: "sensors".into(),
        partition: 0,
        offset,
        value: Some(value.to_vec()),
        bad_base64: None,
        bad,
    };
    invoke_with(
        &db,
        dir.path(),
        &[record(7, good, false), record(8, &huge, true)],
    );

    let items = db.scan("readings").await;
    assert_eq!(items.len(), 1);
    assert_eq!(
        (text(&items[0], "device_id"), text(&items[0], "avg_temp")),
        ("5".to_owned(), "30".to_owned())
    );
    let letters = db.scan("dead-letters").await;
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(
        (text(letter, "source"), text(letter, "offset")),
        ("sensors/0".to_owned(), "8".to_owned())
    );
    let kept = match letter.get("value") {
        Some(AttributeValue::B(b)) => b.as_ref().to_vec(),
        other => panic!("value: {other:?}"),
    };
    assert_eq!(kept, huge[..64 * 1024]);
    assert_eq!(text(letter, "value_length"), "500000");
    assert_eq!(
        text(letter, "value_sha256"),
        hex::encode(Sha256::digest(&huge))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_item_dynamodb_would_refuse_is_dead_lettered_with_its_rule_and_the_batch_written() {
    use swapstream_tests::telemetry::Record;
    let db = DynamoDbLocal::start().await;
    db.create_items_table("readings").await;
    db.create_dead_letter_table("dead-letters").await;
    let dir = tempfile::tempdir().unwrap();

    // `stats` writes min and max as the readings have them: device 6's readings average to 2,
    // but its maximum, 10^38 + 5, has 39 significant digits where DynamoDB keeps 38, so its
    // item can never be written; retrying the batch would fail every time and device 5's item
    // would never land.
    let value = |device: u32, temperature: &str| {
        format!(
            r#"{{"device_id": {device}, "timestamp": "2026-11-25T12:00:00.000001", "temperature": {temperature}}}"#
        )
        .into_bytes()
    };
    let record = |offset: i64, value: Vec<u8>| Record {
        topic: "sensors".into(),
        partition: 3,
        offset,
        value: Some(value),
        bad_base64: None,
        bad: false,
    };
    let mut env = function_env(&db);
    env.push(("SWAPSTREAM_MODULE".into(), "builtin:stats".into()));
    let event_file = dir.path().join("event.json");
    std::fs::write(
        &event_file,
        telemetry::lambda_event(&[
            record(20, value(5, "30")),
            record(21, value(6, "100000000000000000000000000000000000005")),
            record(22, value(6, "-100000000000000000000000000000000000000")),
        ])
        .to_string(),
    )
    .unwrap();
    let mut function = LambdaFunction::start(&env, dir.path());
    let invocation = function.invoke(&event_file);
    assert!(
        invocation.ok,
        "{}\n{}",
        invocation.body,
        function.function_log()
    );

    let items = db.scan("readings").await;
    let devices: Vec<String> = items.iter().map(|i| text(i, "device_id")).collect();
    assert_eq!(devices, vec!["5"]);
    let letters = db.scan("dead-letters").await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let letter = &letters[0];
    assert_eq!(
        (
            text(letter, "source"),
            text(letter, "offset"),
            text(letter, "kind")
        ),
        (
            "sensors/3@20/items".to_owned(),
            "1".to_owned(),
            "item".to_owned()
        )
    );
    let reason = text(letter, "reason");
    assert!(
        reason.starts_with("item cannot be written: attribute `")
            && reason.ends_with(
                "100000000000000000000000000000000000005 has 39 significant digits (most: 38)"
            ),
        "{reason}"
    );
    let kept = match letter.get("value") {
        Some(AttributeValue::B(b)) => String::from_utf8(b.as_ref().to_vec()).unwrap(),
        other => panic!("value: {other:?}"),
    };
    let kept: serde_json::Value = serde_json::from_str(&kept).unwrap();
    assert_eq!(kept["device_id"], serde_json::json!({"N": "6"}));
}
