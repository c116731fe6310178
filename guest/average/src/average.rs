//! Per-device average temperature over one batch, with the reference Lambda's exact semantics.

use swapstream_guest::{Error, ItemBuilder, Output, PartitionBatch, records};
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
    let items = devices
        .into_sorted()
        .into_iter()
        .map(|(device_id, d)| {
            ItemBuilder::new()
                .number("device_id", device_id)
                .string("window_start", d.window.first)
                .string("window_stop", d.window.last)
                .number("avg_temp", d.sum.rounded_mean(d.count))
                .number("reading_count", d.count)
                .build()
        })
        .collect();
    Output { items, rejected }
}

#[cfg(test)]
mod tests;
