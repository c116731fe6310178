#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::parse as fast;
use crate::number::Number;
use crate::reading::{parse, parse_with_serde};

#[test]
fn reads_reference_records_without_serde() {
    let r =
        fast(br#"{"device_id": 3, "timestamp": "2026-11-25T12:00:34.126396", "temperature": 25}"#)
            .unwrap();
    assert_eq!(r.device_id, 3);
    assert_eq!(r.timestamp, "2026-11-25T12:00:34.126396");
    assert_eq!(r.temperature, Number::Int(25));

    let r = fast(
        b" {\"temperature\":-2.5e1,\n\"x\":null,\"y\":[],\"device_id\":-7,\"timestamp\":\"2026-11-25T12:00:00Z\"}\r\n",
    );
    // `[]` is nesting, which the fast path leaves to serde.
    assert_eq!(r, None);
    let r = fast(
        b" {\"temperature\":-2.5e1,\n\"x\":null,\"y\":true,\"z\":\"s\",\"w\":0.5,\"device_id\":-7,\"timestamp\":\"2026-11-25T12:00:00Z\"}\r\n",
    )
    .unwrap();
    assert_eq!((r.device_id, r.temperature), (-7, Number::Float(-25.0)));
}

#[test]
fn leaves_everything_unusual_to_serde() {
    let ts = "\"timestamp\":\"2026-11-25T12:00:00\"";
    for value in [
        // Escapes, non-ASCII and nesting.
        format!("{{\"device_id\":1,{ts},\"temperature\":1,\"n\":\"\\u00e9\"}}"),
        format!("{{\"device_id\":1,{ts},\"temperature\":1,\"n\":\"é\"}}"),
        format!("{{\"device_id\":1,{ts},\"temperature\":1,\"n\":{{}}}}"),
        format!("{{\"device\\u005fid\":1,{ts},\"temperature\":1}}"),
        // Numbers serde reads differently or refuses.
        format!("{{\"device_id\":-0,{ts},\"temperature\":1}}"),
        format!("{{\"device_id\":1,{ts},\"temperature\":-0}}"),
        format!("{{\"device_id\":9223372036854775808,{ts},\"temperature\":1}}"),
        format!("{{\"device_id\":1,{ts},\"temperature\":18446744073709551615}}"),
        format!("{{\"device_id\":1,{ts},\"temperature\":1e999}}"),
        format!("{{\"device_id\":1.0,{ts},\"temperature\":1}}"),
        format!("{{\"device_id\":01,{ts},\"temperature\":1}}"),
        format!("{{\"device_id\":1,{ts},\"temperature\":1.}}"),
        format!("{{\"device_id\":1,{ts},\"temperature\":.5}}"),
        // Structure.
        format!("{{\"device_id\":1,{ts},\"temperature\":1,}}"),
        format!("{{\"device_id\":1,{ts},\"temperature\":1}} x"),
        format!("{{\"device_id\":1,\"device_id\":2,{ts},\"temperature\":1}}"),
        format!("{{{ts},\"temperature\":1}}"),
        "{\"device_id\":1,\"timestamp\":\"t\",\"temperature\":1}".to_owned(),
        "{}".to_owned(),
        String::new(),
    ] {
        assert_eq!(fast(value.as_bytes()), None, "{value}");
    }
}

/// JSON number tokens, valid and not, around the edges the fast path must get right.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (0i64..100).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| format!("{x:?}")),
        any::<f64>().prop_map(|x| format!("{x:e}")),
        (-1000i32..1000, 0u32..1000, -400i32..400).prop_map(|(i, f, e)| format!("{i}.{f}E{e}")),
        Just("-0".to_owned()),
        Just("-0.0".to_owned()),
        Just("01".to_owned()),
        Just("1.".to_owned()),
        Just("1e".to_owned()),
        Just("-".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("-9223372036854775809".to_owned()),
    ]
}

fn timestamp() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u32..24, 0u32..60, 0u32..1_000_000)
            .prop_map(|(h, m, f)| format!("\"2026-11-25T{h:02}:{m:02}:00.{f:06}\"")),
        1 => Just("\"2026-11-25T12:00:00\\u0030\"".to_owned()),
        1 => Just("\"2026-11-25 12:00:00\"".to_owned()),
        1 => Just("\"2026-11-25T12:00:00\u{e9}\"".to_owned()),
        1 => number(),
    ]
}

fn other_value() -> impl Strategy<Value = String> {
    prop_oneof![
        number(),
        "\"[ -~]{0,8}\"",
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
        Just("nul".to_owned()),
        Just("[1,{\"a\":2}]".to_owned()),
        Just("\"tab\there\"".to_owned()),
    ]
}

fn whitespace() -> impl Strategy<Value = String> {
    "[ \t\n\r]{0,2}"
}

/// Objects of reading fields and others, in any order, some repeated or missing.
fn object() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        3 => number().prop_map(|v| ("device_id".to_owned(), v)),
        3 => timestamp().prop_map(|v| ("timestamp".to_owned(), v)),
        3 => number().prop_map(|v| ("temperature".to_owned(), v)),
        2 => ("[a-z_]{1,6}", other_value()),
    ];
    (
        prop::collection::vec((field, whitespace(), whitespace()), 0..6),
        whitespace(),
    )
        .prop_map(|(fields, tail)| {
            let body: Vec<String> = fields
                .into_iter()
                .map(|((k, v), w1, w2)| format!("{w1}\"{k}\"{w2}:{w1}{v}{w2}"))
                .collect();
            format!("{tail}{{{}}}{tail}", body.join(","))
        })
}

/// A reading in the producer's own shape, which the fast path must take.
fn reference_reading() -> impl Strategy<Value = String> {
    (any::<i64>(), 0u32..60, 0u32..1_000_000, -50i64..150, any::<bool>()).prop_map(
        |(device, s, f, t, float)| {
            let temperature = if float { format!("{t}.5") } else { t.to_string() };
            format!(
                "{{\"device_id\": {device}, \"timestamp\": \"2026-11-25T12:00:{s:02}.{f:06}\", \"temperature\": {temperature}}}"
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn fast_path_agrees_with_serde_on_generated_objects(value in object()) {
        let bytes = value.as_bytes();
        if let Some(reading) = fast(bytes) {
            prop_assert_eq!(Ok(reading), parse_with_serde(bytes));
        }
        prop_assert_eq!(parse(bytes), parse_with_serde(bytes));
    }

    #[test]
    fn fast_path_agrees_with_serde_on_mutated_readings(
        value in reference_reading(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = value.into_bytes();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        if let Some(reading) = fast(&bytes) {
            prop_assert_eq!(Ok(reading), parse_with_serde(&bytes));
        }
        prop_assert_eq!(parse(&bytes), parse_with_serde(&bytes));
    }

    #[test]
    fn fast_path_takes_every_reference_reading(value in reference_reading()) {
        let reading = fast(value.as_bytes());
        prop_assert!(reading.is_some(), "{}", value);
        prop_assert_eq!(Ok(reading.unwrap()), parse_with_serde(value.as_bytes()));
    }
}
