//! The guest's reading parser: `swapstream_telemetry::parse` (a hand-written fast path with
//! serde as its fallback) must agree with an oracle made of serde_json alone.
//!
//! The oracle applies the rules `parse` documents with the crate's public pieces: the value is
//! UTF-8, `Reading`'s own `Deserialize` (integer `device_id`, string `timestamp`, finite
//! numeric `temperature`, other fields ignored) accepts it, and the timestamp passes
//! `is_iso8601_datetime`. Using `Reading`'s serde impl keeps the oracle's number semantics the
//! crate's own. Both accept with equal readings or both reject; no panics. Readings are
//! compared by their `Debug` text: it tells `-0.0` from `0.0` where `==` does not, prints a
//! timestamp the same whether borrowed or owned, and fits whatever types the fields have.
//! Rejection reasons are not compared: every one comes from the crate's serde path.

#![no_main]

use libfuzzer_sys::fuzz_target;
use swapstream_telemetry::{Reading, is_iso8601_datetime, parse};

fn oracle(value: &[u8]) -> Option<Reading<'_>> {
    std::str::from_utf8(value).ok()?;
    let reading: Reading<'_> = serde_json::from_slice(value).ok()?;
    is_iso8601_datetime(&reading.timestamp).then_some(reading)
}

fuzz_target!(|value: &[u8]| {
    let parsed = parse(value);
    let expected = oracle(value);
    match (&parsed, &expected) {
        (Ok(got), Some(want)) => {
            assert_eq!(
                format!("{got:?}"),
                format!("{want:?}"),
                "parse and the serde oracle read different readings"
            );
        }
        (Err(_), None) => {}
        _ => panic!("parse and the serde oracle disagree: parse {parsed:?}, oracle {expected:?}"),
    }
});
