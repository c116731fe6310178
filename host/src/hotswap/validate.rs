//! Validation before activation: a module version goes live only if its bytes match the pin,
//! it is a component of a contract this host serves whose `info()` answers (the engine checks
//! that while loading), and it processes the canary batch within its limits.
//!
//! This is the host's one load path: bytes fetched and hashed once by a store
//! ([`ModuleBytes`]), the pin checked once against that hash, then compiled or taken from the
//! precompiled cache by it ([`Validator::load`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use swapstream_core::module::{Module, ModuleError, Ran, config_for};
use swapstream_core::store::{ModuleBytes, Sha256Hex};
use swapstream_engine::{Engine, LoadError, WasmModule};

use super::canary::Canary;

/// Checks module versions before they go live.
pub struct Validator {
    engine: Engine,
    canary: Arc<Canary>,
    config: Vec<(String, String)>,
    pin: Option<Sha256Hex>,
}

/// A module that passed, and how it did on the canary.
#[derive(Debug)]
pub struct Validated {
    /// The module, ready to swap in.
    pub module: WasmModule,
    /// Its canary run.
    pub canary: CanaryRun,
}

/// What the canary batch came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanaryRun {
    /// Records in the canary.
    pub records: usize,
    /// Items the module produced.
    pub items: usize,
    /// Records it rejected.
    pub rejected: usize,
    /// Time in `aggregate`.
    pub time: Duration,
}

/// Why a module version was refused. The running version stays.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The bytes do not match the pinned sha256.
    #[error("{origin} has sha256 {actual}, but {expected} is pinned")]
    HashMismatch {
        /// Where the bytes came from.
        origin: String,
        /// The pin.
        expected: String,
        /// The bytes' hash.
        actual: String,
    },
    /// Not a loadable component of this contract, or `info()` failed.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The module failed the canary batch (trap, time, memory, stack, output size, or an error
    /// it returned).
    #[error("refused on the canary batch ({canary}): {error}")]
    Canary {
        /// The canary's source.
        canary: String,
        /// How the module failed.
        #[source]
        error: Box<ModuleError>,
    },
    /// The validation thread died (a host bug; reported, never fatal).
    #[error("validation did not finish: {0}")]
    Internal(String),
}

impl Refusal {
    /// A short, stable name of the reason, for metrics labels and log fields.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::HashMismatch { .. } => "sha256_mismatch",
            Refusal::Load(e) => match e {
                LoadError::NotWasm { .. } => "not_wasm",
                LoadError::CoreModule { .. } => "core_module",
                LoadError::Compile { .. } => "compile",
                LoadError::WrongWorld { .. } => "wrong_world",
                LoadError::ContractVersion { .. } => "contract_version",
                LoadError::Info { .. } => "info",
                LoadError::Engine(_) => "engine",
            },
            Refusal::Canary { error, .. } => match **error {
                ModuleError::Timeout { .. } => "canary_timeout",
                ModuleError::MemoryLimit { .. } => "canary_memory",
                ModuleError::StackOverflow { .. } => "canary_stack",
                ModuleError::Trap { .. } => "canary_trap",
                ModuleError::Resources { .. } => "canary_resources",
                ModuleError::OutputTooLarge { .. } => "canary_output_too_large",
                ModuleError::InvalidConfig { .. } => "canary_invalid_config",
                ModuleError::Failed { .. } => "canary_failed",
            },
            Refusal::Internal(_) => "internal",
        }
    }
}

impl Validator {
    /// A validator loading modules into `engine`, running `canary` with the module
    /// configuration `config`, and refusing anything but `pin` when set.
    pub fn new(
        engine: Engine,
        canary: Arc<Canary>,
        config: Vec<(String, String)>,
        pin: Option<Sha256Hex>,
    ) -> Self {
        Self {
            engine,
            canary,
            config,
            pin,
        }
    }

    /// The engine modules are loaded into.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The canary batch.
    pub fn canary(&self) -> &Canary {
        &self.canary
    }

    /// Checks the pin and loads the module: the one load path, for every module a host runs
    /// (with [`Validator::validate`]'s canary, or without it for one-off runs such as
    /// `replay`). CPU-bound: compiling can take seconds.
    pub fn load(&self, module: &ModuleBytes, origin: &str) -> Result<WasmModule, Refusal> {
        if let Some(pin) = &self.pin
            && module.sha256() != pin.0
        {
            return Err(Refusal::HashMismatch {
                origin: origin.to_owned(),
                expected: pin.0.clone(),
                actual: module.sha256().to_owned(),
            });
        }
        Ok(self.engine.load(module, origin)?)
    }

    /// Loads the module ([`Validator::load`]) and runs the canary batch through it. CPU-bound:
    /// call it from a blocking thread (see [`Validator::validate_blocking`]).
    pub fn validate(&self, module: &ModuleBytes, origin: &str) -> Result<Validated, Refusal> {
        let module = self.load(module, origin)?;
        let config = config_for(&self.config, &module.label().name);
        let batch = self.canary.batch().clone();
        let records = batch.len();
        let started = Instant::now();
        let Ran { output, .. } = module.aggregate(batch, &config);
        let output = output.map_err(|error| Refusal::Canary {
            canary: self.canary.source().to_owned(),
            error: Box::new(error),
        })?;
        let canary = CanaryRun {
            records,
            items: output.items.len(),
            rejected: output.rejected.len(),
            time: started.elapsed(),
        };
        Ok(Validated { module, canary })
    }

    /// [`Validator::validate`] on a blocking thread, so the async runtime keeps serving
    /// batches, health checks and Kafka meanwhile.
    pub async fn validate_blocking(
        self: &Arc<Self>,
        module: ModuleBytes,
        origin: String,
    ) -> Result<Validated, Refusal> {
        let validator = Arc::clone(self);
        tokio::task::spawn_blocking(move || validator.validate(&module, &origin))
            .await
            .map_err(|e| Refusal::Internal(e.to_string()))?
    }

    /// [`Validator::load`] on a blocking thread.
    pub async fn load_blocking(
        self: &Arc<Self>,
        module: ModuleBytes,
        origin: String,
    ) -> Result<WasmModule, Refusal> {
        let validator = Arc::clone(self);
        tokio::task::spawn_blocking(move || validator.load(&module, &origin))
            .await
            .map_err(|e| Refusal::Internal(e.to_string()))?
    }
}
