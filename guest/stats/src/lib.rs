//! `stats`: a swapstream analytics module with richer per-device statistics.
//!
//! Same keys and reference attributes as `average` (`device_id`, `window_start`, `window_stop`,
//! `avg_temp`, `reading_count`) plus `min_temp`, `max_temp`, `mean_temp` (exact, not rounded)
//! and `stddev_temp` (population standard deviation). Swapping `average` for `stats` adds
//! attributes without changing the existing ones. The logic is in [`stats`].

pub mod stats;

use swapstream_guest::{Error, Guest, ModuleInfo, Output, PartitionBatch};

/// The exported module.
pub struct Stats;

impl Guest for Stats {
    fn info() -> ModuleInfo {
        ModuleInfo {
            name: stats::NAME.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    fn aggregate(
        batch: Vec<PartitionBatch>,
        config: Vec<(String, String)>,
    ) -> Result<Output, Error> {
        stats::check_config(&config)?;
        Ok(stats::aggregate(&batch))
    }
}

// Only a wasm build exports the component's functions (see the `average` module).
#[cfg(target_arch = "wasm32")]
swapstream_guest::export_module!(Stats);
