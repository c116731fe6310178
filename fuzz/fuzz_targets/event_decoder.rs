//! The Lambda event decoder: the fast path must agree with serde on every input.
//!
//! `decode` takes the fast path and falls back to serde when the fast path gives up;
//! `decode_with_serde` is serde alone, the reference. For any bytes both fail with the same
//! message, or both succeed with the same event: the same source, the same batch (topics,
//! partitions, offsets, timestamps, keys, values, headers, in order) and the same undecodable
//! records. A panic anywhere is a failure too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use swapstream_lambda_event::{decode, decode_with_serde};

fuzz_target!(|json: &[u8]| {
    let fast = decode(json);
    let reference = decode_with_serde(json);
    match (&fast, &reference) {
        (Ok(fast), Ok(reference)) => assert_eq!(
            fast, reference,
            "decode and decode_with_serde return different events"
        ),
        (Err(fast), Err(reference)) => assert_eq!(
            fast.to_string(),
            reference.to_string(),
            "decode and decode_with_serde fail differently"
        ),
        _ => panic!("decode and decode_with_serde disagree: decode {fast:?}, serde {reference:?}"),
    }
});
