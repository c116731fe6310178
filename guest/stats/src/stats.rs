//! Per-device temperature statistics over one batch.

use swapstream_guest::{Error, ItemBuilder, Output, PartitionBatch, Rejection, records, value};
use swapstream_telemetry::{Devices, Number, PySum, Window, parse};

/// The module's name, reported by `info()`.
pub const NAME: &str = "stats";

/// Running figures for one device.
struct Device<'a> {
    sum: PySum,
    count: u64,
    window: Window<'a>,
    min: Number,
    max: Number,
    /// Welford's running mean and sum of squared deviations: stable in one pass.
    mean: f64,
    m2: f64,
}

impl Device<'_> {
    fn add_temperature(&mut self, t: Number) {
        self.sum.add(t);
        self.count += 1;
        if t.as_f64() < self.min.as_f64() {
            self.min = t;
        }
        if t.as_f64() > self.max.as_f64() {
            self.max = t;
        }
        let x = t.as_f64();
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }
}

/// This module takes no configuration: any key is a mistake worth reporting.
pub fn check_config(config: &[(String, String)]) -> Result<(), Error> {
    match config.first() {
        None => Ok(()),
        Some((key, _)) => Err(Error::InvalidConfig(format!(
            "module `{NAME}` takes no configuration, got key `{key}`"
        ))),
    }
}

/// Aggregates every partition of `batch` together: one item per device, ordered by device id,
/// and one rejection per record that is not a valid reading.
pub fn aggregate(batch: &[PartitionBatch]) -> Output {
    let mut devices: Devices<Device<'_>> = Devices::default();
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
            match devices.get_mut(reading.device_id) {
                Some(device) => {
                    device.add_temperature(reading.temperature);
                    device.window.add(&reading.timestamp);
                }
                None => {
                    let mut device = Device {
                        sum: PySum::default(),
                        count: 0,
                        window: Window::new(reading.timestamp),
                        min: reading.temperature,
                        max: reading.temperature,
                        mean: 0.0,
                        m2: 0.0,
                    };
                    device.add_temperature(reading.temperature);
                    devices.insert(reading.device_id, device);
                }
            }
        }
    }
    let mut items = Vec::with_capacity(devices.len());
    let mut failed: Devices<String> = Devices::default();
    for (device_id, d) in devices.into_sorted() {
        match d.sum.rounded_mean(d.count) {
            Ok(avg_temp) => items.push(
                ItemBuilder::new()
                    .number("device_id", device_id)
                    .string("window_start", d.window.first)
                    .string("window_stop", d.window.last)
                    .number("avg_temp", avg_temp)
                    .number("reading_count", d.count)
                    .attr("min_temp", number(d.min))
                    .attr("max_temp", number(d.max))
                    // Always there when the rounded mean is.
                    .float("mean_temp", d.sum.mean(d.count).unwrap_or(f64::NAN))
                    .float("stddev_temp", (d.m2 / d.count as f64).sqrt())
                    .build(),
            ),
            Err(reason) => failed.insert(device_id, format!("device {device_id}: {reason}")),
        }
    }
    if !failed.is_empty() {
        reject_devices(batch, &mut failed, &mut rejected);
    }
    Output { items, rejected }
}

/// Rejects every record of the `failed` devices, with its device's reason. A second pass over
/// the batch, so that the common case keeps no per-record state.
#[cold]
fn reject_devices(
    batch: &[PartitionBatch],
    failed: &mut Devices<String>,
    rejected: &mut Vec<Rejection>,
) {
    for partition in batch {
        for record in records(partition) {
            if let Ok(reading) = parse(record.value)
                && let Some(reason) = failed.get_mut(reading.device_id)
            {
                rejected.push(record.reject(reason.clone()));
            }
        }
    }
}

/// A reading's number as it was written: integers stay integers.
fn number(n: Number) -> swapstream_guest::Value {
    match n {
        Number::Int(i) => swapstream_guest::Value::N(i.to_string()),
        Number::Wide(i) => swapstream_guest::Value::N(i.to_string()),
        Number::Float(x) => value::float(x),
        // Never in an item: its device's mean is rejected.
        Number::Huge { .. } => swapstream_guest::Value::Null,
    }
}

#[cfg(test)]
mod tests;
