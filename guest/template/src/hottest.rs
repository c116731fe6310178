//! The hottest reading per device in one batch — the module's logic, as a plain function.

use std::borrow::Cow;
use std::collections::BTreeMap;

use swapstream_guest::{Error, ItemBuilder, Output, PartitionBatch, records, value};
use swapstream_telemetry::parse;

/// The module's name, reported by `info()`.
pub const NAME: &str = "hottest";

/// The module's configuration (`SWAPSTREAM_MODULE_CONFIG=hottest/unit=F` reaches only a
/// module named `hottest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Report in degrees Fahrenheit (`unit=F`) instead of as received (`unit=C`, default).
    pub fahrenheit: bool,
}

impl Settings {
    /// Reads the configuration map; an unknown key or value is an error, so a typo is not
    /// silently ignored (the host then refuses this version before it goes live).
    pub fn from_config(config: &[(String, String)]) -> Result<Self, Error> {
        let mut settings = Settings { fahrenheit: false };
        for (key, value) in config {
            match (key.as_str(), value.as_str()) {
                ("unit", "C") => settings.fahrenheit = false,
                ("unit", "F") => settings.fahrenheit = true,
                _ => {
                    return Err(Error::InvalidConfig(format!(
                        "`{key}={value}`: {NAME} takes only unit=C or unit=F"
                    )));
                }
            }
        }
        Ok(settings)
    }
}

struct Device<'a> {
    hottest: f64,
    first: Cow<'a, str>,
    last: Cow<'a, str>,
    readings: u64,
}

/// One item per device with its hottest temperature; a record that is not a reading is
/// rejected with the reason (it never fails the batch).
pub fn aggregate(batch: &[PartitionBatch], settings: &Settings) -> Output {
    let mut devices: BTreeMap<i128, Device<'_>> = BTreeMap::new();
    let mut rejected = Vec::new();
    for partition in batch {
        for record in records(partition) {
            let reading = match parse(record.value) {
                Ok(reading) => reading,
                Err(reason) => {
                    rejected.push(record.reject(reason));
                    continue;
                }
            };
            let t = reading.temperature.as_f64();
            let device = devices.entry(reading.device_id).or_insert_with(|| Device {
                hottest: t,
                first: reading.timestamp.clone(),
                last: reading.timestamp.clone(),
                readings: 0,
            });
            device.readings += 1;
            device.hottest = device.hottest.max(t);
            if reading.timestamp < device.first {
                device.first = reading.timestamp;
            } else if reading.timestamp > device.last {
                device.last = reading.timestamp;
            }
        }
    }
    let items = devices
        .into_iter()
        .map(|(device_id, d)| {
            let hottest = if settings.fahrenheit {
                d.hottest * 9.0 / 5.0 + 32.0
            } else {
                d.hottest
            };
            // The output table's key is device_id (N) + window_start (S).
            ItemBuilder::new()
                .number("device_id", device_id)
                .string("window_start", d.first)
                .string("window_stop", d.last)
                .attr("max_temp", value::float(hottest))
                .number("reading_count", d.readings)
                .build()
        })
        .collect();
    Output { items, rejected }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use swapstream_guest::Value;

    /// A one-partition batch from JSON values, laid out in columns as the host sends it.
    fn batch(values: &[&str]) -> Vec<PartitionBatch> {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for v in values {
            bytes.extend_from_slice(v.as_bytes());
            ends.push(bytes.len() as u32);
        }
        vec![PartitionBatch {
            topic: "t".into(),
            partition: 0,
            offsets: (0..values.len() as i64).collect(),
            timestamps_ms: vec![0; values.len()],
            values: bytes,
            value_ends: ends,
            keys: Vec::new(),
            key_ends: vec![0; values.len()],
            has_key: vec![0; values.len()],
            header_records: Vec::new(),
            header_names: String::new(),
            header_name_ends: Vec::new(),
            header_values: Vec::new(),
            header_value_ends: Vec::new(),
        }]
    }

    fn reading(device: i64, second: u32, temperature: &str) -> String {
        format!(
            r#"{{"device_id": {device}, "timestamp": "2026-11-25T12:00:{second:02}", "temperature": {temperature}}}"#
        )
    }

    #[test]
    fn reports_the_hottest_reading_per_device_and_rejects_the_rest() {
        let values = [
            reading(1, 0, "30"),
            reading(1, 5, "34.5"),
            reading(2, 1, "20"),
        ];
        let mut values: Vec<&str> = values.iter().map(String::as_str).collect();
        values.push("not json");
        let out = aggregate(&batch(&values), &Settings { fahrenheit: false });
        assert_eq!(out.items.len(), 2);
        let first = &out.items[0].attributes;
        assert_eq!(first[0].value, Value::N("1".into()));
        assert_eq!(first[2].value, Value::S("2026-11-25T12:00:05".into()));
        assert_eq!(first[3].value, Value::N("34.5".into()));
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(out.rejected[0].offset, 3);
    }

    #[test]
    fn converts_to_fahrenheit_when_configured() {
        let settings = Settings::from_config(&[("unit".into(), "F".into())]).unwrap();
        let values = [reading(1, 0, "100")];
        let out = aggregate(&batch(&[values[0].as_str()]), &settings);
        assert_eq!(out.items[0].attributes[3].value, Value::N("212".into()));
    }

    #[test]
    fn refuses_unknown_configuration() {
        assert!(Settings::from_config(&[("unit".into(), "K".into())]).is_err());
        assert!(Settings::from_config(&[("colour".into(), "red".into())]).is_err());
    }
}
