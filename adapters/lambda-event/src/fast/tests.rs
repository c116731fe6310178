//! The fast path against the serde reference: same batch, same undecodable records, same event
//! source, and (through the fallback) the same error text, for any input.

// Tests may panic: indexing is how they assert.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use proptest::prelude::*;

use super::super::{KafkaEventBatch, decode, decode_with_serde};
use super::Unsupported;
use swapstream_core::batch::{Coordinates, Undecodable};

/// Everything a decoded event holds, exactly: `Debug` lists every column of every partition,
/// the undecodable records and the event source.
fn snapshot(event: &KafkaEventBatch) -> String {
    format!("{event:?}")
}

/// What serde makes of `json`: the decoded event or the error text.
fn reference(json: &[u8]) -> Result<String, String> {
    decode_with_serde(json)
        .map(|e| snapshot(&e))
        .map_err(|e| e.to_string())
}

/// What [`decode`] (fast path, then serde if it gives up) makes of `json`.
fn decoded(json: &[u8]) -> Result<String, String> {
    decode(json)
        .map(|e| snapshot(&e))
        .map_err(|e| e.to_string())
}

/// Asserts the fast path either gives up or agrees with serde, and that `decode` agrees with
/// serde in every case; returns what the fast path did.
fn check(json: &[u8]) -> Result<Result<(), Unsupported>, TestCaseError> {
    let expected = reference(json);
    let fast = super::decode(json);
    if let Ok(event) = &fast {
        prop_assert_eq!(Ok(snapshot(event)), expected.clone(), "fast path differs");
    }
    prop_assert_eq!(decoded(json), expected, "decode differs");
    Ok(fast.map(|_| ()))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// An event of `records` (record objects, comma-separated) under map key `t-7`.
fn event_with(records: &str) -> Vec<u8> {
    format!(r#"{{"eventSource":"SelfManagedKafka","records":{{"t-7":[{records}]}}}}"#).into_bytes()
}

/// A record as the ESM writes it, with key `k` and value `v` before base64.
fn esm_record(offset: i64, key: &str, value: &str) -> String {
    format!(
        r#"{{"topic":"t","partition":7,"offset":{offset},"timestamp":{},"timestampType":"CREATE_TIME","key":"{}","value":"{}","headers":[{{"source":[115,119,97,112]}}]}}"#,
        1_795_636_000_000 + offset,
        BASE64.encode(key),
        BASE64.encode(value)
    )
}

#[test]
fn fast_path_matches_fixtures() {
    for name in ["msk-event.json", "self-managed-kafka-event.json"] {
        let json = fixture(name);
        let fast = super::decode(&json).unwrap();
        assert_eq!(Ok(snapshot(&fast)), reference(&json), "{name}");
        assert!(fast.undecodable.is_empty(), "{name}");
    }
    let msk = super::decode(&fixture("msk-event.json")).unwrap();
    assert_eq!(msk.event_source.as_deref(), Some("aws:kafka"));
    assert_eq!(msk.batch.len(), 12);
}

#[test]
fn fast_path_reads_the_esm_layout_into_the_same_columns() {
    let json = event_with(&[esm_record(1, "k1", "one"), esm_record(2, "", "two")].join(","));
    let event = super::decode(&json).unwrap();
    assert_eq!(event.event_source.as_deref(), Some("SelfManagedKafka"));
    assert!(event.undecodable.is_empty());
    let p = &event.batch.partitions()[0];
    assert_eq!((p.topic.as_str(), p.partition), ("t", 7));
    assert_eq!(p.offsets, vec![1, 2]);
    assert_eq!(p.timestamps_ms, vec![1_795_636_000_001, 1_795_636_000_002]);
    assert_eq!(p.values, b"onetwo");
    assert_eq!(p.value_ends, vec![3, 6]);
    assert_eq!(p.keys, b"k1");
    assert_eq!(p.key_ends, vec![2, 2]);
    assert_eq!(p.has_key, vec![1, 1]);
    assert_eq!(
        swapstream_core::batch::headers(p),
        vec![(0, "source", &b"swap"[..]), (1, "source", &b"swap"[..])]
    );
    assert_eq!(Ok(snapshot(&event)), reference(&json));
}

/// One record's fields and headers, read by `esm_record` (`template`) or `any_record`.
fn read_record(json: &[u8], template: bool) -> Option<String> {
    let mut s = super::Scanner {
        bytes: json,
        pos: 0,
    };
    let mut scratch = super::Scratch::default();
    let f = if template {
        s.esm_record(&mut scratch)?
    } else {
        s.any_record(&mut scratch).ok()?
    };
    Some(format!(
        "{:?} {} {} {} {:?} {:?} {:?} {:?}",
        f.topic,
        f.partition,
        f.offset,
        f.timestamp,
        f.key,
        f.value,
        scratch.headers,
        scratch.header_bytes
    ))
}

#[test]
fn the_esm_layout_is_read_token_by_token_and_anything_else_field_by_field() {
    let esm = esm_record(3, "k", "v");
    let template = read_record(esm.as_bytes(), true);
    let general = read_record(esm.as_bytes(), false);
    assert_eq!(template, general);
    assert_eq!(
        template.as_deref(),
        Some(
            r#"Some("t") 7 3 1795636000003 Some([97, 119, 61, 61]) Some([100, 103, 61, 61]) [("source", 0..4)] [115, 119, 97, 112]"#
        )
    );
    // One space, a field out of order, two names in a header object: not the layout.
    for other in [
        esm.replacen(r#","offset""#, r#", "offset""#, 1),
        esm.replacen(r#""topic":"t","#, "", 1)
            .replacen("}]}", r#"}],"topic":"t"}"#, 1),
        esm.replacen(r#"{"source""#, r#"{"a":[],"source""#, 1),
    ] {
        assert_eq!(read_record(other.as_bytes(), true), None, "{other}");
        let json = event_with(&other);
        assert_eq!(check(&json).unwrap(), Ok(()), "{other}");
    }
}

#[test]
fn fast_path_takes_fields_in_any_order_with_whitespace() {
    let json = b" {\r\n\"records\" : { \"t-3\" : [ { \"headers\" : [ { \"a\" : [ -1 , 0 , 255 ] , \"b\" : [ ] } , { } ] ,\t\"value\" : null , \"key\" : \"eA==\" , \"timestamp\" : -5 , \"offset\" : 0 , \"partition\" : 3 } ] } , \"eventSource\" : null } \n";
    let event = super::decode(json).unwrap();
    assert_eq!(event.event_source, None);
    let p = &event.batch.partitions()[0];
    // No `topic`: it comes from the map key.
    assert_eq!((p.topic.as_str(), p.partition), ("t", 3));
    assert_eq!(
        (p.offsets.clone(), p.timestamps_ms.clone()),
        (vec![0], vec![-5])
    );
    assert_eq!(
        (p.keys.clone(), p.has_key.clone()),
        (b"x".to_vec(), vec![1])
    );
    assert_eq!(
        swapstream_core::batch::headers(p),
        vec![(0, "a", &[255, 0, 255][..]), (0, "b", &[][..])]
    );
    assert_eq!(Ok(snapshot(&event)), reference(json));
}

#[test]
fn fast_path_skips_unknown_fields_of_any_shape() {
    let record = r#"{"x":{"a":[1,-2.5e+3,0.0,true,false,null,"s",{},[[]],{"b":{"c":"é"}}]},"topic":"t","partition":7,"offset":1,"timestamp":5,"value":"b2s=","y":-0,"z":[]}"#;
    let json = format!(
        r#"{{"eventSourceArn":"arn:x","n":{{"deep":[[[{{"k":[1E2]}}]]]}},"records":{{"t-7":[{record}]}},"after":"x"}}"#
    );
    let event = super::decode(json.as_bytes()).unwrap();
    assert_eq!(event.batch.partitions()[0].values, b"ok");
    assert_eq!(event.event_source, None);
    assert_eq!(Ok(snapshot(&event)), reference(json.as_bytes()));
}

#[test]
fn fast_path_falls_back_on_escaped_strings() {
    // An escaped topic, an escaped map key, an escaped `/` in base64 (some encoders write
    // `\/`), and an escaped field name: all valid, all left to serde.
    let cases = [
        event_with(r#"{"topic":"t\u00e9","partition":7,"offset":1,"timestamp":5,"value":"b2s="}"#),
        br#"{"records":{"t\u002d7":[{"partition":7,"offset":1,"timestamp":5,"value":"b2s="}]}}"#
            .to_vec(),
        event_with(r#"{"topic":"t","partition":7,"offset":1,"timestamp":5,"value":"Pz8\/"}"#),
        event_with(r#"{"topic":"t","partition":7,"offs\u0065t":1,"timestamp":5,"value":"b2s="}"#),
    ];
    for json in &cases {
        assert_eq!(super::decode(json).unwrap_err(), Unsupported::Escape);
        assert_eq!(decoded(json), reference(json));
    }
    let topic = |json: &[u8]| decode(json).unwrap().batch.partitions()[0].topic.clone();
    assert_eq!(topic(&cases[0]), "té");
    assert_eq!(topic(&cases[1]), "t");
    assert_eq!(
        decode(&cases[2]).unwrap().batch.partitions()[0].values,
        b"???"
    );
    assert_eq!(
        decode(&cases[3]).unwrap().batch.partitions()[0].offsets,
        [1]
    );
}

#[test]
fn giving_up_midway_leaves_no_partial_batch() {
    // The first records are fine for the fast path; the last has an escape. serde must start
    // over on an empty batch: each record exactly once.
    let mut records: Vec<String> = (0..5).map(|o| esm_record(o, "k", "v")).collect();
    records.push(
        r#"{"topic":"t","partition":7,"offset":5,"timestamp":5,"value":"\u0062\u0032\u0073\u003d"}"#
            .to_owned(),
    );
    let json = event_with(&records.join(","));
    assert_eq!(super::decode(&json).unwrap_err(), Unsupported::Escape);
    let event = decode(&json).unwrap();
    let p = &event.batch.partitions()[0];
    assert_eq!(p.offsets, vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(p.values, b"vvvvvok");
    assert_eq!(p.header_records.len(), 5);
    assert_eq!(Ok(snapshot(&event)), reference(&json));
}

#[test]
fn fast_path_sets_aside_undecodable_records_with_serdes_reasons() {
    let records = [
        r#"{"topic":"t","partition":7,"offset":1,"timestamp":5,"key":"a2V5","value":"%%%","headers":[{"h":[1]}]}"#,
        r#"{"topic":"t","partition":7,"offset":2,"timestamp":5,"key":"a2V","value":"b2s="}"#,
        r#"{"topic":"t","partition":7,"offset":3,"timestamp":5,"value":"déjà"}"#,
        r#"{"topic":"t","partition":7,"offset":4,"timestamp":5,"value":"b2s=","headers":[{"h":[2]}]}"#,
    ];
    let json = event_with(&records.join(","));
    let event = super::decode(&json).unwrap();
    let at = |offset| Coordinates {
        topic: "t".into(),
        partition: 7,
        offset,
    };
    assert_eq!(
        event.undecodable,
        vec![
            Undecodable {
                coordinates: at(1),
                reason: "record value is not valid base64: Invalid symbol 37, offset 0.".into(),
                raw: b"%%%".to_vec(),
            },
            Undecodable {
                coordinates: at(2),
                reason: "record key is not valid base64: Invalid padding".into(),
                raw: b"b2s=".to_vec(),
            },
            Undecodable {
                coordinates: at(3),
                reason: "record value is not valid base64: Invalid symbol 195, offset 1.".into(),
                raw: "déjà".as_bytes().to_vec(),
            },
        ]
    );
    let p = &event.batch.partitions()[0];
    assert_eq!(
        (p.offsets.clone(), p.values.clone()),
        (vec![4], b"ok".to_vec())
    );
    assert_eq!(swapstream_core::batch::headers(p), vec![(0, "h", &[2][..])]);
    assert_eq!(Ok(snapshot(&event)), reference(&json));
}

#[test]
fn fast_path_gives_up_where_serde_rejects_the_event() {
    let cases: [(&[u8], Unsupported); 10] = [
        (br#"{"records":{"t-0":[{"partition":0,"timestamp":1}]}}"#, Unsupported::Field),
        (
            br#"{"records":{"t-0":[{"partition":0,"offset":1,"offset":2,"timestamp":1}]}}"#,
            Unsupported::Field,
        ),
        (br#"{"eventSource":"aws:kafka"}"#, Unsupported::Field),
        (
            br#"{"records":{"t-0":[{"partition":99999999999,"offset":1,"timestamp":1}]}}"#,
            Unsupported::Record,
        ),
        (
            br#"{"records":{"t-0":[{"partition":0,"offset":-0,"timestamp":1}]}}"#,
            Unsupported::Number,
        ),
        (
            br#"{"records":{"t-0":[{"partition":1.0,"offset":1,"timestamp":1}]}}"#,
            Unsupported::Number,
        ),
        (
            br#"{"records":{"t-0":[{"partition":0,"offset":1,"timestamp":1,"headers":[{"h":[256]}]}]}}"#,
            Unsupported::Number,
        ),
        (
            b"{\"records\":{\"t-0\":[{\"partition\":0,\"offset\":1,\"timestamp\":1,\"value\":\"%\x01\"}]}}",
            Unsupported::InvalidString,
        ),
        (br#"{"records":{}} x"#, Unsupported::Syntax),
        (br#"{"records":{"t-0":[{"partition":0,"offset":01,"timestamp":1}]}}"#, Unsupported::Syntax),
    ];
    for (json, why) in cases {
        assert_eq!(
            super::decode(json).unwrap_err(),
            why,
            "{}",
            String::from_utf8_lossy(json)
        );
        assert!(
            reference(json).is_err(),
            "{}",
            String::from_utf8_lossy(json)
        );
        assert_eq!(decoded(json), reference(json));
    }
    // The messages are serde's, unchanged.
    assert_eq!(
        decode(br#"{"records":{"t-0":[{"partition":0,"offset":1,"offset":2,"timestamp":1}]}}"#)
            .unwrap_err()
            .to_string(),
        "duplicate field `offset` at line 1 column 53"
    );
}

#[test]
fn fast_path_gives_up_on_invalid_utf8_only_where_serde_reads_a_str() {
    // In a skipped value serde does not check UTF-8: the fast path reads it too.
    let skipped = b"{\"note\":\"\xff\",\"records\":{}}";
    assert!(super::decode(skipped).is_ok());
    assert_eq!(decoded(skipped), reference(skipped));
    assert!(reference(skipped).is_ok());
    // In a topic serde rejects it.
    let topic = b"{\"records\":{\"t-0\":[{\"topic\":\"\xff\",\"partition\":0,\"offset\":1,\"timestamp\":1}]}}";
    assert_eq!(
        super::decode(topic).unwrap_err(),
        Unsupported::InvalidString
    );
    assert!(reference(topic).is_err());
    assert_eq!(decoded(topic), reference(topic));
}

#[test]
fn repeated_event_fields_behave_as_with_serde() {
    // serde keeps the last `eventSource` and adds every `records` to the batch.
    let json = br#"{"eventSource":"a","records":{"t-0":[{"partition":0,"offset":1,"timestamp":1,"value":"eA=="}]},"eventSource":"b","records":{"t-0":[{"partition":0,"offset":2,"timestamp":1,"value":"eQ=="}]}}"#;
    let event = super::decode(json).unwrap();
    assert_eq!(event.event_source.as_deref(), Some("b"));
    assert_eq!(event.batch.partitions()[0].values, b"xy");
    assert_eq!(Ok(snapshot(&event)), reference(json));
}

#[test]
fn deep_unknown_values_fall_back_to_serde() {
    // serde skips ignored values without a depth limit; the fast path tracks 128 levels.
    let deep = format!(
        r#"{{"x":{}{},"records":{{}}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    assert_eq!(
        super::decode(deep.as_bytes()).unwrap_err(),
        Unsupported::TooDeep
    );
    assert_eq!(decoded(deep.as_bytes()), reference(deep.as_bytes()));
    let fine = format!(
        r#"{{"x":{}{},"records":{{}}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert!(super::decode(fine.as_bytes()).is_ok());
    assert_eq!(decoded(fine.as_bytes()), reference(fine.as_bytes()));
}

#[test]
fn truncated_events_fall_back_and_keep_serdes_errors() {
    let json = event_with(&[esm_record(1, "k", "one"), esm_record(2, "k", "two")].join(","));
    for end in 0..json.len() {
        let prefix = json.get(..end).unwrap();
        assert!(super::decode(prefix).is_err(), "{end}");
        assert_eq!(decoded(prefix), reference(prefix), "{end}");
    }
}

// ---- Generated events ----

/// A JSON string: its text, and whether to write its first character as a `\u` escape.
#[derive(Debug, Clone)]
struct Text {
    text: String,
    escape_first: bool,
}

/// A number token: mostly integers, sometimes what serde reads differently (`-0`, floats,
/// leading zeros, overflow).
#[derive(Debug, Clone)]
enum Num {
    Int(i64),
    Token(&'static str),
}

/// Any JSON value, for unknown fields.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Num(Num),
    Float(f64),
    Str(Text),
    Array(Vec<Json>),
    Object(Vec<(Text, Json)>),
}

/// A key or value: absent, `null`, or text (base64 or not).
#[derive(Debug, Clone)]
enum Nullable<T> {
    Null,
    Some(T),
}

/// One element of `headers`: names and their byte values.
type HeaderObject = Vec<(Text, Vec<Num>)>;

/// A record member.
#[derive(Debug, Clone)]
enum Member {
    Topic(Nullable<Text>),
    Partition(Num),
    Offset(Num),
    Timestamp(Num),
    Key(Nullable<Text>),
    Value(Nullable<Text>),
    Headers(Nullable<Vec<HeaderObject>>),
    Unknown(Text, Json),
}

/// A top-level member of the event.
#[derive(Debug, Clone)]
enum EventMember {
    EventSource(Nullable<Text>),
    Records(Vec<(Text, Vec<Vec<Member>>)>),
    Unknown(Text, Json),
}

fn plain(text: impl Into<String>) -> Text {
    Text {
        text: text.into(),
        escape_first: false,
    }
}

/// Short text with `-`, digits, non-ASCII and the odd character JSON must escape.
fn text() -> impl Strategy<Value = Text> {
    (
        prop_oneof![
            50 => "[a-z]{1,6}(-[0-9]{1,2})?",
            1 => "[a-zé✓\"\\\\/\t -]{0,6}",
        ],
        prop::bool::weighted(0.01),
    )
        .prop_map(|(text, escape_first)| Text { text, escape_first })
}

/// Base64 text: mostly valid, sometimes not (bad symbols, length or padding), non-ASCII, or
/// with an escaped `/`.
fn base64_text() -> impl Strategy<Value = Text> {
    prop_oneof![
        20 => prop::collection::vec(any::<u8>(), 0..24).prop_map(|b| plain(BASE64.encode(b))),
        2 => "[A-Za-z0-9+/=%]{0,9}".prop_map(plain),
        1 => "[A-Za-z0-9é]{0,8}".prop_map(plain),
        1 => "[A-Za-z0-9+/]{1,8}[\u{1}-\u{1f}]".prop_map(plain),
        1 => prop::collection::vec(any::<u8>(), 1..12).prop_map(|b| Text {
            text: BASE64.encode(b),
            escape_first: true,
        }),
    ]
}

fn num(ints: impl Strategy<Value = i64>) -> impl Strategy<Value = Num> {
    prop_oneof![
        100 => ints.prop_map(Num::Int),
        1 => prop::sample::select(vec![
            "-0", "1.0", "1e3", "01", "-", "99999999999999999999", "-9223372036854775808",
            "9223372036854775807", "2147483648", "-2147483649",
        ])
        .prop_map(Num::Token),
    ]
}

fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        num(any::<i64>()).prop_map(Json::Num),
        (-1e6..1e6f64).prop_map(Json::Float),
        text().prop_map(Json::Str),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec((text(), inner), 0..4).prop_map(Json::Object),
        ]
    })
}

fn nullable<T: std::fmt::Debug + Clone>(
    some: impl Strategy<Value = T>,
) -> impl Strategy<Value = Nullable<T>> {
    prop_oneof![1 => Just(Nullable::Null), 6 => some.prop_map(Nullable::Some)]
}

/// A record's members in random order: each field present or not (the required ones almost
/// always), sometimes an unknown field, now and then one repeated.
fn record() -> impl Strategy<Value = Vec<Member>> {
    let header_bytes = prop::collection::vec(num(-128i64..=255), 0..5);
    let headers = prop::collection::vec(prop::collection::vec((text(), header_bytes), 0..3), 0..3);
    (
        prop::option::weighted(0.8, nullable(text()).prop_map(Member::Topic)),
        prop::option::weighted(0.995, num(0i64..4).prop_map(Member::Partition)),
        prop::option::weighted(0.995, num(any::<i64>()).prop_map(Member::Offset)),
        prop::option::weighted(0.995, num(any::<i64>()).prop_map(Member::Timestamp)),
        prop::option::weighted(0.8, nullable(base64_text()).prop_map(Member::Key)),
        prop::option::weighted(0.9, nullable(base64_text()).prop_map(Member::Value)),
        prop::option::weighted(0.8, nullable(headers).prop_map(Member::Headers)),
        prop::collection::vec(
            (text(), json()).prop_map(|(k, v)| Member::Unknown(k, v)),
            0..2,
        ),
        prop::bool::weighted(0.01),
    )
        .prop_flat_map(|(t, p, o, ts, k, v, h, unknown, repeat)| {
            let mut members: Vec<Member> = [t, p, o, ts, k, v, h].into_iter().flatten().collect();
            members.extend(unknown);
            if repeat && let Some(first) = members.first().cloned() {
                members.push(first);
            }
            Just(members).prop_shuffle()
        })
}

fn event() -> impl Strategy<Value = Vec<EventMember>> {
    let partition = (text(), prop::collection::vec(record(), 0..5));
    let records = prop::collection::vec(partition, 0..4).prop_map(EventMember::Records);
    (
        prop::option::weighted(0.8, nullable(text()).prop_map(EventMember::EventSource)),
        prop::option::weighted(0.97, records),
        prop::collection::vec(
            (text(), json()).prop_map(|(k, v)| EventMember::Unknown(k, v)),
            0..3,
        ),
        prop::bool::weighted(0.03),
    )
        .prop_flat_map(|(source, records, unknown, repeat)| {
            let mut members: Vec<EventMember> = source.into_iter().chain(records).collect();
            members.extend(unknown);
            if repeat && let Some(first) = members.first().cloned() {
                members.push(first);
            }
            Just(members).prop_shuffle()
        })
}

/// Writes generated events as JSON, with whitespace from `spaces` between tokens.
struct Writer {
    out: String,
    spaces: Vec<&'static str>,
    next: usize,
}

impl Writer {
    fn new(spaces: Vec<&'static str>) -> Self {
        Self {
            out: String::new(),
            spaces,
            next: 0,
        }
    }

    fn ws(&mut self) {
        if let Some(s) = self.spaces.get(self.next % self.spaces.len().max(1)) {
            self.out.push_str(s);
        }
        self.next += 1;
    }

    fn token(&mut self, t: &str) {
        self.ws();
        self.out.push_str(t);
    }

    fn text(&mut self, t: &Text) {
        self.ws();
        self.out.push('"');
        for (i, c) in t.text.chars().enumerate() {
            match c {
                _ if i == 0 && t.escape_first && (c as u32) < 0x10000 => {
                    self.out.push_str(&format!("\\u{:04x}", c as u32));
                }
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                c if (c as u32) < 0x20 => self.out.push_str(&format!("\\u{:04x}", c as u32)),
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    fn num(&mut self, n: &Num) {
        match n {
            Num::Int(i) => self.token(&i.to_string()),
            Num::Token(t) => self.token(t),
        }
    }

    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        self.token("[");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.token(",");
            }
            each(self, item);
        }
        self.token("]");
    }

    fn object<T>(&mut self, members: &[T], mut each: impl FnMut(&mut Self, &T)) {
        self.token("{");
        for (i, member) in members.iter().enumerate() {
            if i > 0 {
                self.token(",");
            }
            each(self, member);
        }
        self.token("}");
    }

    fn key(&mut self, key: &str) {
        self.text(&plain(key));
        self.token(":");
    }

    fn nullable<T>(&mut self, n: &Nullable<T>, some: impl FnOnce(&mut Self, &T)) {
        match n {
            Nullable::Null => self.token("null"),
            Nullable::Some(v) => some(self, v),
        }
    }

    fn json(&mut self, v: &Json) {
        match v {
            Json::Null => self.token("null"),
            Json::Bool(b) => self.token(&b.to_string()),
            Json::Num(n) => self.num(n),
            Json::Float(f) => self.token(&format!("{f:e}")),
            Json::Str(t) => self.text(t),
            Json::Array(items) => self.list(items, Self::json),
            Json::Object(members) => self.object(members, |w, (k, v)| {
                w.text(k);
                w.token(":");
                w.json(v);
            }),
        }
    }

    fn member(&mut self, m: &Member) {
        match m {
            Member::Topic(t) => {
                self.key("topic");
                self.nullable(t, Self::text);
            }
            Member::Partition(n) => {
                self.key("partition");
                self.num(n);
            }
            Member::Offset(n) => {
                self.key("offset");
                self.num(n);
            }
            Member::Timestamp(n) => {
                self.key("timestamp");
                self.num(n);
            }
            Member::Key(t) => {
                self.key("key");
                self.nullable(t, Self::text);
            }
            Member::Value(t) => {
                self.key("value");
                self.nullable(t, Self::text);
            }
            Member::Headers(h) => {
                self.key("headers");
                self.nullable(h, |w, h| {
                    w.list(h, |w, entries| {
                        w.object(entries, |w, (name, bytes)| {
                            w.text(name);
                            w.token(":");
                            w.list(bytes, Self::num);
                        })
                    })
                });
            }
            Member::Unknown(k, v) => {
                self.text(k);
                self.token(":");
                self.json(v);
            }
        }
    }

    fn event(mut self, members: &[EventMember]) -> Vec<u8> {
        self.object(members, |w, m| match m {
            EventMember::EventSource(s) => {
                w.key("eventSource");
                w.nullable(s, Self::text);
            }
            EventMember::Records(partitions) => {
                w.key("records");
                w.object(partitions, |w, (key, records)| {
                    w.text(key);
                    w.token(":");
                    w.list(records, |w, r| w.object(r, Self::member));
                });
            }
            EventMember::Unknown(k, v) => {
                w.text(k);
                w.token(":");
                w.json(v);
            }
        });
        self.ws();
        self.out.into_bytes()
    }
}

fn spaces() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(
        prop::sample::select(vec!["", "", "", "", " ", "\n", "\t", "\r\n", "  "]),
        1..16,
    )
}

/// An event and its JSON.
fn event_json() -> impl Strategy<Value = Vec<u8>> {
    (event(), spaces()).prop_map(|(event, spaces)| Writer::new(spaces).event(&event))
}

/// A byte-level change to an event.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = prop_oneof![
        prop::sample::select(b"{}[]\",:\\-0123456789.eE nul \x01\xff\xc3A=".to_vec()),
        any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(json: &mut Vec<u8>, m: &Mutation) {
    let at = |i: usize, len: usize| i.checked_rem(len).unwrap_or(0);
    match *m {
        Mutation::Set(i, b) => {
            let i = at(i, json.len());
            if let Some(x) = json.get_mut(i) {
                *x = b;
            }
        }
        Mutation::Insert(i, b) => json.insert(at(i, json.len() + 1), b),
        Mutation::Remove(i) => {
            if !json.is_empty() {
                json.remove(at(i, json.len()));
            }
        }
        Mutation::Truncate(i) => json.truncate(at(i, json.len() + 1)),
    }
}

/// Events as the ESM writes them: the fast path must take every one (or it is not fast).
fn esm_event() -> impl Strategy<Value = Vec<u8>> {
    let record = (
        "[a-z]{1,8}",
        0i32..4,
        any::<i64>(),
        any::<i64>(),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..16)),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
        prop::collection::vec(("[a-z]{1,6}", prop::collection::vec(-128i16..=127, 0..6)), 0..3),
    )
        .prop_map(|(topic, partition, offset, timestamp, key, value, headers)| {
            let text = |b: Option<Vec<u8>>| b.map_or("null".to_owned(), |b| format!("\"{}\"", BASE64.encode(b)));
            let headers: Vec<String> = headers
                .iter()
                .map(|(name, bytes)| {
                    let bytes: Vec<String> = bytes.iter().map(i16::to_string).collect();
                    format!(r#"{{"{name}":[{}]}}"#, bytes.join(","))
                })
                .collect();
            format!(
                r#"{{"topic":"{topic}","partition":{partition},"offset":{offset},"timestamp":{timestamp},"timestampType":"CREATE_TIME","key":{},"value":{},"headers":[{}]}}"#,
                text(key),
                text(value),
                headers.join(",")
            )
        });
    prop::collection::vec(("[a-z]{1,8}-[0-9]", prop::collection::vec(record, 0..6)), 0..4).prop_map(
        |partitions| {
            let partitions: Vec<String> = partitions
                .iter()
                .map(|(key, records)| format!(r#""{key}":[{}]"#, records.join(",")))
                .collect();
            format!(
                r#"{{"eventSource":"aws:kafka","eventSourceArn":"arn:aws:kafka:us-east-1:123456789012:cluster/demo/x","bootstrapServers":"b-1:9094","records":{{{}}}}}"#,
                partitions.join(",")
            )
            .into_bytes()
        },
    )
}

/// The generated events must exercise both paths, or the property below proves little.
#[test]
fn generated_events_exercise_both_paths() {
    use proptest::strategy::ValueTree as _;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let (mut taken, mut given_up, mut undecodable) = (0, 0, 0);
    for _ in 0..500 {
        let json = event_json().new_tree(&mut runner).unwrap().current();
        match super::decode(&json) {
            Ok(event) => {
                taken += 1;
                undecodable += usize::from(!event.undecodable.is_empty());
            }
            Err(_) => given_up += 1,
        }
    }
    assert!(taken >= 100, "fast path took {taken} of 500");
    assert!(given_up >= 100, "fast path gave up on {given_up} of 500");
    assert!(
        undecodable >= 15,
        "{undecodable} of 500 had an undecodable record"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_events_decode_exactly_as_with_serde(json in event_json()) {
        // Taken or given up (escapes, floats, …): either way the result must be serde's.
        let _taken = check(&json)?;
    }

    #[test]
    fn mutated_events_decode_exactly_as_with_serde(
        json in event_json(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let mut json = json;
        for m in &mutations {
            mutate(&mut json, m);
        }
        let _taken = check(&json)?;
    }

    #[test]
    fn fast_path_takes_every_esm_shaped_event(json in esm_event()) {
        prop_assert_eq!(check(&json)?, Ok(()));
    }

    #[test]
    fn mutated_esm_events_decode_exactly_as_with_serde(
        json in esm_event(),
        mutations in prop::collection::vec(mutation(), 1..3),
    ) {
        // Deviations from the layout part-way through a record, where `esm_record` stops
        // and `any_record` starts the record again.
        let mut json = json;
        for m in &mutations {
            mutate(&mut json, m);
        }
        let _taken = check(&json)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn string_end_finds_the_first_quote_or_backslash(
        bytes in prop::collection::vec(
            prop_oneof![40 => b'a'..=b'z', 1 => Just(b'"'), 1 => Just(b'\\'), 2 => any::<u8>()],
            0..64,
        ),
    ) {
        let expected = bytes.iter().position(|&b| b == b'"' || b == b'\\');
        prop_assert_eq!(super::string_end::<false>(&bytes), expected);
        prop_assert_eq!(super::string_end::<true>(&bytes), expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn same_bytes_is_slice_equality(
        a in prop::collection::vec(prop_oneof![b'a'..=b'c', any::<u8>()], 0..20),
        change in prop::option::of((any::<usize>(), any::<u8>())),
        extend in prop::option::of(any::<u8>()),
    ) {
        let mut b = a.clone();
        if let Some((at, to)) = change
            && !b.is_empty()
        {
            let i = at % b.len();
            b[i] = to;
        }
        if let Some(x) = extend {
            b.push(x);
        }
        prop_assert_eq!(super::same_bytes(&a, &b), a == b);
    }
}
