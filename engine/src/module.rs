//! A loaded module version: runs each call in a fresh instance within the engine's limits,
//! and turns traps into the core's typed [`ModuleError`]s.

use std::fmt;
use std::time::Duration;

use swapstream_core::batch::Batch;
use swapstream_core::module::{Module, ModuleError, ModuleLabel, Ran};
use wasmtime::{Store, Trap};

use crate::contract::{Exports, Failure, Identity};
use crate::limits::MemoryLimiter;
use crate::sandbox::HostState;
use crate::{CompiledFrom, Engine};

/// How wasmtime says a call copied more out of the module than its hostcall fuel allows (its
/// error type is private; the `output_amplification` tests fail if the text changes).
const HOSTCALL_FUEL_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";

/// A loaded module version, ready to run batches. Cheap to share behind an `Arc`.
pub struct WasmModule {
    pub(crate) label: ModuleLabel,
    pub(crate) exports: Exports,
    pub(crate) engine: Engine,
    pub(crate) size: usize,
    pub(crate) load_time: Duration,
    pub(crate) compiled_from: CompiledFrom,
    pub(crate) contract: String,
}

impl fmt::Debug for WasmModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasmModule")
            .field("label", &self.label)
            .field("contract", &self.contract)
            .finish()
    }
}

impl WasmModule {
    /// Size of the `.wasm` in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// How long loading took (compile or cache load, link, `info()`).
    pub fn load_time(&self) -> Duration {
        self.load_time
    }

    /// Whether the machine code came from the cache.
    pub fn compiled_from(&self) -> CompiledFrom {
        self.compiled_from
    }

    /// The contract version the module was built for, e.g. `swapstream:analytics@0.2.0`.
    pub fn contract(&self) -> &str {
        &self.contract
    }

    /// What the module says about itself beyond name and version (contract 0.3's
    /// `describe()`; empty for 0.2 modules), in a fresh instance.
    pub fn describe(&self) -> Result<Vec<(String, String)>, ModuleError> {
        self.call(|exports, store| exports.describe(store))
    }

    /// Name and version from `info()`, in a fresh instance.
    pub(crate) fn identity(&self) -> Result<Identity, ModuleError> {
        self.call(|exports, store| exports.info(store))
    }

    /// Instantiates the module in a fresh store with the limits applied and runs `f`,
    /// turning traps into typed errors.
    fn call<R>(
        &self,
        f: impl FnOnce(&Exports, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, ModuleError> {
        let mut store = self.store();
        let result = f(&self.exports, &mut store);
        self.finish(result, &store)
    }

    fn store(&self) -> Store<HostState> {
        let inner = &self.engine.inner;
        let limits = &inner.limits;
        let state = HostState::new(
            MemoryLimiter::new(limits.memory),
            self.label.to_string(),
            limits.log_lines,
        );
        let mut store = Store::new(&inner.engine, state);
        store.limiter(|s| &mut s.limiter);
        // Everything the host copies out of the module in one call (a batch's output, one log
        // line) is charged against this budget while it is lifted, so a module cannot make the
        // host allocate without bound, e.g. with many strings pointing at one buffer.
        store.set_hostcall_fuel(usize::try_from(limits.output.as_u64()).unwrap_or(usize::MAX));
        store.set_epoch_deadline(inner.ticker.ticks_for(limits.time));
        store.epoch_deadline_trap();
        store
    }

    fn finish<R>(
        &self,
        result: wasmtime::Result<R>,
        store: &Store<HostState>,
    ) -> Result<R, ModuleError> {
        let state = store.data();
        let dropped = state.dropped_log_lines();
        if dropped > 0 {
            tracing::warn!(module = %self.label, dropped, "module exceeded its log budget; lines dropped");
        }
        // A trap's report carries the stderr; otherwise both streams go to the log.
        state.log_output(result.is_ok());
        result.map_err(|e| self.classify(e, state))
    }

    fn classify(&self, error: wasmtime::Error, state: &HostState) -> ModuleError {
        let module = self.label.clone();
        let limits = &self.engine.inner.limits;
        if let Some(refusal) = state.limiter.refused {
            return ModuleError::MemoryLimit {
                module,
                requested: refusal.requested,
                limit: refusal.max,
            };
        }
        if error
            .chain()
            .any(|e| e.to_string().contains(HOSTCALL_FUEL_EXHAUSTED))
        {
            return ModuleError::OutputTooLarge {
                module,
                limit: limits.output.as_u64(),
            };
        }
        if let Some(exhausted) = error.downcast_ref::<wasmtime::PoolConcurrencyLimitError>() {
            return ModuleError::Resources {
                module,
                message: exhausted.to_string(),
            };
        }
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => ModuleError::Timeout {
                module,
                budget: limits.time,
            },
            Some(Trap::StackOverflow) => ModuleError::StackOverflow {
                module,
                limit: usize::try_from(limits.stack.as_u64()).unwrap_or(usize::MAX),
            },
            _ => {
                let stderr = state.stderr_text();
                let trap = error.root_cause().to_string();
                let message = if stderr.is_empty() {
                    trap
                } else {
                    format!("{trap} (stderr: {stderr})")
                };
                ModuleError::Trap { module, message }
            }
        }
    }
}

impl Module for WasmModule {
    fn label(&self) -> &ModuleLabel {
        &self.label
    }

    /// Runs `aggregate` over one batch in a fresh instance, within the engine's limits.
    fn aggregate(&self, batch: Batch, config: &[(String, String)]) -> Ran {
        let mut store = self.store();
        let (batch, result) = self.exports.aggregate(&mut store, batch, config);
        let output = self.finish(result, &store).and_then(|answer| {
            answer.map_err(|failure| match failure {
                Failure::InvalidConfig(message) => ModuleError::InvalidConfig {
                    module: self.label.clone(),
                    message,
                },
                Failure::Failed(message) => ModuleError::Failed {
                    module: self.label.clone(),
                    message,
                },
            })
        });
        Ran { batch, output }
    }
}
