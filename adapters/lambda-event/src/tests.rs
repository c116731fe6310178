#![allow(clippy::unwrap_used)]

use aws_lambda_events::event::kafka::KafkaEvent;
use base64::Engine as _;

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// One record as (topic, partition, offset, timestamp, key, value, headers).
type Flat = (
    String,
    i32,
    i64,
    i64,
    Option<Vec<u8>>,
    Vec<u8>,
    Vec<(String, Vec<u8>)>,
);

/// The records of our batch, flattened.
fn ours(batch: &Batch) -> Vec<Flat> {
    let mut out = Vec::new();
    for p in batch.partitions() {
        let (mut v0, mut k0) = (0usize, 0usize);
        for i in 0..p.offsets.len() {
            let (v1, k1) = (p.value_ends[i] as usize, p.key_ends[i] as usize);
            let headers = swapstream_core::batch::headers(p)
                .into_iter()
                .filter(|(r, _, _)| *r as usize == i)
                .map(|(_, n, v)| (n.to_owned(), v.to_vec()))
                .collect();
            out.push((
                p.topic.clone(),
                p.partition,
                p.offsets[i],
                p.timestamps_ms[i],
                (p.has_key[i] != 0).then(|| p.keys[k0..k1].to_vec()),
                p.values[v0..v1].to_vec(),
                headers,
            ));
            (v0, k0) = (v1, k1);
        }
    }
    out.sort();
    out
}

/// The same records as `aws_lambda_events` reads them. Its millisecond timestamps go through a
/// float and can come out 1 ms off (1795636000001 reads as …000), so timestamps are taken
/// from the raw JSON instead.
fn theirs(json: &[u8]) -> Vec<Flat> {
    let event: KafkaEvent = serde_json::from_slice(json).unwrap();
    let raw: serde_json::Value = serde_json::from_slice(json).unwrap();
    let timestamp = |topic: &str, partition: i64, offset: i64| {
        raw["records"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|v| v.as_array().unwrap())
            .find(|r| r["topic"] == topic && r["partition"] == partition && r["offset"] == offset)
            .unwrap()["timestamp"]
            .as_i64()
            .unwrap()
    };
    let b64 = |s: &Option<String>| s.as_ref().map(|s| BASE64.decode(s).unwrap());
    let mut out: Vec<Flat> = event
        .records
        .values()
        .flatten()
        .map(|r| {
            let headers = r
                .headers
                .iter()
                .flat_map(|h| {
                    h.iter()
                        .map(|(n, v)| (n.clone(), v.iter().map(|b| *b as u8).collect()))
                })
                .collect();
            (
                r.topic.clone().unwrap(),
                r.partition as i32,
                r.offset,
                timestamp(r.topic.as_deref().unwrap(), r.partition, r.offset),
                b64(&r.key),
                b64(&r.value).unwrap_or_default(),
                headers,
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn reads_the_msk_fixture_exactly_as_aws_lambda_events_does() {
    let json = fixture("msk-event.json");
    let event = decode(&json).unwrap();
    assert_eq!(event.event_source.as_deref(), Some("aws:kafka"));
    assert!(event.undecodable.is_empty());
    assert_eq!(ours(&event.batch), theirs(&json));
    assert_eq!(event.batch.len(), 12);
    assert_eq!(event.batch.partitions().len(), 2);
}

#[test]
fn reads_the_self_managed_fixture_exactly_as_aws_lambda_events_does() {
    let json = fixture("self-managed-kafka-event.json");
    let event = decode(&json).unwrap();
    assert_eq!(event.event_source.as_deref(), Some("SelfManagedKafka"));
    assert_eq!(ours(&event.batch), theirs(&json));
    assert_eq!(event.batch.partitions().len(), 3);
}

fn event_with(record: &str) -> Vec<u8> {
    format!(r#"{{"eventSource":"SelfManagedKafka","records":{{"t-7":[{record}]}}}}"#).into_bytes()
}

#[test]
fn a_value_that_is_not_base64_is_set_aside_with_its_coordinates() {
    let json = r#"{"records":{"t-7":[
            {"topic":"t","partition":7,"offset":1,"timestamp":5,"value":"b2s=","headers":[{"h":[1]}]},
            {"topic":"t","partition":7,"offset":2,"timestamp":6,"key":"a2V5","value":"%%%","headers":[{"h":[2]}]},
            {"topic":"t","partition":7,"offset":3,"timestamp":7,"value":"b2sy","headers":[]}
        ]}}"#;
    let event = decode(json.as_bytes()).unwrap();
    assert_eq!(
        event.undecodable,
        vec![Undecodable {
            coordinates: Coordinates {
                topic: "t".into(),
                partition: 7,
                offset: 2
            },
            reason: "record value is not valid base64: Invalid symbol 37, offset 0.".into(),
            raw: b"%%%".to_vec(),
        }]
    );
    // The good records around it are intact, headers included.
    let flat = ours(&event.batch);
    assert_eq!(
        flat,
        vec![
            (
                "t".into(),
                7,
                1,
                5,
                None,
                b"ok".to_vec(),
                vec![("h".into(), vec![1])]
            ),
            ("t".into(), 7, 3, 7, None, b"ok2".to_vec(), vec![]),
        ]
    );
}

#[test]
fn null_keys_and_values_are_empty_and_flagged() {
    let json = event_with(
        r#"{"topic":"t","partition":7,"offset":1,"timestamp":5,"key":null,"value":null,"headers":[]}"#,
    );
    let event = decode(&json).unwrap();
    let p = &event.batch.partitions()[0];
    assert_eq!(
        (p.has_key.clone(), p.values.clone(), p.value_ends.clone()),
        (vec![0], vec![], vec![0])
    );
}

#[test]
fn a_record_without_topic_takes_it_from_the_map_key() {
    let json =
        event_with(r#"{"partition":7,"offset":1,"timestamp":5,"value":"eA==","headers":[]}"#);
    let event = decode(&json).unwrap();
    assert_eq!(event.batch.partitions()[0].topic, "t");
}

#[test]
fn header_bytes_may_be_signed_as_java_sends_them() {
    let json = event_with(
        r#"{"topic":"t","partition":7,"offset":1,"timestamp":5,"value":"","headers":[{"h":[-1,127,-128]}]}"#,
    );
    let event = decode(&json).unwrap();
    assert_eq!(
        swapstream_core::batch::headers(&event.batch.partitions()[0]),
        vec![(0, "h", &[255, 127, 128][..])]
    );
    let json = event_with(
        r#"{"topic":"t","partition":7,"offset":1,"timestamp":5,"value":"","headers":[{"h":[256]}]}"#,
    );
    assert!(
        decode(&json)
            .unwrap_err()
            .to_string()
            .starts_with("header byte 256 is out of range")
    );
}

#[test]
fn malformed_events_are_errors_that_say_what_is_wrong() {
    let err = |json: &str| decode(json.as_bytes()).unwrap_err().to_string();
    assert_eq!(
        err("[]"),
        "invalid type: sequence, expected a Kafka event (an object with `records`) at line 1 column 0"
    );
    assert_eq!(
        err(r#"{"eventSource":"aws:kafka"}"#),
        "missing field `records` at line 1 column 27"
    );
    assert_eq!(
        err(r#"{"records":{"t-0":[{"partition":0,"timestamp":1}]}}"#),
        "missing field `offset` at line 1 column 48"
    );
    assert_eq!(
        err(r#"{"records":{"t-0":[{"partition":99999999999,"offset":1,"timestamp":1}]}}"#),
        "partition 99999999999 is out of range at line 1 column 70"
    );
}

#[test]
fn an_empty_event_is_an_empty_batch() {
    let event = decode(br#"{"records":{}}"#).unwrap();
    assert!(event.batch.is_empty() && event.undecodable.is_empty());
}
