//! The module currently in force. A batch takes one `Arc` of it at its start and runs
//! entirely on it; a swap replaces the pointer atomically for the batches that follow.

use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::watch;

/// Holds the live module version.
#[derive(Debug)]
pub struct Registry<M> {
    current: ArcSwap<M>,
    /// Counts swaps, so that a batch waiting for a new version wakes when one goes live.
    swaps: watch::Sender<u64>,
}

impl<M> Registry<M> {
    /// A registry starting with `module`.
    pub fn new(module: M) -> Self {
        Self::from_arc(Arc::new(module))
    }

    /// A registry starting with a module already shared.
    pub fn from_arc(module: Arc<M>) -> Self {
        Self {
            current: ArcSwap::new(module),
            swaps: watch::Sender::new(0),
        }
    }

    /// A receiver that sees every swap from now on.
    pub fn swaps(&self) -> watch::Receiver<u64> {
        self.swaps.subscribe()
    }

    /// The live version. Holding the `Arc` keeps that version alive for the whole batch, even
    /// if a swap happens meanwhile.
    pub fn current(&self) -> Arc<M> {
        self.current.load_full()
    }

    /// Makes `module` the live version for every batch that starts from now on; returns the
    /// previous one.
    pub fn swap(&self, module: Arc<M>) -> Arc<M> {
        let previous = self.current.swap(module);
        self.swaps.send_modify(|n| *n += 1);
        previous
    }
}
