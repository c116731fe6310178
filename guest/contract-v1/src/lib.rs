//! `contract-v1`: a test-only module built against a copy of `wit/` whose package is
//! `swapstream:analytics@1.0.0` — an incompatible major version. Otherwise it is a well-behaved
//! module (one item per partition with its record count), so the only reason a 0.1 host can
//! have to refuse it is the contract version.
//!
//! It does not use the guest SDK, which is bound to the current contract; its `wit/` is a copy
//! of the workspace's with only the package version changed.

// The export glue wit-bindgen generates here (rather than in the SDK crate, as for the other
// modules) is `unsafe` FFI.
#![allow(unsafe_code)]

/// Bindings generated from this crate's own `wit/` (contract 1.0.0).
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
pub struct ContractV1;

impl Guest for ContractV1 {
    fn info() -> ModuleInfo {
        ModuleInfo {
            name: "contract-v1".to_owned(),
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
                attributes: vec![Attribute {
                    name: "records".to_owned(),
                    value: Value::N(p.offsets.len().to_string()),
                }],
            })
            .collect();
        Ok(Output {
            items,
            rejected: Vec::new(),
        })
    }
}

#[cfg(target_arch = "wasm32")]
bindings::export!(ContractV1 with_types_in bindings);
