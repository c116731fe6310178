//! Errors of loading and running modules.

use std::time::Duration;

use super::ModuleLabel;

/// Why a module could not be loaded (compiled, linked, identified). The running module, if any,
/// stays in place; retrying the same bytes cannot help.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not WebAssembly at all.
    #[error("{origin} is not a WebAssembly file (no `\\0asm` header)")]
    NotWasm {
        /// Where the bytes came from.
        origin: String,
    },
    /// A core module instead of a component.
    #[error(
        "{origin} is a core WebAssembly module, not a component: build it for the \
         wasm32-wasip2 target (or wrap it with `wasm-tools component new`)"
    )]
    CoreModule {
        /// Where the bytes came from.
        origin: String,
    },
    /// Cranelift refused the component.
    #[error("{origin} does not compile: {reason}")]
    Compile {
        /// Where the bytes came from.
        origin: String,
        /// The compiler's message.
        reason: String,
    },
    /// The component does not implement the `analytics-module` world this host speaks.
    #[error(
        "{origin} does not fit the swapstream:analytics@{contract} contract (world \
         `analytics-module`): {reason}"
    )]
    WrongWorld {
        /// Where the bytes came from.
        origin: String,
        /// The contract version this host implements.
        contract: &'static str,
        /// What did not match.
        reason: String,
    },
    /// The component was built for an incompatible version of the contract.
    #[error(
        "{origin} was built for swapstream:analytics@{found}, but this host speaks \
         swapstream:analytics@{supported} (incompatible major version)"
    )]
    ContractVersion {
        /// Where the bytes came from.
        origin: String,
        /// The contract version the component exports.
        found: String,
        /// The contract version this host implements.
        supported: &'static str,
    },
    /// `info()` trapped or gave nonsense.
    #[error("{origin} did not answer `info()`: {reason}")]
    Info {
        /// Where the bytes came from.
        origin: String,
        /// What went wrong.
        reason: String,
    },
    /// The engine itself could not be set up (bad limits, no memory).
    #[error("cannot set up the WebAssembly engine: {0}")]
    Engine(String),
}

/// Why a module failed one batch. The host keeps running; the next batch gets a fresh instance.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// The batch took longer than the time budget.
    #[error("module {module} ran out of time (budget {budget:?} per batch)")]
    Timeout {
        /// The module.
        module: ModuleLabel,
        /// The budget it exceeded.
        budget: Duration,
    },
    /// The module tried to grow its memory past the limit.
    #[error(
        "module {module} exceeded its memory limit: asked for {requested} bytes, limit {limit} bytes"
    )]
    MemoryLimit {
        /// The module.
        module: ModuleLabel,
        /// Total linear memory it asked for.
        requested: usize,
        /// The limit.
        limit: usize,
    },
    /// The module recursed deeper than the wasm stack limit.
    #[error("module {module} exhausted its call stack (limit {limit} bytes)")]
    StackOverflow {
        /// The module.
        module: ModuleLabel,
        /// The stack limit.
        limit: usize,
    },
    /// The module trapped (a panic, `unreachable`, an out-of-bounds access…).
    #[error("module {module} trapped: {message}")]
    Trap {
        /// The module.
        module: ModuleLabel,
        /// The trap, and what the module wrote to stderr (e.g. its panic message).
        message: String,
    },
    /// The output is larger than the host accepts.
    #[error("module {module} produced {bytes} bytes of output, limit {limit}")]
    OutputTooLarge {
        /// The module.
        module: ModuleLabel,
        /// Size of the output.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The module refused its configuration map.
    #[error("module {module} refused its configuration: {message}")]
    InvalidConfig {
        /// The module.
        module: ModuleLabel,
        /// The module's reason.
        message: String,
    },
    /// The module reported that it could not process the batch.
    #[error("module {module} failed the batch: {message}")]
    Failed {
        /// The module.
        module: ModuleLabel,
        /// The module's reason.
        message: String,
    },
}

impl ModuleError {
    /// Whether running the same batch again could succeed. Modules are deterministic, so only
    /// a timeout (which depends on the machine's load) might.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ModuleError::Timeout { .. })
    }

    /// The module that failed.
    pub fn module(&self) -> &ModuleLabel {
        match self {
            ModuleError::Timeout { module, .. }
            | ModuleError::MemoryLimit { module, .. }
            | ModuleError::StackOverflow { module, .. }
            | ModuleError::Trap { module, .. }
            | ModuleError::OutputTooLarge { module, .. }
            | ModuleError::InvalidConfig { module, .. }
            | ModuleError::Failed { module, .. } => module,
        }
    }
}
