//! `average`: the default swapstream analytics module.
//!
//! Per device, per batch: `avg_temp` = mean temperature rounded half-to-even, `window_start` /
//! `window_stop` = smallest / largest timestamp string — exactly the reference Lambda's items —
//! plus `reading_count`. Bad records are rejected with a reason and never fail the batch.
//! The logic is in [`average`]; this file is only the glue to the WIT exports.

pub mod average;

use swapstream_guest::{Error, Guest, ModuleInfo, Output, PartitionBatch};

/// The exported module.
pub struct Average;

impl Guest for Average {
    fn info() -> ModuleInfo {
        ModuleInfo {
            name: average::NAME.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    fn aggregate(
        batch: Vec<PartitionBatch>,
        config: Vec<(String, String)>,
    ) -> Result<Output, Error> {
        average::check_config(&config)?;
        Ok(average::aggregate(&batch))
    }
}

// Only a wasm build exports the component's functions; a native build (tests, benchmarks) is a
// plain library, so several modules can be linked into one native binary.
#[cfg(target_arch = "wasm32")]
swapstream_guest::export_module!(Average);
