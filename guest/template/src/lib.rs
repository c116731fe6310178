//! A template for a swapstream analytics module — copy this crate to start your own.
//!
//! This file only glues the logic to the contract's exports; the logic is plain Rust in
//! [`hottest`], tested natively with `cargo test`. Build the component with
//! `cargo build --profile guest --target wasm32-wasip2 -p <crate>` and check it with
//! `swapstream module check target/wasm32-wasip2/guest/<crate>.wasm` (see the README's
//! "Write your first module").

pub mod hottest;

use swapstream_guest::{Error, Guest, ModuleInfo, Output, PartitionBatch};

/// The exported module.
pub struct Template;

impl Guest for Template {
    fn info() -> ModuleInfo {
        ModuleInfo {
            // Lineage (`name@version#hash`) on every item comes from here.
            name: hottest::NAME.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    fn aggregate(
        batch: Vec<PartitionBatch>,
        config: Vec<(String, String)>,
    ) -> Result<Output, Error> {
        let settings = hottest::Settings::from_config(&config)?;
        Ok(hottest::aggregate(&batch, &settings))
    }
}

// Only a wasm build exports the component's functions; natively this is a plain library.
#[cfg(target_arch = "wasm32")]
swapstream_guest::export_module!(Template);
