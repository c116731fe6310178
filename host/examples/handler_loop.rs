//! Runs the Lambda handler path (decode, module, write requests) in a loop, for profilers:
//! `cargo build --release --example handler_loop && perf record -g target/release/examples/handler_loop`.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../benches/support.rs"]
mod support;

use swapstream::engine::{Engine, EngineConfig};
use swapstream::lambda::event;
use swapstream::sink::dynamodb::request::{KeySchema, to_attribute_map, write_requests};

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let json = support::lambda_event(10_000, 4);
    let engine = Engine::new(EngineConfig::default()).unwrap();
    let module = engine
        .load(swapstream::modules::builtin("average").unwrap(), "average")
        .unwrap();
    let schema = KeySchema {
        partition: "device_id".into(),
        sort: Some("window_start".into()),
    };
    let batch = event::decode(&json).unwrap().batch;
    let started = std::time::Instant::now();
    let rounds = 200;
    for _ in 0..rounds {
        match what.as_str() {
            "decode" => {
                std::hint::black_box(event::decode(&json).unwrap());
            }
            "module" => {
                std::hint::black_box(module.aggregate(batch.partitions(), &[]).unwrap());
            }
            _ => {
                let event = event::decode(&json).unwrap();
                let output = module.aggregate(event.batch.partitions(), &[]).unwrap();
                let items = output.items.into_iter().map(to_attribute_map).collect();
                std::hint::black_box(write_requests(items, &schema).unwrap());
            }
        }
    }
    eprintln!("{what}: {:?} per round", started.elapsed() / rounds);
}
