//! One telemetry reading parsed from a record value.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::error::Category;

use crate::number::Number;
use crate::timestamp::is_iso8601_datetime;

/// One reading, borrowing its timestamp from the record value where it can.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Reading<'a> {
    /// The device, a JSON integer.
    #[serde(deserialize_with = "device_id")]
    pub device_id: i64,
    /// ISO-8601 local date-time as the producer wrote it; compared as a string.
    #[serde(borrow)]
    pub timestamp: Cow<'a, str>,
    /// The temperature, a finite JSON number.
    #[serde(deserialize_with = "temperature")]
    pub temperature: Number,
}

/// [`parse`](crate::parse) by serde_json alone: the reference the fast path is checked against, and the
/// path for every value the fast path leaves alone (all errors come from here).
// Out of line (and off the hot path's layout): inlined, serde's code made `parse` a large
// function that Cranelift compiled with more spills on the fast path too.
#[cold]
#[inline(never)]
pub(crate) fn parse_with_serde(value: &[u8]) -> Result<Reading<'_>, String> {
    // Checked up front so that bytes inside ignored fields cannot slip through either, and so
    // that the reason names the real problem.
    if let Err(e) = std::str::from_utf8(value) {
        return Err(format!(
            "value is not valid UTF-8 (invalid byte at {})",
            e.valid_up_to()
        ));
    }
    let first = value.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_none() {
        return Err("value is empty".to_owned());
    }
    let reading: Reading<'_> = serde_json::from_slice(value).map_err(|e| match e.classify() {
        Category::Data if first != Some(&b'{') => not_an_object(value),
        Category::Data => format!("not a reading: {e}"),
        Category::Syntax | Category::Eof | Category::Io => format!("not JSON: {e}"),
    })?;
    if !is_iso8601_datetime(&reading.timestamp) {
        return Err(format!(
            "not a reading: timestamp {:?} is not an ISO-8601 date-time",
            reading.timestamp
        ));
    }
    Ok(reading)
}

/// The reason for a value that is valid JSON but not an object (only on the error path).
fn not_an_object(value: &[u8]) -> String {
    let kind = match serde_json::from_slice::<serde_json::Value>(value) {
        Ok(serde_json::Value::Array(_)) => "an array",
        Ok(serde_json::Value::String(_)) => "a string",
        Ok(serde_json::Value::Number(_)) => "a number",
        Ok(serde_json::Value::Bool(_)) => "a boolean",
        Ok(serde_json::Value::Null) => "null",
        Ok(serde_json::Value::Object(_)) | Err(_) => "something else",
    };
    format!("not a reading: expected a JSON object, found {kind}")
}

fn device_id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an integer device_id")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom(format!("device_id {v} is out of range")))
        }
    }
    d.deserialize_i64(V)
}

fn temperature<'de, D: Deserializer<'de>>(d: D) -> Result<Number, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = Number;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a numeric temperature")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
            Ok(Number::Int(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
            // Python keeps huge integers exact; beyond i64 a double is as close as we get.
            Ok(i64::try_from(v).map_or(Number::Float(v as f64), Number::Int))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
            if v.is_finite() {
                Ok(Number::Float(v))
            } else {
                Err(E::custom("temperature is not finite"))
            }
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::parse;

    #[test]
    fn parses_a_reference_record() {
        let r = parse(
            br#"{"device_id": 3, "timestamp": "2026-11-25T12:00:34.126396", "temperature": 25}"#,
        )
        .unwrap();
        assert_eq!(r.device_id, 3);
        assert_eq!(r.timestamp, "2026-11-25T12:00:34.126396");
        assert!(matches!(r.timestamp, Cow::Borrowed(_)));
        assert_eq!(r.temperature, Number::Int(25));
    }

    #[test]
    fn keeps_float_temperatures_as_floats_and_ignores_extra_fields() {
        let r = parse(
            br#"{"x":[1],"temperature":23.5,"device_id":-1,"timestamp":"2026-11-25T12:00:00"}"#,
        )
        .unwrap();
        assert_eq!((r.device_id, r.temperature), (-1, Number::Float(23.5)));
        let r = parse(br#"{"temperature":3e1,"device_id":1,"timestamp":"2026-11-25T12:00:00"}"#)
            .unwrap();
        assert_eq!(r.temperature, Number::Float(30.0));
    }

    #[test]
    fn unescapes_timestamps() {
        let r = parse(br#"{"device_id":1,"timestamp":"2026-11-25T12:00:0\u0030","temperature":1}"#)
            .unwrap();
        assert_eq!(r.timestamp, "2026-11-25T12:00:00");
    }

    fn reason(value: &[u8]) -> String {
        parse(value).unwrap_err()
    }

    #[test]
    fn rejects_each_kind_of_bad_value_with_a_reason() {
        assert_eq!(
            reason(b"not json"),
            "not JSON: expected ident at line 1 column 2"
        );
        assert_eq!(
            reason(br#"{"device_id":1"#),
            "not JSON: EOF while parsing an object at line 1 column 14"
        );
        assert_eq!(reason(b" \n"), "value is empty");
        assert_eq!(
            reason(b"[1,2]"),
            "not a reading: expected a JSON object, found an array"
        );
        assert_eq!(
            reason(b"42"),
            "not a reading: expected a JSON object, found a number"
        );
        assert_eq!(
            reason(b"null"),
            "not a reading: expected a JSON object, found null"
        );
        assert_eq!(
            reason(br#"{"timestamp":"2026-11-25T12:00:00","temperature":1}"#),
            "not a reading: missing field `device_id` at line 1 column 51"
        );
        assert_eq!(
            reason(br#"{"device_id":"x","timestamp":"t","temperature":1}"#),
            "not a reading: invalid type: string \"x\", expected an integer device_id at line 1 column 16"
        );
        assert_eq!(
            reason(br#"{"device_id":1.5,"timestamp":"2026-11-25T12:00:00","temperature":1}"#),
            "not a reading: invalid type: floating point `1.5`, expected an integer device_id at line 1 column 16"
        );
        assert_eq!(
            reason(br#"{"device_id":true,"timestamp":"2026-11-25T12:00:00","temperature":1}"#),
            "not a reading: invalid type: boolean `true`, expected an integer device_id at line 1 column 17"
        );
        assert_eq!(
            reason(br#"{"device_id":1,"timestamp":"t","temperature":"hot"}"#),
            "not a reading: invalid type: string \"hot\", expected a numeric temperature at line 1 column 50"
        );
        assert_eq!(
            reason(br#"{"device_id":1,"timestamp":5,"temperature":1}"#),
            "not a reading: invalid type: integer `5`, expected a string at line 1 column 28"
        );
        assert_eq!(
            reason(br#"{"device_id":1,"timestamp":"t","temperature":1}"#),
            "not a reading: timestamp \"t\" is not an ISO-8601 date-time"
        );
    }

    #[test]
    fn rejects_non_finite_temperatures() {
        assert_eq!(
            reason(br#"{"device_id":1,"timestamp":"2026-11-25T12:00:00","temperature":NaN}"#),
            "not JSON: expected value at line 1 column 64"
        );
        assert_eq!(
            reason(br#"{"device_id":1,"timestamp":"2026-11-25T12:00:00","temperature":1e999}"#),
            "not JSON: number out of range at line 1 column 68"
        );
    }

    #[test]
    fn rejects_values_that_are_not_utf8() {
        assert_eq!(
            reason(b"{\"device_id\":1,\"x\":\"\xff\"}"),
            "value is not valid UTF-8 (invalid byte at 20)"
        );
    }
}
