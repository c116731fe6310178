//! Inputs shared by the benchmarks: reference-like records and Lambda events.

#![allow(dead_code, clippy::unwrap_used)]

use aws_sdk_dynamodb::types::WriteRequest;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use swapstream_aws::dynamodb::request::{KeySchema, to_attribute_map, write_requests};
use swapstream_core::batch::{Batch, BatchBuilder, RecordRef};
use swapstream_core::item::Output;
use swapstream_core::module::{Module, ModuleError};
use swapstream_core::store::ModuleBytes;
use swapstream_engine::{Engine, EngineConfig, WasmModule};
use swapstream_lambda_event as event;

/// Lambda's payload limit, the largest event an invocation gets.
pub const LAMBDA_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

/// The embedded `average` module, compiled (no cache); or the `.wasm` file that
/// `SWAPSTREAM_BENCH_MODULE` names, to compare builds of a module without rebuilding the host.
pub fn average() -> WasmModule {
    let engine = Engine::new(EngineConfig::default()).unwrap();
    match std::env::var_os("SWAPSTREAM_BENCH_MODULE") {
        Some(path) => {
            let bytes = ModuleBytes::new(std::fs::read(&path).unwrap());
            engine.load(&bytes, &path.to_string_lossy()).unwrap()
        }
        None => engine.load(&average_bytes(), "average").unwrap(),
    }
}

/// The embedded `average` module's bytes.
pub fn average_bytes() -> ModuleBytes {
    ModuleBytes::new(swapstream::builtin::bytes("average").unwrap())
}

/// A batch run through a module over and over, as production does it: handed to the module
/// and back (no copy), a fresh instance each time.
pub struct Reused {
    batch: Option<Batch>,
}

impl Reused {
    /// Reuses `batch`.
    pub fn new(batch: Batch) -> Self {
        Self { batch: Some(batch) }
    }

    /// One run of `module` over the batch.
    pub fn run(&mut self, module: &impl Module) -> Result<Output, ModuleError> {
        let ran = module.aggregate(self.batch.take().unwrap(), &[]);
        self.batch = Some(ran.batch);
        ran.output
    }

    /// The batch.
    pub fn batch(&self) -> &Batch {
        self.batch.as_ref().unwrap()
    }
}

/// The reference table's key.
pub fn key_schema() -> KeySchema {
    KeySchema {
        partition: "device_id".into(),
        sort: Some("window_start".into()),
    }
}

/// The Lambda handler minus the network: decode the event, run the module, build the
/// `BatchWriteItem` requests.
pub fn handle(json: &[u8], module: &WasmModule, schema: &KeySchema) -> Vec<Vec<WriteRequest>> {
    let event = event::decode(json).unwrap();
    let output = module.aggregate(event.batch, &[]).output.unwrap();
    let items = output.items.into_iter().map(to_attribute_map).collect();
    write_requests(items, schema).unwrap().0
}

/// One reference-like record value (79–80 bytes, like the reference producer's).
pub fn value(i: usize) -> String {
    format!(
        r#"{{"device_id": {}, "timestamp": "2026-11-25T12:{:02}:{:02}.{:06}", "temperature": {}}}"#,
        i % 10 + 1,
        (i / 60) % 60,
        i % 60,
        (i * 7919) % 1_000_000,
        25 + (i * 31) % 11
    )
}

/// A batch of `n` records over `partitions` partitions.
pub fn batch(n: usize, partitions: usize) -> Batch {
    let mut b = BatchBuilder::new();
    for i in 0..n {
        let v = value(i);
        let record = RecordRef {
            offset: i as i64,
            timestamp_ms: 1_795_636_000_000 + i as i64,
            key: Some(b"k"),
            value: Some(v.as_bytes()),
        };
        b.push("sensors", (i % partitions) as i32, record, [])
            .unwrap();
    }
    b.build()
}

/// The same batch as the guest SDK's type, for running the module's code natively.
pub fn guest_batch(batch: &Batch) -> Vec<swapstream_guest::PartitionBatch> {
    batch
        .partitions()
        .iter()
        .map(|p| swapstream_guest::PartitionBatch {
            topic: p.topic.clone(),
            partition: p.partition,
            offsets: p.offsets.clone(),
            timestamps_ms: p.timestamps_ms.clone(),
            values: p.values.clone(),
            value_ends: p.value_ends.clone(),
            keys: p.keys.clone(),
            key_ends: p.key_ends.clone(),
            has_key: p.has_key.clone(),
            header_records: p.header_records.clone(),
            header_names: p.header_names.clone(),
            header_name_ends: p.header_name_ends.clone(),
            header_values: p.header_values.clone(),
            header_value_ends: p.header_value_ends.clone(),
        })
        .collect()
}

/// A Lambda `aws:kafka` event of `n` records over `partitions` partitions, as the ESM sends
/// it (base64 values, one header per record).
pub fn lambda_event(n: usize, partitions: usize) -> Vec<u8> {
    let mut by_partition: Vec<Vec<String>> = vec![Vec::new(); partitions];
    for i in 0..n {
        let p = i % partitions;
        by_partition[p].push(format!(
            r#"{{"topic":"sensors","partition":{p},"offset":{i},"timestamp":{},"timestampType":"CREATE_TIME","key":"{}","value":"{}","headers":[{{"source":[115,119,97,112]}}]}}"#,
            1_795_636_000_000_i64 + i as i64,
            BASE64.encode((i % 10).to_string()),
            BASE64.encode(value(i)),
        ));
    }
    let records: Vec<String> = by_partition
        .iter()
        .enumerate()
        .map(|(p, rs)| format!(r#""sensors-{p}":[{}]"#, rs.join(",")))
        .collect();
    format!(
        r#"{{"eventSource":"aws:kafka","eventSourceArn":"arn:aws:kafka:us-east-1:123456789012:cluster/demo/x","bootstrapServers":"b-1:9094","records":{{{}}}}}"#,
        records.join(",")
    )
    .into_bytes()
}

/// The number of records that make an event of about `bytes` bytes.
pub fn records_for_event_size(bytes: usize) -> usize {
    let per_record = lambda_event(1000, 1).len() / 1000;
    bytes / per_record
}
