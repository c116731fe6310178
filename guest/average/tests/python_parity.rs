//! The module against the reference's own Python: `reference.py` (beside this file) runs the
//! reference Lambda's aggregation on the same batches, and the items (device id, window,
//! `avg_temp` digits, count) and the rejected records must be the same: a record Python's
//! `json.loads` or the README's rules refuse is rejected alone, and where Python raises while
//! averaging a device, every record of that device is rejected. Batches are generated from fixed seeds (numbers chosen around
//! every edge: 2^53, 64 and 128 bits, 38 digits, 1e308, 1e400, -0), plus fixed cases.
//!
//! `python3` (3.11 or later; `SWAPSTREAM_PYTHON` names another interpreter) must be there:
//! without it the test fails, it does not skip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

use swapstream_average::average::aggregate;
use swapstream_guest::{PartitionBatch, Value};

/// splitmix64: a small, seedable generator, so that a failing batch can be reproduced.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const DEVICE_IDS: &[&str] = &[
    "0",
    "-0",
    "1",
    "2",
    "-1",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "99999999999999999999999999999999999999",
    "-99999999999999999999999999999999999999",
    "100000000000000000000000000000000000000",
    "1.0",
    "0.0",
    "-0.0",
    "1e2",
    "true",
    "\"1\"",
    "null",
];

const TEMPERATURES: &[&str] = &[
    "-0",
    "-0.0",
    "0.1",
    "0.2",
    "0.7",
    "2.5",
    "-37",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e400",
    "-1e400",
    "1e-400",
    "1e30",
    "1e10",
    "-1e30",
    "1e100",
    "-1e100",
    "9007199254740993",
    "9007199254740995",
    "451769784114599452",
    "4611686018427387904",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "170141183460469231731687303715884105727",
    "-170141183460469231731687303715884105728",
    "170141183460469231731687303715884105728",
    "100000000000000000000000000000000000000",
    "99999999999999999999999999999999999999",
    "1e38",
    "123456789012345678901234567890.5",
    "true",
    "\"31\"",
];

/// A temperature: mostly ordinary, often one from the edges, sometimes a random double.
fn temperature(rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=2 => (rng.below(200) as i64 - 50).to_string(),
        3 => format!("{}.5", rng.below(100) as i64 - 50),
        4 => format!("{:?}", f64::from_bits(rng.next())).replace("inf", "1e400"),
        5 => (rng.next() as i64).to_string(),
        6 => ((rng.next() as i128) << 60).to_string(),
        _ => rng.pick(TEMPERATURES).to_owned(),
    }
}

fn device_id(rng: &mut Rng) -> String {
    match rng.below(4) {
        0..=1 => rng.below(4).to_string(),
        _ => rng.pick(DEVICE_IDS).to_owned(),
    }
}

/// A record value: the producer's layout mostly, sometimes one only serde reads (escapes,
/// nesting, other fields, other order), and now and then not a reading at all.
fn record(rng: &mut Rng) -> String {
    let device = device_id(rng);
    let temperature = temperature(rng);
    let second = rng.below(60);
    let fraction = if rng.below(2) == 0 {
        format!(".{:06}", rng.below(1_000_000))
    } else {
        String::new()
    };
    let timestamp = format!("2026-11-25T12:00:{second:02}{fraction}");
    match rng.below(12) {
        0 => format!(
            r#"{{"x": [1e400, {{"y": "}}"}}], "temperature": {temperature}, "timestamp": "{}\u0030", "device_id": {device}}}"#,
            &timestamp[..timestamp.len() - 1]
        ),
        1 => format!(
            r#"{{"device\u005fid":{device},"timestamp":"{timestamp}","temperature":{temperature},"n":null}}"#
        ),
        2 => rng
            .pick(&[
                "not json",
                "",
                "[1]",
                r#"{"device_id": 1, "timestamp": "2026-11-25T12:00:00"}"#,
                r#"{"device_id": 1, "timestamp": "2026-11-25T12:00:00", "temperature": NaN}"#,
                r#"{"device_id": 1, "device_id": 2, "timestamp": "2026-11-25T12:00:00", "temperature": 1}"#,
            ])
            .to_owned(),
        _ => format!(
            r#"{{"device_id": {device}, "timestamp": "{timestamp}", "temperature": {temperature}}}"#
        ),
    }
}

fn partition(values: &[String]) -> PartitionBatch {
    let mut bytes = Vec::new();
    let mut value_ends = Vec::new();
    for v in values {
        bytes.extend_from_slice(v.as_bytes());
        value_ends.push(bytes.len() as u32);
    }
    PartitionBatch {
        topic: "t".to_owned(),
        partition: 0,
        offsets: (0..values.len() as i64).collect(),
        timestamps_ms: vec![0; values.len()],
        values: bytes,
        value_ends,
        keys: Vec::new(),
        key_ends: vec![0; values.len()],
        has_key: vec![0; values.len()],
        header_records: Vec::new(),
        header_names: String::new(),
        header_name_ends: Vec::new(),
        header_values: Vec::new(),
        header_value_ends: Vec::new(),
    }
}

/// The module's answer in `reference.py`'s format.
fn module(values: &[String]) -> Vec<String> {
    let out = aggregate(&[partition(values)]);
    let mut lines: Vec<String> = out
        .items
        .iter()
        .map(|item| {
            let fields: Vec<&str> = [
                "device_id",
                "window_start",
                "window_stop",
                "avg_temp",
                "reading_count",
            ]
            .iter()
            .map(|name| {
                let a = item.attributes.iter().find(|a| a.name == *name).unwrap();
                match &a.value {
                    Value::N(s) | Value::S(s) => s.as_str(),
                    other => panic!("{name} is {other:?}"),
                }
            })
            .collect();
            format!("I {}", fields.join(" "))
        })
        .collect();
    // Rejected alone, then with their device (whose reasons name it), each by offset.
    let mut rejected: Vec<(bool, i64)> = out
        .rejected
        .iter()
        .map(|r| (r.reason.starts_with("device "), r.offset))
        .collect();
    rejected.sort_unstable();
    lines.extend(rejected.iter().map(|&(device, i)| {
        let kind = if device { "D" } else { "R" };
        format!("{kind} {i}")
    }));
    lines.push("E".to_owned());
    lines
}

/// `reference.py`'s answer for each batch.
fn python(batches: &[Vec<String>]) -> Vec<Vec<String>> {
    let interpreter = std::env::var("SWAPSTREAM_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference.py");
    let mut child = Command::new(&interpreter)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "this test needs `{interpreter}` (Python 3.11 or later) to run the reference: {e}"
            )
        });
    let mut input = String::new();
    for batch in batches {
        let hex: Vec<String> = batch
            .iter()
            // `x` and the bytes in hex: an empty value is still a word.
            .map(|v| {
                format!(
                    "x{}",
                    v.bytes().map(|b| format!("{b:02x}")).collect::<String>()
                )
            })
            .collect();
        input.push_str(&hex.join(" "));
        // An empty batch still needs its line.
        input.push_str(" \n");
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut answers = vec![Vec::new()];
    for line in text.lines() {
        answers.last_mut().unwrap().push(line.to_owned());
        if line == "E" {
            answers.push(Vec::new());
        }
    }
    answers.pop();
    answers
}

/// Checks every batch against `reference.py` and returns its answers.
fn assert_same_as_python(batches: &[Vec<String>]) -> Vec<Vec<String>> {
    let expected = python(batches);
    assert_eq!(expected.len(), batches.len(), "one answer per batch");
    for (batch, want) in batches.iter().zip(&expected) {
        let got = module(batch);
        assert_eq!(&got, want, "batch {batch:#?}");
    }
    expected
}

#[test]
fn generated_batches_give_what_the_reference_python_gives() {
    let mut batches = Vec::new();
    for seed in 0..600u64 {
        let mut rng = Rng(seed);
        let n = rng.below(25);
        batches.push((0..n).map(|_| record(&mut rng)).collect());
    }
    let answers = assert_same_as_python(&batches);
    // The batches must keep exercising all three outcomes.
    let count = |kind: &str| {
        answers
            .iter()
            .flatten()
            .filter(|l| l.starts_with(kind))
            .count()
    };
    let (items, alone, with_device) = (count("I "), count("R "), count("D "));
    eprintln!("{items} items, {alone} records rejected alone, {with_device} with their device");
    assert!(items > 1000 && alone > 1000 && with_device > 500);
}

fn readings(device: &str, temps: &[&str]) -> Vec<String> {
    temps
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(r#"{{"device_id": {device}, "timestamp": "2026-11-25T12:00:{i:02}", "temperature": {t}}}"#)
        })
        .collect()
}

#[test]
fn the_known_corner_cases_give_what_the_reference_python_gives() {
    let batches = vec![
        // An integer sum beyond 2^53, divided exactly.
        readings("1", &["451769784114599452"; 5]),
        // Ties after the exact division, of both parities and signs.
        readings("1", &["18014398509481985", "0"]),
        readings("1", &["-18014398509481987", "0"]),
        readings("1", &["33", "34"]),
        readings("1", &["-1", "-2"]),
        // Temperatures and totals beyond 64 bits.
        readings("1", &["9223372036854775807", "1", "-1"]),
        readings(
            "1",
            &[
                "170141183460469231731687303715884105727",
                "170141183460469231731687303715884105727",
                "-170141183460469231731687303715884105727",
                "-170141183460469231731687303715884105727",
                "5",
            ],
        ),
        // A total beyond 2^128 on the way.
        readings(
            "1",
            &[
                "170141183460469231731687303715884105727",
                "170141183460469231731687303715884105727",
                "170141183460469231731687303715884105727",
                "-170141183460469231731687303715884105728",
                "-170141183460469231731687303715884105728",
                "-170141183460469231731687303715884105728",
                "-7",
            ],
        ),
        // Device ids: -0 is 0, 38 digits is the most DynamoDB holds, floats are refused.
        [readings("-0", &["10"]), readings("0", &["21"])].concat(),
        readings("99999999999999999999999999999999999999", &["1"]),
        readings("100000000000000000000000000000000000000", &["1"]),
        [
            readings("-0.0", &["1"]),
            readings("0.0", &["1"]),
            readings("1.0", &["1"]),
        ]
        .concat(),
        // Means Python cannot round, beside a device it can.
        [readings("1", &["1e308", "1e308"]), readings("2", &["20"])].concat(),
        readings("1", &["1e400"]),
        readings("1", &["1e400", "-1e400"]),
        readings("1", &["1e-400", "-0.0"]),
        // -0 is the int 0 and -0.0 a float: different sums.
        readings("1", &["-0", "51711475985367037", "0"]),
        readings("1", &["-0.0", "51711475985367037", "0"]),
        // Compensation, and its end when an int beyond a long arrives.
        readings("1", &["0.1"; 10]),
        readings("1", &["1e30", "1e10", "-1e30", "9223372036854775808"]),
        readings(
            "1",
            &[
                "1e30",
                "1e10",
                "-1e30",
                "9223372036854775808",
                "1e30",
                "1e10",
                "-1e30",
            ],
        ),
        readings(
            "1",
            &[
                "4611686018427387904",
                "4611686018427387904",
                "1e30",
                "1e10",
                "-1e30",
            ],
        ),
        readings("1", &["0.2", "0.2", "0.7", "-37", "0.2"]),
        // Means of 38 and 39 digits.
        readings("1", &["1e38"]),
        readings("1", &["100000000000000000000000000000000000000"]),
        readings("1", &["99999999999999999999999999999999999999"]),
        readings("1", &["1.0000000000000004e38"]),
        Vec::new(),
    ];
    assert_same_as_python(&batches);
}
