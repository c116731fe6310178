//! The guest's reading parser: `swapstream_telemetry::parse` (a hand-written fast path with
//! serde as its fallback) must agree with `parse_with_serde`, the serde path alone, which reads
//! each number from its own text with the same rules (exact integers, `-0` an integer, floats
//! correctly rounded). Both accept with equal readings or both reject; no panics. Readings are
//! compared by their `Debug` text: it tells `-0.0` from `0.0` where `==` does not, prints a
//! timestamp the same whether borrowed or owned, and fits whatever types the fields have.
//! Rejection reasons are not compared.

#![no_main]

use libfuzzer_sys::fuzz_target;
use swapstream_telemetry::{parse, parse_with_serde};

fuzz_target!(|value: &[u8]| {
    let parsed = parse(value);
    let expected = parse_with_serde(value);
    match (&parsed, &expected) {
        (Ok(got), Ok(want)) => {
            assert_eq!(
                format!("{got:?}"),
                format!("{want:?}"),
                "parse and the serde path read different readings"
            );
        }
        (Err(_), Err(_)) => {}
        _ => panic!("parse and the serde path disagree: parse {parsed:?}, serde {expected:?}"),
    }
});
