//! Runs the Lambda handler path (decode, module, write requests) in a loop, for profilers:
//! `cargo build --release --example handler_loop && perf record -g target/release/examples/handler_loop`.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../benches/support.rs"]
mod support;

use swapstream::lambda::event;

fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let json = support::lambda_event(10_000, 4);
    let module = support::average();
    let schema = support::key_schema();
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
                std::hint::black_box(support::handle(&json, &module, &schema));
            }
        }
    }
    eprintln!("{what}: {:?} per round", started.elapsed() / rounds);
}
