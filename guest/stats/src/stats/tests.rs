#![allow(clippy::unwrap_used)]

use super::*;
use swapstream_guest::{Item, Value};

fn partition(records: &[String]) -> PartitionBatch {
    let mut values = Vec::new();
    let mut value_ends = Vec::new();
    for v in records {
        values.extend_from_slice(v.as_bytes());
        value_ends.push(values.len() as u32);
    }
    PartitionBatch {
        topic: "t".to_owned(),
        partition: 0,
        offsets: (0..records.len() as i64).collect(),
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

fn readings(device: i64, temps: &[&str]) -> Vec<String> {
    temps
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(r#"{{"device_id": {device}, "timestamp": "2026-11-25T12:00:{i:02}", "temperature": {t}}}"#)
        })
        .collect()
}

fn attrs(item: &Item) -> Vec<(&str, String)> {
    item.attributes
        .iter()
        .map(|a| {
            let v = match &a.value {
                Value::N(s) | Value::S(s) => s.clone(),
                other => format!("{other:?}"),
            };
            (a.name.as_str(), v)
        })
        .collect()
}

#[test]
fn reports_count_min_max_exact_mean_and_population_stddev() {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population standard deviation exactly 2.
    let out = aggregate(&[partition(&readings(
        4,
        &["2", "4", "4", "4", "5", "5", "7", "9"],
    ))]);
    assert_eq!(
        attrs(&out.items[0]),
        vec![
            ("device_id", "4".to_owned()),
            ("window_start", "2026-11-25T12:00:00".to_owned()),
            ("window_stop", "2026-11-25T12:00:07".to_owned()),
            ("avg_temp", "5".to_owned()),
            ("reading_count", "8".to_owned()),
            ("min_temp", "2".to_owned()),
            ("max_temp", "9".to_owned()),
            ("mean_temp", "5".to_owned()),
            ("stddev_temp", "2".to_owned()),
        ]
    );
}

#[test]
fn keeps_the_mean_unrounded_and_the_reference_attributes_identical_to_average() {
    let values = readings(1, &["33", "34", "23.5"]);
    let batch = [partition(&values)];
    let out = aggregate(&batch);
    let got = attrs(&out.items[0]);
    assert_eq!(got[7], ("mean_temp", "30.166666666666668".to_owned()));
    assert_eq!(got[5], ("min_temp", "23.5".to_owned()));
    let reference = swapstream_average_like(&batch);
    assert_eq!(&got[..5], &reference[..]);
}

/// The first five attributes `average` would give for a one-device batch (computed here
/// independently: sum, divide, round half to even).
fn swapstream_average_like(batch: &[PartitionBatch]) -> Vec<(&'static str, String)> {
    let temps: Vec<f64> = records(&batch[0])
        .map(|r| parse(r.value).unwrap().temperature.as_f64())
        .collect();
    let mean = temps.iter().sum::<f64>() / temps.len() as f64;
    vec![
        ("device_id", "1".to_owned()),
        ("window_start", "2026-11-25T12:00:00".to_owned()),
        ("window_stop", "2026-11-25T12:00:02".to_owned()),
        ("avg_temp", format!("{}", mean.round_ties_even() as i64)),
        ("reading_count", temps.len().to_string()),
    ]
}

#[test]
fn a_single_reading_has_zero_deviation() {
    let out = aggregate(&[partition(&readings(9, &["21.25"]))]);
    let got = attrs(&out.items[0]);
    assert_eq!(got[8], ("stddev_temp", "0".to_owned()));
    assert_eq!(got[6], ("max_temp", "21.25".to_owned()));
}

#[test]
fn rejects_bad_records_like_average() {
    let mut values = readings(1, &["30"]);
    values.push(r#"{"device_id": 1}"#.to_owned());
    let out = aggregate(&[partition(&values)]);
    assert_eq!(out.items.len(), 1);
    assert_eq!(out.rejected.len(), 1);
    assert_eq!(out.rejected[0].offset, 1);
    assert_eq!(
        out.rejected[0].reason,
        "not a reading: missing field `timestamp` at line 1 column 16"
    );
}

#[test]
fn refuses_configuration_keys() {
    assert!(check_config(&[("k".into(), "v".into())]).is_err());
    assert!(check_config(&[]).is_ok());
}

#[test]
fn rejects_every_record_of_a_device_whose_mean_overflows_and_keeps_the_others() {
    let mut values = readings(1, &["1e308", "1e308"]);
    values.extend(readings(2, &["20"]));
    let out = aggregate(&[partition(&values)]);
    assert_eq!(out.items.len(), 1);
    assert_eq!(attrs(&out.items[0])[0], ("device_id", "2".to_owned()));
    let rejected: Vec<_> = out
        .rejected
        .iter()
        .map(|r| (r.offset, r.reason.as_str()))
        .collect();
    let reason = "device 1: the mean temperature overflows to infinity: Python's round() raises OverflowError";
    assert_eq!(rejected, vec![(0, reason), (1, reason)]);
}
