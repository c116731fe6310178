#![allow(clippy::unwrap_used)]

use super::*;
use swapstream_guest::{Item, Rejection, Value};

/// A partition batch built from (offset, value) pairs, keys absent.
fn partition(topic: &str, partition: i32, records: &[(i64, &str)]) -> PartitionBatch {
    let mut values = Vec::new();
    let mut value_ends = Vec::new();
    for (_, v) in records {
        values.extend_from_slice(v.as_bytes());
        value_ends.push(values.len() as u32);
    }
    PartitionBatch {
        topic: topic.to_owned(),
        partition,
        offsets: records.iter().map(|(o, _)| *o).collect(),
        timestamps_ms: vec![0; records.len()],
        values,
        value_ends,
        keys: Vec::new(),
        key_ends: vec![0; records.len()],
        has_key: vec![0; records.len()],
        header_records: Vec::new(),
        header_names: String::new(),
        header_name_ends: Vec::new(),
        header_values: Vec::new(),
        header_value_ends: Vec::new(),
    }
}

fn reading(device: i64, ts: &str, temp: &str) -> String {
    format!(r#"{{"device_id": {device}, "timestamp": "2026-11-25T{ts}", "temperature": {temp}}}"#)
}

/// An item as (device_id, window_start, window_stop, avg_temp, reading_count) strings.
fn row(item: &Item) -> [String; 5] {
    let get = |name: &str| {
        let a = item.attributes.iter().find(|a| a.name == name).unwrap();
        match &a.value {
            Value::N(s) | Value::S(s) => s.clone(),
            other => panic!("unexpected {other:?}"),
        }
    };
    [
        get("device_id"),
        get("window_start"),
        get("window_stop"),
        get("avg_temp"),
        get("reading_count"),
    ]
}

fn rows(out: &Output) -> Vec<[String; 5]> {
    out.items.iter().map(row).collect()
}

fn r(fields: [&str; 5]) -> [String; 5] {
    fields.map(str::to_owned)
}

fn temps(device: i64, temps: &[&str]) -> Vec<String> {
    temps
        .iter()
        .enumerate()
        .map(|(i, t)| reading(device, &format!("12:00:{i:02}"), t))
        .collect()
}

fn avg_of(temps_list: &[&str]) -> String {
    let values = temps(1, temps_list);
    let recs: Vec<(i64, &str)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as i64, v.as_str()))
        .collect();
    let out = aggregate(&[partition("t", 0, &recs)]);
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    row(&out.items[0])[3].clone()
}

#[test]
fn rounds_ties_half_to_even_like_python() {
    assert_eq!(avg_of(&["33", "34"]), "34"); // 33.5 -> 34
    assert_eq!(avg_of(&["32", "33"]), "32"); // 32.5 -> 32
    assert_eq!(avg_of(&["0", "-1"]), "0"); // -0.5 -> 0 (and not "-0")
    assert_eq!(avg_of(&["-1", "-2"]), "-2"); // -1.5 -> -2
    assert_eq!(avg_of(&["2.5"]), "2");
    assert_eq!(avg_of(&["3.5"]), "4");
}

#[test]
fn rounds_non_ties_to_nearest() {
    assert_eq!(avg_of(&["25", "24", "23.5", "23"]), "24"); // 23.875
    assert_eq!(avg_of(&["1", "1", "2"]), "1"); // 1.333…
    assert_eq!(avg_of(&["1", "2", "2"]), "2"); // 1.666…
}

#[test]
fn averages_float_sums_as_python_3_12_does() {
    // sum([0.2, 0.2, 0.7, -37, 0.2]) == -35.699999999999996 in CPython; / 5 -> -7.14 -> -7
    assert_eq!(avg_of(&["0.2", "0.2", "0.7", "-37", "0.2"]), "-7");
}

#[test]
fn windows_are_the_smallest_and_largest_timestamp_strings() {
    let a = reading(1, "12:05:00.000001", "30");
    let b = reading(1, "12:01:00", "30");
    let c = reading(1, "12:09:59.999999", "30");
    let d = reading(1, "12:01:00.5", "30");
    let out = aggregate(&[partition("t", 0, &[(1, &a), (2, &b), (3, &c), (4, &d)])]);
    assert_eq!(
        rows(&out),
        vec![r([
            "1",
            "2026-11-25T12:01:00",
            "2026-11-25T12:09:59.999999",
            "30",
            "4"
        ])]
    );
}

#[test]
fn aggregates_every_partition_and_topic_together_ordered_by_device() {
    let p0 = [reading(7, "12:00:01", "30"), reading(2, "12:00:02", "20")];
    let p1 = [reading(7, "12:00:03", "31")];
    let other = [reading(2, "12:00:00", "21"), reading(7, "12:00:00", "33")];
    let batch = [
        partition("a", 0, &[(10, &p0[0]), (11, &p0[1])]),
        partition("a", 1, &[(5, &p1[0])]),
        partition("b", 0, &[(0, &other[0]), (1, &other[1])]),
    ];
    let out = aggregate(&batch);
    assert_eq!(
        rows(&out),
        vec![
            r(["2", "2026-11-25T12:00:00", "2026-11-25T12:00:02", "20", "2"]), // 20.5 -> 20
            r(["7", "2026-11-25T12:00:00", "2026-11-25T12:00:03", "31", "3"]), // 31.33
        ]
    );
    assert!(out.rejected.is_empty());
}

fn rejection(topic: &str, partition: i32, offset: i64, reason: &str) -> Rejection {
    Rejection {
        topic: topic.into(),
        partition,
        offset,
        reason: reason.into(),
    }
}

#[test]
fn rejects_every_kind_of_bad_record_with_its_coordinates_and_keeps_the_rest() {
    let good = reading(1, "12:00:00", "30");
    let bad: Vec<(i64, &[u8])> = vec![
        (100, b"not json"),
        (101, b"[1, 2]"),
        (
            102,
            br#"{"timestamp": "2026-11-25T12:00:00", "temperature": 1}"#,
        ),
        (
            103,
            br#"{"device_id": "x", "timestamp": "2026-11-25T12:00:00", "temperature": 1}"#,
        ),
        (
            104,
            br#"{"device_id": 1, "timestamp": "2026-11-25T12:00:00", "temperature": "hot"}"#,
        ),
        (
            105,
            br#"{"device_id": 1, "timestamp": "2026-11-25T12:00:00", "temperature": NaN}"#,
        ),
        (
            106,
            b"{\"device_id\": 1, \"timestamp\": \"\xff\", \"temperature\": 1}",
        ),
        (
            107,
            br#"{"device_id": 1, "timestamp": "yesterday", "temperature": 1}"#,
        ),
        (108, b""),
    ];
    let mut p = partition("sensors", 3, &[(99, &good)]);
    for (offset, value) in &bad {
        p.offsets.push(*offset);
        p.timestamps_ms.push(0);
        p.values.extend_from_slice(value);
        p.value_ends.push(p.values.len() as u32);
        p.key_ends.push(0);
        p.has_key.push(0);
    }
    let out = aggregate(&[p]);
    assert_eq!(
        rows(&out),
        vec![r([
            "1",
            "2026-11-25T12:00:00",
            "2026-11-25T12:00:00",
            "30",
            "1"
        ])]
    );
    let coordinates: Vec<_> = out
        .rejected
        .iter()
        .map(|r| (r.topic.as_str(), r.partition, r.offset))
        .collect();
    assert_eq!(
        coordinates,
        (100..=108).map(|o| ("sensors", 3, o)).collect::<Vec<_>>()
    );
    let reasons: Vec<_> = out.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec![
            "not JSON: expected ident at line 1 column 2",
            "not a reading: expected a JSON object, found an array",
            "not a reading: missing field `device_id` at line 1 column 54",
            "not a reading: invalid type: string \"x\", expected an integer device_id at line 1 column 17",
            "not a reading: invalid type: string \"hot\", expected a numeric temperature at line 1 column 73",
            "not JSON: expected value at line 1 column 69",
            "value is not valid UTF-8 (invalid byte at 31)",
            "not a reading: timestamp \"yesterday\" is not an ISO-8601 date-time",
            "value is empty",
        ]
    );
    assert_eq!(out.rejected[0], rejection("sensors", 3, 100, reasons[0]));
}

#[test]
fn empty_batch_gives_no_items_and_no_rejections() {
    let out = aggregate(&[]);
    assert!(out.items.is_empty() && out.rejected.is_empty());
    let out = aggregate(&[partition("t", 0, &[])]);
    assert!(out.items.is_empty() && out.rejected.is_empty());
}

#[test]
fn refuses_configuration_keys() {
    assert!(check_config(&[]).is_ok());
    let err = check_config(&[("window".into(), "5m".into())]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidConfig(m) if m == "module `average` takes no configuration, got key `window`")
    );
}

/// The rows and the (offset, reason) of each rejection for one partition of `values`.
fn run(values: &[String]) -> (Vec<[String; 5]>, Vec<(i64, String)>) {
    let recs: Vec<(i64, &str)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as i64, v.as_str()))
        .collect();
    let out = aggregate(&[partition("t", 0, &recs)]);
    let rejected = out
        .rejected
        .iter()
        .map(|r| (r.offset, r.reason.clone()))
        .collect();
    (rows(&out), rejected)
}

fn raw_reading(device: &str, second: u32, temp: &str) -> String {
    format!(
        r#"{{"device_id": {device}, "timestamp": "2026-11-25T12:00:{second:02}", "temperature": {temp}}}"#
    )
}

#[test]
fn integer_means_beyond_2_pow_53_are_one_correctly_rounded_division() {
    // Python: round(2258848920572997260 / 5) == 451769784114599424; dividing the sum as a
    // float first gives 451769784114599488.
    assert_eq!(avg_of(&["451769784114599452"; 5]), "451769784114599424");
    // Python: round((2**54 + 1) / 2) == 9007199254740992, the exact x.5 rounded to even.
    assert_eq!(avg_of(&["18014398509481985", "0"]), "9007199254740992");
}

#[test]
fn integers_beyond_64_bits_stay_exact() {
    // Python: round((2**64 + 2**64 + 1 - 2**64) / 3) == 6148914691236517376
    assert_eq!(
        avg_of(&[
            "18446744073709551616",
            "18446744073709551617",
            "-18446744073709551616"
        ]),
        "6148914691236516864"
    );
    let device = "-99999999999999999999999999999999999999";
    let (rows, rejected) = run(&[raw_reading(device, 0, "5"), raw_reading(device, 1, "6")]);
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(rows[0][0], device);
    assert_eq!(rows[0][3], "6");
}

#[test]
fn device_ids_beyond_38_digits_are_rejected() {
    let device = "100000000000000000000000000000000000000";
    let (rows, rejected) = run(&[raw_reading(device, 0, "5"), raw_reading("1", 1, "6")]);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rejected,
        vec![(
            0,
            format!(
                "not a reading: device_id {device} has more than 38 digits, more than a DynamoDB number holds"
            )
        )]
    );
}

#[test]
fn minus_zero_is_device_zero_and_float_device_ids_are_rejected() {
    let (rows, rejected) = run(&[
        raw_reading("-0", 0, "10"),
        raw_reading("0", 1, "21"),
        raw_reading("-0.0", 2, "99"),
        raw_reading("0.0", 3, "99"),
        raw_reading("1.0", 4, "99"),
    ]);
    assert_eq!(
        rows,
        vec![r([
            "0",
            "2026-11-25T12:00:00",
            "2026-11-25T12:00:01",
            "16",
            "2"
        ])] // 15.5 -> 16
    );
    let offsets: Vec<_> = rejected.iter().map(|(o, _)| *o).collect();
    assert_eq!(offsets, vec![2, 3, 4]);
    assert!(
        rejected[0]
            .1
            .contains("floating point `-0.0`, expected an integer device_id")
    );
}

#[test]
fn a_device_whose_mean_python_cannot_round_is_rejected_whole_and_the_others_written() {
    let (rows, rejected) = run(&[
        raw_reading("1", 0, "1e308"),
        raw_reading("2", 1, "20"),
        raw_reading("1", 2, "1e308"),
        raw_reading("3", 3, "1e400"),
        raw_reading("4", 4, "1e400"),
        raw_reading("4", 5, "-1e400"),
    ]);
    assert_eq!(
        rows,
        vec![r([
            "2",
            "2026-11-25T12:00:01",
            "2026-11-25T12:00:01",
            "20",
            "1"
        ])]
    );
    let overflow =
        "the mean temperature overflows to infinity: Python's round() raises OverflowError";
    let nan = "the mean temperature is NaN (infinite readings of both signs): Python's round() raises ValueError";
    assert_eq!(
        rejected,
        vec![
            (0, format!("device 1: {overflow}")),
            (2, format!("device 1: {overflow}")),
            (3, format!("device 3: {overflow}")),
            (4, format!("device 4: {nan}")),
            (5, format!("device 4: {nan}")),
        ]
    );
}

#[test]
fn minus_zero_temperatures_are_the_int_zero_or_the_float_minus_zero() {
    // Python: round((-0 + 51711475985367037 + 0) / 3) == 17237158661789012 (an int sum,
    // divided exactly), but round((-0.0 + 51711475985367037 + 0) / 3) == 17237158661789014
    // (a float sum).
    assert_eq!(
        avg_of(&["-0", "51711475985367037", "0"]),
        "17237158661789012"
    );
    assert_eq!(
        avg_of(&["-0.0", "51711475985367037", "0"]),
        "17237158661789014"
    );
    assert_eq!(avg_of(&["-0.0"]), "0");
}
