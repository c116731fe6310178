#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::parse as fast;
use crate::number::Number;
use crate::parse;
use crate::reading::parse_with_serde;

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
        // Device ids beyond 64 bits, and numbers that are not JSON.
        format!("{{\"device_id\":9223372036854775808,{ts},\"temperature\":1}}"),
        format!(
            "{{\"device_id\":1,{ts},\"temperature\":1{}}}",
            "0".repeat(4300)
        ),
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

#[test]
fn reads_numbers_as_python_json_does() {
    let ts = "\"timestamp\":\"2026-11-25T12:00:00\"";
    let nines = "9".repeat(40);
    for (device, temperature, expected) in [
        ("-0", "-0", (0, Number::Int(0))),
        ("1", "-0.0", (1, Number::Float(-0.0))),
        (
            "2",
            "18446744073709551615",
            (2, Number::Wide(18_446_744_073_709_551_615)),
        ),
        ("3", "1e999", (3, Number::Float(f64::INFINITY))),
        ("4", "-1e999", (4, Number::Float(f64::NEG_INFINITY))),
        ("5", nines.as_str(), (5, Number::Huge { negative: false })),
    ] {
        let value = format!("{{\"device_id\":{device},{ts},\"temperature\":{temperature}}}");
        let reading = fast(value.as_bytes()).unwrap();
        assert_eq!(
            (reading.device_id, reading.temperature),
            expected,
            "{value}"
        );
        assert_eq!(Ok(reading), parse_with_serde(value.as_bytes()), "{value}");
    }
    let value = format!("{{\"device_id\":1,{ts},\"temperature\":-0.0}}");
    let r = fast(value.as_bytes()).unwrap();
    assert!(r.temperature.as_f64().is_sign_negative());
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
        // Short decimals, which the fast path divides itself.
        (any::<i64>(), 0u32..19).prop_map(|(n, at)| decimal(n, at)),
        (-100_000i64..100_000, 0u32..7).prop_map(|(n, at)| decimal(n, at)),
        Just("-0".to_owned()),
        Just("-0.0".to_owned()),
        Just("01".to_owned()),
        Just("1.".to_owned()),
        Just("1e".to_owned()),
        Just("-".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("-9223372036854775809".to_owned()),
        any::<i128>().prop_map(|n| n.to_string()),
        Just("170141183460469231731687303715884105728".to_owned()),
        Just("-99999999999999999999999999999999999999".to_owned()),
        Just("100000000000000000000000000000000000000".to_owned()),
        Just("1e400".to_owned()),
        Just("-1E+999".to_owned()),
        Just("1e-400".to_owned()),
        Just("-0e0".to_owned()),
    ]
}

/// `n` with a decimal point `at` digits from the right (`-12.34` for -1234 and 2).
fn decimal(n: i64, at: u32) -> String {
    let digits = n.unsigned_abs().to_string();
    let digits = format!("{digits:0>width$}", width = at as usize + 1);
    let (int, fraction) = digits.split_at(digits.len() - at as usize);
    let sign = if n < 0 { "-" } else { "" };
    if fraction.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{fraction}")
    }
}

fn timestamp() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u32..24, 0u32..60, 0u32..1_000_000)
            .prop_map(|(h, m, f)| format!("\"2026-11-25T{h:02}:{m:02}:00.{f:06}\"")),
        // Every fraction length, zones, and fields out of range.
        4 => (0u32..30, 0u32..70, "(\\.[0-9]{0,10})?", zone())
            .prop_map(|(h, m, f, z)| format!("\"2026-11-25T{h:02}:{m:02}:00{f}{z}\"")),
        1 => Just("\"2026-11-25T12:00:00\\u0030\"".to_owned()),
        1 => Just("\"2026-11-25 12:00:00\"".to_owned()),
        1 => Just("\"2026-11-25T12:00:00\u{e9}\"".to_owned()),
        1 => number(),
    ]
}

fn zone() -> impl Strategy<Value = String> {
    prop::sample::select(&["", "", "Z", "+01:00", "-23:59", "+24:00", "+0100", "z"][..])
        .prop_map(str::to_owned)
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
        // Names the fast path compares word-wise against the reading fields.
        1 => (
            prop::sample::select(&["device_i", "device_idx", "devicE_id", "timestamps", "temperatur", "temperaturf", "temperature_"][..])
                .prop_map(str::to_owned),
            other_value(),
        ),
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
    (
        (any::<i64>(), 0u32..60, "(\\.[0-9]{1,9})?", zone()),
        (-50i64..150, any::<bool>(), any::<bool>()),
    )
        .prop_filter_map(
            "a valid zone",
            |((device, s, f, z), (t, float, compact))| {
                let temperature = if float {
                    format!("{t}.5")
                } else {
                    t.to_string()
                };
                let timestamp = format!("2026-11-25T12:00:{s:02}{f}{z}");
                crate::timestamp::is_iso8601_datetime(&timestamp).then(|| {
                    layout(
                        &device.to_string(),
                        &format!("\"{timestamp}\""),
                        &temperature,
                        compact,
                    )
                })
            },
        )
}

/// Readings laid out as producers write them, with any values.
fn producer_reading() -> impl Strategy<Value = String> {
    (number(), timestamp(), number(), any::<bool>()).prop_map(
        |(device, timestamp, temperature, compact)| {
            layout(&device, &timestamp, &temperature, compact)
        },
    )
}

/// The three fields in the reference order, separated as `json.dumps` does by default or
/// with `separators=(",", ":")`.
fn layout(device: &str, timestamp: &str, temperature: &str, compact: bool) -> String {
    let (comma, colon) = if compact { (",", ":") } else { (", ", ": ") };
    format!(
        "{{\"device_id\"{colon}{device}{comma}\"timestamp\"{colon}{timestamp}{comma}\"temperature\"{colon}{temperature}}}"
    )
}

#[test]
fn plain_strings_end_at_the_first_quote_backslash_control_or_non_ascii_byte() {
    assert_eq!(super::plain_len(b""), 0);
    assert_eq!(super::plain_len(b"2026-11-25T12:00:00.123456\", x"), 26);
    assert_eq!(super::plain_len(b"abcdefgh\\ijk"), 8);
    assert_eq!(super::plain_len(b"abc\x7fdef\x1f"), 7);
    assert_eq!(super::plain_len("abcdefghijé".as_bytes()), 10);
    assert_eq!(super::plain_len(b"no end at all"), 13);
}

#[test]
fn short_decimals_are_the_floats_serde_reads() {
    for (text, expected) in [
        ("0.1", 0.1),
        ("-2.5", -2.5),
        ("31.000", 31.0),
        ("0.000123", 0.000123),
    ] {
        let value = format!(
            "{{\"device_id\":1,\"timestamp\":\"2026-11-25T12:00:00\",\"temperature\":{text}}}"
        );
        assert_eq!(
            fast(value.as_bytes()).unwrap().temperature,
            Number::Float(expected)
        );
    }
}

/// Whatever the fast path reads from `bytes` is what serde reads, and `parse` as a whole
/// answers exactly as serde does.
fn agrees_with_serde(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Some(reading) = fast(bytes) {
        prop_assert_eq!(Ok(reading), parse_with_serde(bytes));
    }
    prop_assert_eq!(parse(bytes), parse_with_serde(bytes));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn plain_len_is_the_position_of_the_first_special_byte(
        bytes in prop::collection::vec(
            prop_oneof![8 => 0x20u8..0x7f, 1 => Just(b'"'), 1 => Just(b'\\'), 1 => any::<u8>()],
            0..40,
        ),
    ) {
        let expected = bytes
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c))
            .unwrap_or(bytes.len());
        prop_assert_eq!(super::plain_len(&bytes), expected);
    }

    #[test]
    fn fast_path_agrees_with_serde_on_generated_objects(value in object()) {
        agrees_with_serde(value.as_bytes())?;
    }

    #[test]
    fn fast_path_agrees_with_serde_on_producer_layouts(value in producer_reading()) {
        agrees_with_serde(value.as_bytes())?;
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
        agrees_with_serde(&bytes)?;
    }

    #[test]
    fn fast_path_takes_every_reference_reading(value in reference_reading()) {
        let reading = fast(value.as_bytes());
        prop_assert!(reading.is_some(), "{}", value);
        prop_assert_eq!(Ok(reading.unwrap()), parse_with_serde(value.as_bytes()));
    }
}
