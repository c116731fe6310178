//! Reference-like readings as a Kafka stream, and an independent check of the items the host
//! wrote for them.
//!
//! Each device lives in one partition (device d in partition (d-1) mod P) and its timestamps
//! rise with its offsets. A batch takes a contiguous offset range of each partition, so an item
//! for device d covers exactly d's readings between its `window_start` and `window_stop`.
//! That makes every item checkable on its own — its count and average must be those of the
//! readings in its window — whatever the batch boundaries were, and "nothing missing" means
//! every reading lies in some item's window.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::dynamodb::{Item, text};
use crate::kafka::{Delivered, OutRecord};
use crate::telemetry::round_half_even;

/// One good reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Device id.
    pub device: i64,
    /// Timestamp string.
    pub timestamp: String,
    /// Temperature.
    pub temperature: i64,
}

/// A generated stream.
#[derive(Debug, Clone)]
pub struct Stream {
    /// What to produce, in order.
    pub records: Vec<OutRecord>,
    /// For each record: the good reading in it, or `None` for a bad record.
    pub readings: Vec<Option<Reading>>,
    /// Partitions.
    pub partitions: i32,
}

/// `count` records from `devices` devices over `partitions` partitions; about one in
/// `bad_every` is bad (0: none). Devices take turns; timestamps rise 1 ms per record.
pub fn generate(devices: i64, partitions: i32, count: usize, bad_every: u32, seed: u64) -> Stream {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut temps: Vec<i64> = (0..devices).map(|_| rng.random_range(25..=35)).collect();
    let mut records = Vec::with_capacity(count);
    let mut readings = Vec::with_capacity(count);
    for i in 0..count {
        let index = i % devices as usize;
        let device = index as i64 + 1;
        temps[index] += rng.random_range(-1..=1);
        let ms = i as u64;
        let timestamp = format!(
            "2026-11-25T{:02}:{:02}:{:02}.{:06}",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1_000 % 60,
            ms % 1_000 * 1_000 + 123
        );
        let bad = bad_every > 0 && rng.random_ratio(1, bad_every);
        let (value, reading) = if bad {
            let value = match rng.random_range(0..4) {
                0 => "not json at all".to_owned(),
                1 => format!(r#"{{"device_id": {device}, "timestamp": "{timestamp}"}}"#),
                2 => format!(
                    r#"{{"device_id": "x{device}", "timestamp": "{timestamp}", "temperature": 1}}"#
                ),
                _ => format!(
                    r#"{{"device_id": {device}, "timestamp": "{timestamp}", "temperature": "hot"}}"#
                ),
            };
            (value, None)
        } else {
            let value = format!(
                r#"{{"device_id": {device}, "timestamp": "{timestamp}", "temperature": {}}}"#,
                temps[index]
            );
            (
                value,
                Some(Reading {
                    device,
                    timestamp,
                    temperature: temps[index],
                }),
            )
        };
        records.push(OutRecord {
            partition: Some(((device - 1) % i64::from(partitions)) as i32),
            key: device.to_string().into_bytes(),
            value: value.into_bytes(),
        });
        readings.push(reading);
    }
    Stream {
        records,
        readings,
        partitions,
    }
}

impl Stream {
    /// Good readings.
    pub fn good(&self) -> usize {
        self.readings.iter().flatten().count()
    }

    /// `(partition, offset)` of every bad record.
    pub fn bad_coordinates(&self, delivered: &Delivered) -> Vec<(i32, i64)> {
        let mut bad: Vec<(i32, i64)> = self
            .readings
            .iter()
            .zip(&delivered.coordinates)
            .filter(|(r, _)| r.is_none())
            .map(|(_, c)| *c)
            .collect();
        bad.sort_unstable();
        bad
    }

    /// Checks `items` against the readings; see [`Accounting`].
    pub fn account(&self, items: &[Item]) -> Accounting {
        let mut by_device: BTreeMap<i64, Vec<(&str, i64)>> = BTreeMap::new();
        let mut index_of: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (i, r) in self.readings.iter().enumerate() {
            if let Some(r) = r {
                by_device
                    .entry(r.device)
                    .or_default()
                    .push((r.timestamp.as_str(), r.temperature));
                index_of.entry(r.device).or_default().push(i);
            }
        }
        let mut covered: BTreeMap<i64, Vec<bool>> = by_device
            .iter()
            .map(|(d, rs)| (*d, vec![false; rs.len()]))
            .collect();
        let mut accounting = Accounting {
            readings: self.good(),
            ..Accounting::default()
        };
        for item in items {
            let device: i64 = text(item, "device_id").parse().unwrap();
            let start = text(item, "window_start");
            let stop = text(item, "window_stop");
            let count: usize = text(item, "reading_count").parse().unwrap();
            let avg: i64 = text(item, "avg_temp").parse().unwrap();
            accounting.items += 1;
            accounting.counted += count;
            let Some(readings) = by_device.get(&device) else {
                accounting
                    .wrong
                    .push(format!("device {device} has no readings"));
                continue;
            };
            let from = readings.partition_point(|(t, _)| *t < start.as_str());
            let to = readings.partition_point(|(t, _)| *t <= stop.as_str());
            let window = &readings[from..to];
            let sum: i64 = window.iter().map(|(_, t)| t).sum();
            let ok = !window.is_empty()
                && window[0].0 == start
                && window[window.len() - 1].0 == stop
                && window.len() == count
                && round_half_even(sum, count as i64) == avg;
            if ok {
                for c in &mut covered.get_mut(&device).unwrap()[from..to] {
                    *c = true;
                }
            } else {
                accounting.wrong.push(format!(
                    "device {device} {start}..{stop}: item says {count} readings averaging {avg}, the window holds {} averaging {}",
                    window.len(),
                    if window.is_empty() { 0 } else { round_half_even(sum, window.len() as i64) }
                ));
            }
        }
        accounting.covered = covered.values().flatten().filter(|c| **c).count();
        for (device, flags) in &covered {
            for (k, c) in flags.iter().enumerate() {
                if !c && accounting.uncovered.len() < 20 {
                    accounting.uncovered.push(index_of[device][k]);
                }
            }
        }
        accounting.uncovered.sort_unstable();
        accounting
    }
}

/// How items account for readings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounting {
    /// Good readings produced.
    pub readings: usize,
    /// Readings inside the window of some correct item ("nothing missing" when equal to
    /// `readings`).
    pub covered: usize,
    /// Sum of the items' `reading_count` (equal to `readings` when nothing was processed
    /// twice).
    pub counted: usize,
    /// Items checked.
    pub items: usize,
    /// Items that do not match their window (must be empty).
    pub wrong: Vec<String>,
    /// Indices (in [`Stream::records`]) of the first few readings no item covers.
    pub uncovered: Vec<usize>,
}
