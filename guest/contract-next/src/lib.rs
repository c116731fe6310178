//! `contract-next`: a test-only module built against contract 0.3.0 (`wit/` in this crate:
//! the workspace's 0.2.0 plus `aggregator.describe`). It counts records per partition, like
//! `contract-v1`, and describes itself, so a host test can run it beside 0.2 modules and see
//! both contract versions served by one engine.
//!
//! It does not use the guest SDK, which is bound to contract 0.2.

// The export glue wit-bindgen generates here (rather than in the SDK crate, as for the other
// modules) is `unsafe` FFI.
#![allow(unsafe_code)]

/// Bindings generated from this crate's own `wit/` (contract 0.3.0).
#[allow(missing_docs, unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        world: "analytics-module",
        path: "wit",
    });
}

use bindings::exports::swapstream::analytics::aggregator::{Guest, ModuleInfo};
use bindings::swapstream::analytics::types::{
    Attribute, Error, Item, Output, PartitionBatch, Value,
};

/// The exported module.
pub struct ContractNext;

impl Guest for ContractNext {
    fn info() -> ModuleInfo {
        ModuleInfo {
            name: "contract-next".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    fn aggregate(
        batch: Vec<PartitionBatch>,
        _config: Vec<(String, String)>,
    ) -> Result<Output, Error> {
        let items = batch
            .iter()
            .map(|p| Item {
                attributes: vec![
                    Attribute {
                        name: "partition".to_owned(),
                        value: Value::N(p.partition.to_string()),
                    },
                    Attribute {
                        name: "records".to_owned(),
                        value: Value::N(p.offsets.len().to_string()),
                    },
                ],
            })
            .collect();
        Ok(Output {
            items,
            rejected: Vec::new(),
        })
    }

    fn describe() -> Vec<(String, String)> {
        vec![(
            "summary".to_owned(),
            "records per partition (contract 0.3 test module)".to_owned(),
        )]
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(ContractNext with_types_in bindings);
