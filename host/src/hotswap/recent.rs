//! Module versions that were live recently, kept compiled so that swapping back to one — a
//! rollback — is a pointer swap instead of a download and a compile.

use std::collections::VecDeque;
use std::sync::Arc;

use swapstream_core::module::Module;
use swapstream_engine::WasmModule;

/// How many previous versions stay compiled in memory. Each costs its machine code (about the
/// size of the `.wasm`, a few MB at most); a rollback rarely goes further back than this.
pub const RECENT_VERSIONS: usize = 4;

/// The most recently replaced versions, newest first, at most one per sha256.
#[derive(Debug, Default)]
pub struct RecentModules {
    modules: VecDeque<Arc<WasmModule>>,
}

impl RecentModules {
    /// Remembers `module` as the newest; the oldest beyond [`RECENT_VERSIONS`] is dropped
    /// (freed once no batch holds it any more).
    pub fn remember(&mut self, module: Arc<WasmModule>) {
        let sha = &module.label().sha256;
        self.modules.retain(|m| &m.label().sha256 != sha);
        self.modules.push_front(module);
        self.modules.truncate(RECENT_VERSIONS);
    }

    /// Takes out the version with this sha256, if it is remembered.
    pub fn take(&mut self, sha256: &str) -> Option<Arc<WasmModule>> {
        let index = self
            .modules
            .iter()
            .position(|m| m.label().sha256 == sha256)?;
        self.modules.remove(index)
    }

    /// The remembered versions' hashes, newest first.
    pub fn hashes(&self) -> Vec<&str> {
        self.modules
            .iter()
            .map(|m| m.label().sha256.as_str())
            .collect()
    }
}
