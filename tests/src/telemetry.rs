//! Reference-like telemetry for tests, with the expected results computed independently of
//! the modules (exact integer arithmetic, written out here on purpose).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

/// One generated record.
#[derive(Debug, Clone)]
pub struct Record {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Value bytes; `None` for a value that is not even valid base64 in the Lambda event.
    pub value: Option<Vec<u8>>,
    /// The raw text used in the event when `value` is `None`.
    pub bad_base64: Option<String>,
    /// Whether a correct module must reject it.
    pub bad: bool,
}

/// Per-device expectations, as the reference Lambda would compute them.
#[derive(Debug, Clone)]
pub struct Expected {
    /// Smallest timestamp string.
    pub window_start: String,
    /// Largest timestamp string.
    pub window_stop: String,
    /// Rounded mean, half to even.
    pub avg_temp: i64,
    /// Readings.
    pub count: u64,
    sum: i64,
}

impl Expected {
    /// An expectation read back from an item (the sum is not stored, so it is left at 0 and
    /// ignored by comparisons of items read back against each other).
    pub fn from_parts(
        window_start: String,
        window_stop: String,
        avg_temp: i64,
        count: u64,
    ) -> Self {
        Self {
            window_start,
            window_stop,
            avg_temp,
            count,
            sum: 0,
        }
    }
}

impl PartialEq for Expected {
    /// Compares what an item shows: the windows, the average and the count.
    fn eq(&self, other: &Self) -> bool {
        (
            &self.window_start,
            &self.window_stop,
            self.avg_temp,
            self.count,
        ) == (
            &other.window_start,
            &other.window_stop,
            other.avg_temp,
            other.count,
        )
    }
}

impl Eq for Expected {}

/// `round(sum / count)` with ties to even, in exact integer arithmetic.
pub fn round_half_even(sum: i64, count: i64) -> i64 {
    let (q, r) = (sum.div_euclid(count), sum.rem_euclid(count));
    match (2 * r).cmp(&count) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// Generated records over `partitions` partitions of `topic`, `per_partition` each starting at
/// offset `first_offset`, from
/// `devices` devices with random-walk integer temperatures; about one record in
/// `bad_every` is bad in one of several ways.
pub fn generate(
    topic: &str,
    partitions: i32,
    first_offset: i64,
    per_partition: i64,
    devices: i64,
    bad_every: u32,
    seed: u64,
) -> Vec<Record> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut temps: Vec<i64> = (0..devices).map(|_| rng.random_range(25..=35)).collect();
    let mut records = Vec::new();
    for partition in 0..partitions {
        for offset in 0..per_partition {
            let device = rng.random_range(0..devices);
            temps[device as usize] += rng.random_range(-1..=1);
            let micros: u32 = rng.random_range(0..1_000_000);
            let ts = format!(
                "2026-11-25T12:{:02}:{:02}.{micros:06}",
                rng.random_range(0..60),
                rng.random_range(0..60)
            );
            let good = format!(
                r#"{{"device_id": {}, "timestamp": "{ts}", "temperature": {}}}"#,
                device + 1,
                temps[device as usize]
            );
            let (value, bad_base64, bad) = if rng.random_ratio(1, bad_every) {
                match rng.random_range(0..6) {
                    0 => (Some(b"not json at all".to_vec()), None, true),
                    1 => (Some(format!(r#"{{"device_id": {}, "timestamp": "{ts}"}}"#, device + 1).into_bytes()), None, true),
                    2 => (Some(format!(r#"{{"device_id": "x{device}", "timestamp": "{ts}", "temperature": 1}}"#).into_bytes()), None, true),
                    3 => (Some(format!(r#"{{"device_id": {}, "timestamp": "{ts}", "temperature": "hot"}}"#, device + 1).into_bytes()), None, true),
                    4 => (Some(b"{\"device_id\": 1, \"timestamp\": \"\xff\xfe\", \"temperature\": 1}".to_vec()), None, true),
                    _ => (None, Some("%%%not-base64%%%".to_owned()), true),
                }
            } else {
                (Some(good.into_bytes()), None, false)
            };
            records.push(Record {
                topic: topic.to_owned(),
                partition,
                offset: first_offset + offset,
                value,
                bad_base64,
                bad,
            });
        }
    }
    records
}

/// What a correct `average` module makes of `records` (all in one batch).
pub fn expected(records: &[Record]) -> BTreeMap<i64, Expected> {
    let mut out: BTreeMap<i64, Expected> = BTreeMap::new();
    for r in records.iter().filter(|r| !r.bad) {
        let v: serde_json::Value = serde_json::from_slice(r.value.as_ref().unwrap()).unwrap();
        let device = v["device_id"].as_i64().unwrap();
        let ts = v["timestamp"].as_str().unwrap().to_owned();
        let temp = v["temperature"].as_i64().unwrap();
        let e = out.entry(device).or_insert_with(|| Expected {
            window_start: ts.clone(),
            window_stop: ts.clone(),
            avg_temp: 0,
            count: 0,
            sum: 0,
        });
        e.window_start = e.window_start.clone().min(ts.clone());
        e.window_stop = e.window_stop.clone().max(ts);
        e.sum += temp;
        e.count += 1;
    }
    for e in out.values_mut() {
        e.avg_temp = round_half_even(e.sum, e.count as i64);
    }
    out
}

/// A Lambda Kafka event (`SelfManagedKafka`) holding `records`.
pub fn lambda_event(records: &[Record]) -> serde_json::Value {
    let mut by_partition: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for r in records {
        let value = match (&r.value, &r.bad_base64) {
            (Some(v), _) => BASE64.encode(v),
            (None, Some(text)) => text.clone(),
            (None, None) => unreachable!(),
        };
        by_partition
            .entry(format!("{}-{}", r.topic, r.partition))
            .or_default()
            .push(json!({
                "topic": r.topic,
                "partition": r.partition,
                "offset": r.offset,
                "timestamp": 1_795_636_000_000_i64 + r.offset,
                "timestampType": "CREATE_TIME",
                "key": BASE64.encode(r.offset.to_string()),
                "value": value,
                "headers": [{"source": [115, 119, 97, 112]}],
            }));
    }
    json!({
        "eventSource": "SelfManagedKafka",
        "bootstrapServers": "127.0.0.1:9092",
        "records": by_partition,
    })
}

#[cfg(test)]
mod tests {
    use super::round_half_even;

    #[test]
    fn rounds_half_to_even_exactly() {
        assert_eq!(round_half_even(67, 2), 34); // 33.5
        assert_eq!(round_half_even(65, 2), 32); // 32.5
        assert_eq!(round_half_even(-3, 2), -2); // -1.5
        assert_eq!(round_half_even(-1, 2), 0); // -0.5
        assert_eq!(round_half_even(7, 3), 2);
        assert_eq!(round_half_even(8, 3), 3);
    }
}
