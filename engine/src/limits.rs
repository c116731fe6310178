//! Per-batch resource limits for a module: memory, time and wasm stack.

use std::time::Duration;

use bytesize::ByteSize;

/// What one batch may use. Limits apply per batch: every batch gets a fresh instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest total linear memory (all memories of the instance together).
    pub memory: ByteSize,
    /// Wall-clock budget for one `aggregate` call (enforced with epoch interruption).
    pub time: Duration,
    /// Largest wasm call stack.
    pub stack: ByteSize,
    /// Most bytes the host copies out of the module in one call, counted while it copies
    /// (wasmtime's hostcall fuel): a batch's output (every string and list, and each list
    /// entry at its size in the host) or one log line. Beyond it the call fails with
    /// `OutputTooLarge`, however the module laid its output out in its memory.
    pub output: ByteSize,
    /// Most log lines a module may write per batch; the rest are counted and dropped.
    pub log_lines: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory: ByteSize::mib(128),
            time: Duration::from_secs(10),
            stack: ByteSize::mib(1),
            output: ByteSize::mib(32),
            log_lines: 1000,
        }
    }
}

/// A `ResourceLimiter` that remembers why it refused, so that the error can say how much was
/// asked for instead of a bare trap.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    max: usize,
    /// Sum of the current sizes of every memory in the store, kept up to date on growth.
    total: usize,
    pub(crate) refused: Option<MemoryRefusal>,
}

/// A memory growth the limiter refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoryRefusal {
    pub(crate) requested: usize,
    pub(crate) max: usize,
}

impl MemoryLimiter {
    pub(crate) fn new(max: ByteSize) -> Self {
        Self {
            max: usize::try_from(max.as_u64()).unwrap_or(usize::MAX),
            total: 0,
            refused: None,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.total - current.min(self.total) + desired;
        if total > self.max {
            self.refused = Some(MemoryRefusal {
                requested: total,
                max: self.max,
            });
            // An error (rather than `Ok(false)`) traps at once, so a module cannot swallow the
            // refusal and carry on with a failed allocation.
            wasmtime::bail!("memory limit of {} bytes exceeded", self.max);
        }
        self.total = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; a million is far beyond any real module.
        Ok(desired <= 1_000_000)
    }

    fn instances(&self) -> usize {
        // A component is a handful of core instances (module, adapter, shims).
        100
    }

    fn memories(&self) -> usize {
        100
    }

    fn tables(&self) -> usize {
        100
    }
}
