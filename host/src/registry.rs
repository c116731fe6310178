//! The module currently in force. A batch takes one `Arc<Module>` at its start and runs
//! entirely on it; a swap replaces the pointer atomically for the batches that follow.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::engine::Module;

/// Holds the live module version.
#[derive(Debug)]
pub struct Registry {
    current: ArcSwap<Module>,
}

impl Registry {
    /// A registry starting with `module`.
    pub fn new(module: Module) -> Self {
        Self {
            current: ArcSwap::from_pointee(module),
        }
    }

    /// The live version. Holding the `Arc` keeps that version alive for the whole batch, even
    /// if a swap happens meanwhile.
    pub fn current(&self) -> Arc<Module> {
        self.current.load_full()
    }

    /// Makes `module` the live version for every batch that starts from now on; returns the
    /// previous one.
    pub fn swap(&self, module: Arc<Module>) -> Arc<Module> {
        self.current.swap(module)
    }
}
