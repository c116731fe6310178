//! `misbehave`: a module for testing the host's sandbox. Its `mode` configuration key picks
//! the misbehaviour; without it, it behaves and returns one item per partition with the
//! record count.
//!
//! Modes: `trap` (panics), `loop` (never returns), `memory` (allocates without bound),
//! `recursion` (recurses without bound), `huge-output` (returns ~100 MB of items),
//! `log-flood` (logs 100,000 lines), `fail` (returns `error::failed`).

use swapstream_guest::{Error, Guest, ItemBuilder, ModuleInfo, Output, PartitionBatch};

/// The exported module.
pub struct Misbehave;

impl Guest for Misbehave {
    fn info() -> ModuleInfo {
        ModuleInfo {
            name: "misbehave".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    fn aggregate(
        batch: Vec<PartitionBatch>,
        config: Vec<(String, String)>,
    ) -> Result<Output, Error> {
        let mode = config
            .iter()
            .find(|(k, _)| k == "mode")
            .map_or("behave", |(_, v)| v.as_str());
        run(mode, &batch)
    }
}

/// Does what `mode` says.
pub fn run(mode: &str, batch: &[PartitionBatch]) -> Result<Output, Error> {
    match mode {
        "behave" => Ok(count(batch)),
        "trap" => panic!("misbehave: asked to trap"),
        "loop" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "memory" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
            }
        }
        "recursion" => {
            std::hint::black_box(recurse(1));
            Ok(count(batch))
        }
        "huge-output" => {
            let big = "x".repeat(1 << 20);
            let items = (0..100)
                .map(|i| {
                    ItemBuilder::new()
                        .number("id", i)
                        .string("blob", big.clone())
                        .build()
                })
                .collect();
            Ok(Output {
                items,
                rejected: Vec::new(),
            })
        }
        "log-flood" => {
            for i in 0..100_000 {
                swapstream_guest::log::info(&format!("line {i}"));
            }
            Ok(count(batch))
        }
        "fail" => Err(Error::Failed("misbehave: asked to fail".to_owned())),
        other => Err(Error::InvalidConfig(format!("unknown mode `{other}`"))),
    }
}

fn count(batch: &[PartitionBatch]) -> Output {
    let items = batch
        .iter()
        .map(|p| {
            ItemBuilder::new()
                .string("source", format!("{}/{}", p.topic, p.partition))
                .number("records", p.offsets.len())
                .build()
        })
        .collect();
    Output {
        items,
        rejected: Vec::new(),
    }
}

fn recurse(depth: u64) -> u64 {
    // black_box keeps the optimiser from turning this into a loop; the guard never triggers,
    // it only shows the compiler a way out.
    if std::hint::black_box(depth) == 0 {
        return 0;
    }
    depth + recurse(depth + 1)
}

#[cfg(target_arch = "wasm32")]
swapstream_guest::export_module!(Misbehave);
