//! The metrics of service mode, through the `metrics` facade: what `/metrics` shows, named
//! and described in one place. Without an installed recorder (Lambda, tests) every call is a
//! no-op; the host installs the Prometheus exporter.

use std::time::Duration;

use metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};

use crate::module::ModuleLabel;

/// Records delivered again by the broker within one assignment, and skipped.
pub const RECORDS_SKIPPED: &str = "swapstream_records_skipped_total";
/// Records taken from Kafka into batches.
pub const RECORDS_IN: &str = "swapstream_records_in_total";
/// Items written to the output table.
pub const ITEMS_WRITTEN: &str = "swapstream_items_written_total";
/// Records rejected (by the module, or because the module failed the batch).
pub const RECORDS_REJECTED: &str = "swapstream_records_rejected_total";
/// Batches completed, by outcome.
pub const BATCHES: &str = "swapstream_batches_total";
/// Time from a batch's first attempt to its durable write.
pub const BATCH_DURATION: &str = "swapstream_batch_duration_seconds";
/// Records per batch.
pub const BATCH_RECORDS: &str = "swapstream_batch_records";
/// Failed batch attempts that will be retried.
pub const BATCH_RETRIES: &str = "swapstream_batch_retries_total";
/// Retried DynamoDB requests (throttling, unprocessed items, 5xx) inside successful writes.
pub const SINK_RETRIES: &str = "swapstream_sink_retries_total";
/// The module version in force (value 1), by name, version and hash.
pub const MODULE_INFO: &str = "swapstream_module_info";
/// Records behind the partition's high watermark, from librdkafka's statistics.
pub const CONSUMER_LAG: &str = "swapstream_consumer_lag";
/// Last committed offset per partition.
pub const COMMITTED_OFFSET: &str = "swapstream_committed_offset";
/// Last stored (written, to be committed) offset per partition.
pub const STORED_OFFSET: &str = "swapstream_stored_offset";
/// 1 while healthy, 0 otherwise.
pub const HEALTHY: &str = "swapstream_healthy";

/// Describes every metric to the installed recorder (units and help texts).
pub fn describe() {
    describe_counter!(RECORDS_IN, "Records taken from Kafka into batches.");
    describe_counter!(
        RECORDS_SKIPPED,
        "Records the broker delivered again at an offset already taken, and that were skipped."
    );
    describe_counter!(ITEMS_WRITTEN, "Items written to the output table.");
    describe_counter!(
        RECORDS_REJECTED,
        "Records rejected by the module (or in a batch the module failed), sent to the dead-letter table."
    );
    describe_counter!(BATCHES, "Batches completed, by outcome.");
    describe_histogram!(
        BATCH_DURATION,
        Unit::Seconds,
        "Time from a batch's first attempt until its results were durably written."
    );
    describe_histogram!(BATCH_RECORDS, Unit::Count, "Records per batch.");
    describe_counter!(
        BATCH_RETRIES,
        "Failed batch attempts (sink or module) that are retried."
    );
    describe_counter!(
        SINK_RETRIES,
        "DynamoDB requests retried inside writes that succeeded (throttling, unprocessed items, 5xx)."
    );
    describe_gauge!(MODULE_INFO, "The module version in force (1).");
    describe_gauge!(
        CONSUMER_LAG,
        "Records between the committed offset and the high watermark, per partition (librdkafka statistics)."
    );
    describe_gauge!(COMMITTED_OFFSET, "Last committed offset per partition.");
    describe_gauge!(
        STORED_OFFSET,
        "Last stored offset per partition: every record below it is written."
    );
    describe_gauge!(HEALTHY, "1 while /healthz reports healthy.");
}

/// Records taken into a batch.
pub fn records_in(n: usize) {
    counter!(RECORDS_IN).increment(n as u64);
}

/// A record delivered again and skipped.
pub fn record_skipped() {
    counter!(RECORDS_SKIPPED).increment(1);
}

/// A batch that was written.
pub fn batch_written(
    records: usize,
    items: usize,
    rejected: usize,
    sink_retries: usize,
    elapsed: Duration,
) {
    counter!(BATCHES, "outcome" => "written").increment(1);
    counter!(ITEMS_WRITTEN).increment(items as u64);
    counter!(RECORDS_REJECTED).increment(rejected as u64);
    counter!(SINK_RETRIES).increment(sink_retries as u64);
    histogram!(BATCH_DURATION).record(elapsed.as_secs_f64());
    histogram!(BATCH_RECORDS).record(records as f64);
}

/// A batch given up on (its partitions were revoked, or the host is shutting down); it is
/// read again by the partitions' next owner.
pub fn batch_abandoned() {
    counter!(BATCHES, "outcome" => "abandoned").increment(1);
}

/// A failed batch attempt, to be retried.
pub fn batch_retry(kind: &'static str) {
    counter!(BATCH_RETRIES, "cause" => kind).increment(1);
}

/// The module version in force; `previous` (if any) is set to 0.
pub fn module_in_force(module: &ModuleLabel, previous: Option<&ModuleLabel>) {
    if let Some(p) = previous {
        gauge!(MODULE_INFO, "name" => p.name.clone(), "version" => p.version.clone(), "hash" => p.short_hash().to_owned()).set(0.0);
    }
    gauge!(MODULE_INFO, "name" => module.name.clone(), "version" => module.version.clone(), "hash" => module.short_hash().to_owned()).set(1.0);
}

/// Consumer lag of one partition.
pub fn consumer_lag(topic: &str, partition: i32, lag: i64) {
    gauge!(CONSUMER_LAG, "topic" => topic.to_owned(), "partition" => partition.to_string())
        .set(lag as f64);
}

/// A committed offset.
pub fn committed_offset(topic: &str, partition: i32, offset: i64) {
    gauge!(COMMITTED_OFFSET, "topic" => topic.to_owned(), "partition" => partition.to_string())
        .set(offset as f64);
}

/// A stored offset.
pub fn stored_offset(topic: &str, partition: i32, offset: i64) {
    gauge!(STORED_OFFSET, "topic" => topic.to_owned(), "partition" => partition.to_string())
        .set(offset as f64);
}

/// Health, as a gauge.
pub fn healthy(ok: bool) {
    gauge!(HEALTHY).set(if ok { 1.0 } else { 0.0 });
}
