//! One telemetry reading parsed from a record value.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::error::Category;

use crate::number::{DYNAMODB_DIGITS, Number};
use crate::timestamp::is_iso8601_datetime;

/// One reading, borrowing its timestamp from the record value where it can.
///
/// Its `Deserialize` is serde_json's view alone, which cannot tell `-0` from `-0.0` nor keep
/// integers beyond 64 bits exact; [`crate::parse`] reads the numbers' own text for those.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Reading<'a> {
    /// The device, a JSON integer of at most 38 digits (a DynamoDB number's precision); `-0`
    /// is 0, as in Python.
    #[serde(deserialize_with = "device_id")]
    pub device_id: i128,
    /// ISO-8601 local date-time as the producer wrote it; compared as a string.
    #[serde(borrow)]
    pub timestamp: Cow<'a, str>,
    /// The temperature, a JSON number as Python's `json.loads` reads it.
    #[serde(deserialize_with = "temperature")]
    pub temperature: Number,
}

/// [`parse`](crate::parse) by serde_json and the numbers' own text: the reference the fast
/// path is checked against, and the path for every value the fast path leaves alone (all
/// errors come from here).
// Out of line (and off the hot path's layout): inlined, serde's code made `parse` a large
// function that Cranelift compiled with more spills on the fast path too.
#[cold]
#[inline(never)]
pub fn parse_with_serde(value: &[u8]) -> Result<Reading<'_>, String> {
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
    let reason = |e: serde_json::Error| match e.classify() {
        Category::Data if first != Some(&b'{') => not_an_object(value),
        Category::Data => format!("not a reading: {e}"),
        Category::Syntax | Category::Eof | Category::Io => format!("not JSON: {e}"),
    };
    let numbers = raw_numbers(value);
    let mut reading: Reading<'_> = match serde_json::from_slice(value) {
        Ok(reading) => reading,
        // serde_json refuses what Python reads as an infinite float (`1e400`) or a long int:
        // read the rest with those numbers blanked out, and the reading's numbers from their
        // text.
        Err(e) if out_of_range(&e) => match without_out_of_range_numbers(value) {
            Some(reading) => reading,
            None => return Err(reason(e)),
        },
        Err(e) => return Err(reason(e)),
    };
    if !is_iso8601_datetime(&reading.timestamp) {
        return Err(format!(
            "not a reading: timestamp {:?} is not an ISO-8601 date-time",
            reading.timestamp
        ));
    }
    if let Some(numbers) = numbers {
        if let Some(range) = numbers.device_id {
            reading.device_id = device_id_from_text(value, range)?;
        }
        if let Some(range) = numbers.temperature {
            reading.temperature = match value.get(range).and_then(Number::from_json) {
                Some(Ok(n)) => n,
                Some(Err(e)) => return Err(format!("not a reading: temperature is {e}")),
                None => reading.temperature,
            };
        }
    }
    Ok(reading)
}

/// A reading that owns its timestamp.
fn owned(reading: Reading<'_>) -> Reading<'static> {
    Reading {
        device_id: reading.device_id,
        timestamp: Cow::Owned(reading.timestamp.into_owned()),
        temperature: reading.temperature,
    }
}

/// Whether serde_json refused a number as out of its range.
fn out_of_range(e: &serde_json::Error) -> bool {
    e.to_string().starts_with("number out of range")
}

/// How many out-of-range numbers one value may have blanked: each costs a parse.
const MAX_BLANKED: usize = 16;

/// `value` read by serde with each number it finds out of range replaced by `0` and spaces
/// (the same length, so that positions stay true), or `None` if that does not make it a
/// reading.
fn without_out_of_range_numbers(value: &[u8]) -> Option<Reading<'static>> {
    let mut copy = value.to_vec();
    for _ in 0..MAX_BLANKED {
        let e = match serde_json::from_slice::<Reading<'_>>(&copy) {
            Ok(reading) => return Some(owned(reading)),
            Err(e) if out_of_range(&e) => e,
            Err(_) => return None,
        };
        // serde_json's column is the byte count into the line, up to where it stopped.
        let line_start = if e.line() <= 1 {
            0
        } else {
            copy.iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .nth(e.line() - 2)?
                .0
                + 1
        };
        let stop = (line_start + e.column()).min(copy.len());
        let in_number = |b: &u8| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E');
        let start = copy.get(..stop)?.iter().rposition(|b| !in_number(b))? + 1;
        let end = stop
            + copy
                .get(stop..)?
                .iter()
                .take_while(|b| in_number(b))
                .count();
        let token = copy.get_mut(start..end)?;
        token.fill(b' ');
        *token.first_mut()? = b'0';
    }
    None
}

/// A device id from its number token at `range` of `value`: an integer of at most 38 digits.
fn device_id_from_text(value: &[u8], range: Range<usize>) -> Result<i128, String> {
    let end = range.end;
    let text = value.get(range).unwrap_or_default();
    let limit = 10i128.pow(DYNAMODB_DIGITS);
    let too_long = || {
        format!(
            "not a reading: device_id {} has more than {DYNAMODB_DIGITS} digits, more than a \
             DynamoDB number holds",
            String::from_utf8_lossy(text)
        )
    };
    match Number::from_json(text) {
        Some(Ok(Number::Int(n))) => Ok(i128::from(n)),
        Some(Ok(Number::Wide(n))) if n.unsigned_abs() < limit.unsigned_abs() => Ok(n),
        Some(Ok(Number::Wide(_) | Number::Huge { .. }) | Err(_)) => Err(too_long()),
        Some(Ok(Number::Float(x))) => {
            let (line, column) = position(value, end);
            Err(format!(
                "not a reading: invalid type: {}, expected an integer device_id at line {line} \
                 column {column}",
                de::Unexpected::Float(x)
            ))
        }
        None => Err(format!(
            "not a reading: device_id {} is not a JSON number",
            String::from_utf8_lossy(text)
        )),
    }
}

/// serde_json's line and column for the byte before `end` (both from 1).
fn position(value: &[u8], end: usize) -> (usize, usize) {
    let before = value.get(..end).unwrap_or_default();
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, end - start)
}

/// Where a JSON object's top-level `device_id` and `temperature` numbers are.
#[derive(Debug, Default)]
struct RawNumbers {
    device_id: Option<Range<usize>>,
    temperature: Option<Range<usize>>,
}

/// The byte ranges of the number tokens of a JSON object's top-level `device_id` and
/// `temperature` members (escaped names included), or `None` if `value` is not an object this
/// scan follows. Only structure is read: serde_json checks the grammar.
fn raw_numbers(value: &[u8]) -> Option<RawNumbers> {
    let mut at = skip_ws(value, 0);
    if value.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_ws(value, at + 1);
    let mut found = RawNumbers::default();
    if value.get(at) == Some(&b'}') {
        return Some(found);
    }
    loop {
        let name_end = string_end(value, at)?;
        let name = value.get(at..name_end)?;
        let name: Cow<'_, str> = if name.contains(&b'\\') {
            Cow::Owned(serde_json::from_slice::<String>(name).ok()?)
        } else {
            Cow::Borrowed(std::str::from_utf8(name.get(1..name.len() - 1)?).ok()?)
        };
        at = skip_ws(value, name_end);
        if value.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(value, at + 1);
        let start = at;
        at = value_end(value, at)?;
        let is_number = matches!(value.get(start), Some(b'-' | b'0'..=b'9'));
        match &*name {
            "device_id" if is_number => found.device_id = Some(start..at),
            "temperature" if is_number => found.temperature = Some(start..at),
            _ => {}
        }
        at = skip_ws(value, at);
        match value.get(at)? {
            b',' => at = skip_ws(value, at + 1),
            b'}' => return Some(found),
            _ => return None,
        }
    }
}

fn skip_ws(value: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = value.get(at) {
        at += 1;
    }
    at
}

/// The end (past the closing quote) of the string starting at `at`.
fn string_end(value: &[u8], at: usize) -> Option<usize> {
    if value.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    loop {
        match value.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// The end of the JSON value starting at `at`: a string, an object or array (nesting counted,
/// strings inside skipped), or a scalar token.
fn value_end(value: &[u8], at: usize) -> Option<usize> {
    match value.get(at)? {
        b'"' => string_end(value, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match value.get(i)? {
                    b'"' => {
                        i = string_end(value, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let len = value
                .get(at..)?
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'));
            Some(len.map_or(value.len(), |len| at + len))
        }
    }
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

fn device_id<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = i128;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an integer device_id")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
            Ok(i128::from(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
            Ok(i128::from(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i128, E> {
            // serde_json reads `-0` as -0.0 and integers beyond 64 bits as floats: those are
            // taken here (as serde_json rounded them) and read exactly from their text by
            // `parse_with_serde`; other floats are not device ids.
            let negative_zero = v == 0.0 && v.is_sign_negative();
            let beyond_64_bits = v.fract() == 0.0 && v.abs() >= 2f64.powi(63);
            if negative_zero || beyond_64_bits {
                Ok(v as i128)
            } else {
                Err(E::invalid_type(de::Unexpected::Float(v), &self))
            }
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
            Ok(i64::try_from(v).map_or(Number::Wide(i128::from(v)), Number::Int))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
            Ok(Number::Float(v))
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
    fn reads_1e400_as_infinity_as_python_does_and_rejects_nan() {
        assert_eq!(
            reason(br#"{"device_id":1,"timestamp":"2026-11-25T12:00:00","temperature":NaN}"#),
            "not JSON: expected value at line 1 column 64"
        );
        let r = parse(br#"{"device_id":1,"timestamp":"2026-11-25T12:00:00","temperature":1e999}"#)
            .unwrap();
        assert_eq!(r.temperature, Number::Float(f64::INFINITY));
        // The same through serde (an escape in the timestamp, nesting elsewhere).
        let r = parse(
            br#"{"x":[{"a":"}"}],"timestamp":"2026-11-25T12:00:00","temperature":-1E+400, "device_id":-0}"#,
        )
        .unwrap();
        assert_eq!(r.temperature, Number::Float(f64::NEG_INFINITY));
        assert_eq!(r.device_id, 0);
        assert_eq!(r.timestamp, "2026-11-25T12:00:00");
        // Other fields' numbers too, as Python's json reads them.
        let r = parse(
            b"{\"x\":[1e400, -2e999],\n\"timestamp\":\"2026-11-25T12:00:0\\u0030\",\"temperature\":1e400,\"device_id\":1}",
        )
        .unwrap();
        assert_eq!(r.temperature, Number::Float(f64::INFINITY));
    }

    #[test]
    fn reads_the_exact_digits_of_numbers_serde_would_round() {
        let r = parse(
            br#"{"device_id":-99999999999999999999999999999999999999,"timestamp":"2026-11-25T12:00:00","temperature":-0}"#,
        )
        .unwrap();
        assert_eq!(r.device_id, -(10i128.pow(38) - 1));
        assert_eq!(r.temperature, Number::Int(0));
        let r = parse(
            br#"{"device_id":18446744073709551616,"timestamp":"2026-11-25T12:00:00","temperature":123456789012345678901234567890}"#,
        )
        .unwrap();
        assert_eq!(r.device_id, 1 << 64);
        assert_eq!(
            r.temperature,
            Number::Wide(123_456_789_012_345_678_901_234_567_890)
        );
    }

    #[test]
    fn rejects_device_ids_dynamodb_cannot_hold_or_that_are_floats() {
        assert_eq!(
            reason(br#"{"device_id":100000000000000000000000000000000000000,"timestamp":"2026-11-25T12:00:00","temperature":1}"#),
            "not a reading: device_id 100000000000000000000000000000000000000 has more than 38 digits, more than a DynamoDB number holds"
        );
        assert_eq!(
            reason(br#"{"device_id":-0.0,"timestamp":"2026-11-25T12:00:00","temperature":1}"#),
            "not a reading: invalid type: floating point `-0.0`, expected an integer device_id at line 1 column 17"
        );
        assert_eq!(
            reason(
                b"{\n\"device_id\": 1e20, \"timestamp\":\"2026-11-25T12:00:00\",\"temperature\":1}"
            ),
            "not a reading: invalid type: floating point `100000000000000000000.0`, expected an integer device_id at line 2 column 17"
        );
        assert_eq!(
            reason(br#"{"device_id":0.0,"timestamp":"2026-11-25T12:00:00","temperature":1}"#),
            "not a reading: invalid type: floating point `0.0`, expected an integer device_id at line 1 column 16"
        );
        assert_eq!(
            reason(br#"{"device_id":1e400,"timestamp":"2026-11-25T12:00:00","temperature":1}"#),
            "not a reading: invalid type: floating point `inf`, expected an integer device_id at line 1 column 18"
        );
        let long = format!(
            r#"{{"device_id":1,"timestamp":"2026-11-25T12:00:00","temperature":{}}}"#,
            "1".repeat(4301)
        );
        assert_eq!(
            reason(long.as_bytes()),
            "not a reading: temperature is an integer of 4301 digits: Python's json refuses more than 4300"
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
