//! What a check of the module location came to: shared by the reloader, which decides it,
//! and the hot-swap metrics, which count it.

use std::time::Duration;

use swapstream_core::module::ModuleLabel;
use swapstream_core::store::StoreError;

use super::validate::Refusal;

/// What a check found and did.
#[derive(Debug)]
pub enum CheckOutcome {
    /// The revision at the store is the one already dealt with.
    Unchanged,
    /// A new revision with the content already live (e.g. the same file uploaded again).
    SameContent,
    /// A new version went live.
    Swapped(Swap),
    /// A new version was refused; the running one stays.
    Refused(Refusal),
    /// The store could not be asked; the running version stays and the next check retries.
    Unavailable(StoreError),
}

/// A completed swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swap {
    /// The version that was live.
    pub from: ModuleLabel,
    /// The version that is live now.
    pub to: ModuleLabel,
    /// Where the new version's compiled code came from.
    pub source: SwapSource,
    /// From noticing the new revision to the swap (fetch, compile, canary).
    pub took: Duration,
}

/// Where a swapped-in version's code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapSource {
    /// Compiled from the `.wasm` now.
    Compiled,
    /// Loaded from the on-disk precompiled cache.
    PrecompiledCache,
    /// A recently live version still in memory (a rollback): no compile, no canary again.
    Memory,
}

impl SwapSource {
    /// A short name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            SwapSource::Compiled => "compiled",
            SwapSource::PrecompiledCache => "precompiled_cache",
            SwapSource::Memory => "memory",
        }
    }
}
