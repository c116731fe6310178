//! Per-device average temperature over one batch, with the reference Lambda's exact semantics.

use swapstream_guest::{Error, ItemBuilder, Output, PartitionBatch, Rejection, records};
use swapstream_telemetry::{Devices, PySum, Window, parse};

/// The module's name, reported by `info()`.
pub const NAME: &str = "average";

/// Running figures for one device.
struct Device<'a> {
    sum: PySum,
    count: u64,
    window: Window<'a>,
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
/// and one rejection per record that is not a valid reading. A device whose average Python
/// could not compute or DynamoDB could not hold (see [`PySum::rounded_mean`]) gets no item:
/// every one of its records is rejected with the reason instead.
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
                Some(d) => {
                    d.sum.add(reading.temperature);
                    d.count += 1;
                    d.window.add(&reading.timestamp);
                }
                None => {
                    let mut sum = PySum::default();
                    sum.add(reading.temperature);
                    devices.insert(
                        reading.device_id,
                        Device {
                            sum,
                            count: 1,
                            window: Window::new(reading.timestamp),
                        },
                    );
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

#[cfg(test)]
mod tests;
