//! Why a module could not be loaded. (Why a loaded module failed a batch is the core's
//! `ModuleError`.)

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
    /// The component does not implement the `analytics-module` world of its contract.
    #[error("{origin} does not fit the {contract} contract (world `analytics-module`): {reason}")]
    WrongWorld {
        /// Where the bytes came from.
        origin: String,
        /// The contract (and version) it was checked against.
        contract: String,
        /// What did not match.
        reason: String,
    },
    /// The component was built for an incompatible version of the contract.
    #[error(
        "{origin} was built for swapstream:analytics@{found}, but this host speaks \
         {supported} (incompatible version)"
    )]
    ContractVersion {
        /// Where the bytes came from.
        origin: String,
        /// The contract version the component exports.
        found: String,
        /// The contract versions this host serves.
        supported: String,
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
