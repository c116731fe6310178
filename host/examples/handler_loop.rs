//! Runs the Lambda handler path (decode, module, write requests) in a loop, for profilers:
//! `cargo build --release --example handler_loop && perf record -g target/release/examples/handler_loop`.
//!
//! * `handler_loop [decode|module|native|all] [ROUNDS]`: one part (`native` is the module's code
//!   compiled natively) or the whole path, ROUNDS times (200 by default);
//! * `handler_loop compare A.wasm B.wasm ...`: builds of a module on the same 10,000-record
//!   batch, alternating so that a noisy machine slows them alike; the fastest and median
//!   round of each;
//! * `handler_loop ratio`: the module in wasm against its code compiled natively, alternating
//!   in the same way; the wasm/native ratio of their fastest and of their median rounds.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../benches/support.rs"]
mod support;

use std::time::{Duration, Instant};

use swapstream_core::batch::Batch;
use swapstream_core::store::ModuleBytes;
use swapstream_engine::{Engine, EngineConfig, WasmModule};
use swapstream_lambda_event as event;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map_or("all", String::as_str);
    let json = support::lambda_event(10_000, 4);
    let batch = event::decode(&json).unwrap().batch;
    if what == "compare" {
        return compare(&batch, &args[1..]);
    }
    let module = support::average();
    if what == "ratio" {
        return ratio(&batch, &module);
    }
    let schema = support::key_schema();
    let guest = support::guest_batch(&batch);
    let mut reused = support::Reused::new(batch.clone());
    let rounds = args
        .get(1)
        .map_or(200, |n| n.parse().expect("rounds: a number"));
    let started = Instant::now();
    for _ in 0..rounds {
        match what {
            "decode" => {
                std::hint::black_box(event::decode(&json).unwrap());
            }
            "native" => {
                std::hint::black_box(swapstream_average::average::aggregate(&guest));
            }
            "module" => {
                std::hint::black_box(reused.run(&module).unwrap());
            }
            _ => {
                std::hint::black_box(support::handle(&json, &module, &schema));
            }
        }
    }
    eprintln!("{what}: {:?} per round", started.elapsed() / rounds);
}

/// Calls each of `rounds` 10 times in a row, taking turns 40 times over so that a noisy machine
/// slows them alike; each one's call times, sorted.
fn alternate(rounds: &mut [&mut dyn FnMut()]) -> Vec<Vec<Duration>> {
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); rounds.len()];
    for _ in 0..40 {
        for (round, times) in rounds.iter_mut().zip(&mut times) {
            for _ in 0..10 {
                let started = Instant::now();
                round();
                times.push(started.elapsed());
            }
        }
    }
    for t in &mut times {
        t.sort();
    }
    times
}

fn ratio(batch: &Batch, module: &WasmModule) {
    let guest = support::guest_batch(batch);
    let mut reused = support::Reused::new(batch.clone());
    let times = alternate(&mut [
        &mut || {
            std::hint::black_box(swapstream_average::average::aggregate(&guest));
        },
        &mut || {
            std::hint::black_box(reused.run(module).unwrap());
        },
    ]);
    let (native, wasm) = (&times[0], &times[1]);
    let median = |t: &[Duration]| t[t.len() / 2];
    println!(
        "native: fastest {:?}, median {:?}\nwasm:   fastest {:?}, median {:?}\nwasm/native: {:.2}x fastest, {:.2}x median",
        native[0],
        median(native),
        wasm[0],
        median(wasm),
        wasm[0].as_secs_f64() / native[0].as_secs_f64(),
        median(wasm).as_secs_f64() / median(native).as_secs_f64(),
    );
}

fn compare(batch: &Batch, paths: &[String]) {
    let engine = Engine::new(EngineConfig::default()).unwrap();
    let modules: Vec<_> = paths
        .iter()
        .map(|p| {
            let bytes = ModuleBytes::new(std::fs::read(p).unwrap());
            engine.load(&bytes, p).unwrap()
        })
        .collect();
    let mut rounds: Vec<Box<dyn FnMut()>> = modules
        .iter()
        .map(|module| -> Box<dyn FnMut()> {
            let mut reused = support::Reused::new(batch.clone());
            Box::new(move || {
                std::hint::black_box(reused.run(module).unwrap());
            })
        })
        .collect();
    let mut refs: Vec<&mut dyn FnMut()> = rounds.iter_mut().map(|r| &mut **r as _).collect();
    let times = alternate(&mut refs);
    for (path, times) in paths.iter().zip(&times) {
        println!(
            "{path}: fastest {:?}, median {:?}",
            times[0],
            times[times.len() / 2]
        );
    }
}
