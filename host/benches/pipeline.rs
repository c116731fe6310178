//! Criterion benchmarks of the Lambda path (see BENCHMARKS.md for the figures and targets):
//!
//! * `module/{native,wasm}`: the default module's logic on a 10,000-record batch, compiled
//!   natively vs run in wasmtime (fresh instance, batch copied in, items copied out);
//! * `handler/{10k,6MB}`: the Lambda handler minus the network — decode the event JSON into a
//!   columnar batch, run the module, build the `BatchWriteItem` requests;
//! * `engine_start/{compile,cached}`: loading the module by compiling its `.wasm` vs from the
//!   precompiled cache.

#![allow(missing_docs, clippy::unwrap_used)]

mod support;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use swapstream_engine::{CompiledFrom, Engine, EngineConfig};

fn module_native_vs_wasm(c: &mut Criterion) {
    let mut batch = support::Reused::new(support::batch(10_000, 4));
    let guest = support::guest_batch(batch.batch());
    let module = support::average();
    // Same result both ways, or the comparison means nothing.
    let native_items = swapstream_average::average::aggregate(&guest).items.len();
    assert_eq!(batch.run(&module).unwrap().items.len(), native_items);

    let mut group = c.benchmark_group("module");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("native", |b| {
        b.iter(|| swapstream_average::average::aggregate(&guest))
    });
    group.bench_function("wasm", |b| b.iter(|| batch.run(&module).unwrap()));
    group.finish();
}

fn handler(c: &mut Criterion) {
    let module = support::average();
    let schema = support::key_schema();
    let mut group = c.benchmark_group("handler");
    let six_mb = support::records_for_event_size(support::LAMBDA_PAYLOAD_LIMIT);
    for (name, records) in [("10k", 10_000), ("6MB", six_mb)] {
        let json = support::lambda_event(records, 4);
        group.throughput(Throughput::Elements(records as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &json, |b, json| {
            b.iter(|| support::handle(json, &module, &schema))
        });
    }
    group.finish();
}

fn engine_start(c: &mut Criterion) {
    let bytes = &support::average_bytes();
    let cache = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("engine_start");
    group.sample_size(10);
    let uncached = Engine::new(EngineConfig::default()).unwrap();
    group.bench_function("compile", |b| {
        b.iter(|| uncached.load(bytes, "average").unwrap())
    });
    let cached = Engine::new(EngineConfig {
        cache_dir: Some(cache.path().into()),
        ..EngineConfig::default()
    })
    .unwrap();
    cached.load(bytes, "average").unwrap();
    group.bench_function("cached", |b| {
        b.iter(|| {
            let m = cached.load(bytes, "average").unwrap();
            assert_eq!(m.compiled_from(), CompiledFrom::Cache);
            m
        })
    });
    group.finish();
}

criterion_group!(benches, module_native_vs_wasm, handler, engine_start);
criterion_main!(benches);
