//! Start-up steps shared by the commands: engine, first module, AWS clients, sinks.

use std::sync::Arc;

use swapstream_aws::dynamodb::{self, DynamoDbDeadLetters, DynamoDbItems, DynamoDbWriter};
use swapstream_core::registry::Registry;
use swapstream_core::sink::SinkError;
use swapstream_core::store::{ModuleLocation, ModuleStore, StoreError};
use swapstream_engine::{Engine, LoadError, WasmModule};

use crate::hotswap::{Canary, CanaryError, Refusal, Reloader, StartError, Validator, Watcher};
use crate::settings::{ConfigError, EngineArgs, HotSwapArgs, ModuleArgs, SinkConfig};
use crate::stores::AnyStore;

/// Why the host could not start. All of these are reported as configuration errors (exit 2):
/// nothing has been processed yet.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Bad settings.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No such built-in module.
    #[error("cannot fetch {0}: no such built-in module")]
    UnknownBuiltin(String),
    /// The engine could not be set up, or the module not loaded.
    #[error(transparent)]
    Engine(#[from] LoadError),
    /// The module's bytes do not match the pinned sha256.
    #[error("module {location} has sha256 {actual}, but {expected} is pinned")]
    Pin {
        /// The module's location.
        location: String,
        /// The pin.
        expected: String,
        /// The bytes' hash.
        actual: String,
    },
    /// A table is missing or unreachable.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The module store could not deliver the module.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The configured canary batch is unusable.
    #[error(transparent)]
    Canary(#[from] CanaryError),
    /// The first module version was refused (pin, load or canary).
    #[error("module refused: {0}")]
    Refused(#[from] Refusal),
}

impl From<StartError> for StartupError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Store(e) => StartupError::Store(e),
            StartError::Refused(e) => StartupError::Refused(e),
        }
    }
}

/// The validator every module version a host runs goes through: the engine, the canary, the
/// module configuration and the pin.
pub fn validator(
    module_args: &ModuleArgs,
    engine_args: &EngineArgs,
    canary: &crate::settings::CanaryArgs,
) -> Result<Validator, StartupError> {
    let engine = Engine::new(engine_args.engine_config()?)?;
    let canary = Canary::load(canary.module_canary.as_deref())?;
    Ok(Validator::new(
        engine,
        Arc::new(canary),
        module_args.module_config.clone(),
        module_args.module_sha256.clone(),
    ))
}

/// Builds the engine, validates the configured module (canary included) and returns the
/// reloader that keeps it up to date: `reloader.registry()` for the pipeline, then
/// `reloader.spawn()` (long-running hosts) or `reloader.check_if_due()` per invocation
/// (Lambda).
pub async fn load_swappable(
    module_args: &ModuleArgs,
    engine_args: &EngineArgs,
    swap_args: &HotSwapArgs,
) -> Result<Arc<Reloader>, StartupError> {
    let validator = validator(module_args, engine_args, &swap_args.canary)?;
    let store = open_store(&module_args.module).await?;
    let reloader = Reloader::start(store, validator, swap_args.poll_interval()).await?;
    Ok(Arc::new(reloader))
}

/// A module kept up to date by background polling: what a long-running host holds for as
/// long as it runs. Dropping it (or [`LiveModule::stop`]) ends the polling; the registry keeps
/// the version that was live, and batches keep the version they took.
pub struct LiveModule {
    reloader: Arc<Reloader>,
    watcher: Watcher,
}

impl LiveModule {
    /// The registry a pipeline takes each batch's module from.
    pub fn registry(&self) -> Arc<Registry<WasmModule>> {
        Arc::clone(self.reloader.registry())
    }

    /// The reloader behind it (e.g. to check at once, or list the versions kept for rollback).
    pub fn reloader(&self) -> &Arc<Reloader> {
        &self.reloader
    }

    /// Whether a background task polls (not for a `builtin:` module or a `0s` interval).
    pub fn is_polling(&self) -> bool {
        self.watcher.is_polling()
    }

    /// Stops polling and waits for the task to end.
    pub async fn stop(self) {
        self.watcher.stop().await;
    }
}

/// Service mode's one call: [`load_swappable`], then polling in the background every
/// `--module-poll-interval`. Call it inside the Tokio runtime; hand
/// [`LiveModule::registry`] to the pipeline and keep the [`LiveModule`] until shutdown.
pub async fn start_hot_swap(
    module_args: &ModuleArgs,
    engine_args: &EngineArgs,
    swap_args: &HotSwapArgs,
) -> Result<LiveModule, StartupError> {
    let reloader = load_swappable(module_args, engine_args, swap_args).await?;
    let watcher = reloader.spawn();
    Ok(LiveModule { reloader, watcher })
}

/// The store for a module location.
pub async fn open_store(location: &ModuleLocation) -> Result<AnyStore, StartupError> {
    AnyStore::open(location)
        .await
        .ok_or_else(|| StartupError::UnknownBuiltin(location.to_string()))
}

/// Fetches, pin-checks and loads the configured module into a registry, without a canary run:
/// for one-off runs such as `replay`, where the batch itself shows how the module does.
pub async fn load_registry(
    module_args: &ModuleArgs,
    engine_args: &EngineArgs,
) -> Result<Arc<Registry<WasmModule>>, StartupError> {
    let validator = Arc::new(validator(
        module_args,
        engine_args,
        &crate::settings::CanaryArgs::default(),
    )?);
    let fetched = open_store(&module_args.module).await?.fetch().await?;
    let module = validator
        .load_blocking(fetched.module, module_args.module.to_string())
        .await
        .map_err(|refusal| match refusal {
            // Without a canary run there is nothing to refuse on but the pin and the load:
            // reported as what they are.
            Refusal::HashMismatch {
                origin,
                expected,
                actual,
            } => StartupError::Pin {
                location: origin,
                expected,
                actual,
            },
            Refusal::Load(e) => StartupError::Engine(e),
            other => StartupError::Refused(other),
        })?;
    tracing::info!(
        module = %swapstream_core::module::Module::label(&module),
        location = %module_args.module,
        size = module.size(),
        load_ms = module.load_time().as_secs_f64() * 1e3,
        from = ?module.compiled_from(),
        "module loaded"
    );
    Ok(Arc::new(Registry::new(module)))
}

/// The output and dead-letter sinks. Each table is described once, so a missing table is a
/// clear start-up error rather than a failure on the first batch.
pub async fn dynamodb_sinks(
    config: &SinkConfig,
) -> Result<(DynamoDbItems, Option<DynamoDbDeadLetters>), StartupError> {
    let client = dynamodb::client().await;
    let items = DynamoDbWriter::connect(client.clone(), &config.table, config.writer).await?;
    let dead_letters = match &config.dead_letter_table {
        Some(table) => Some(DynamoDbDeadLetters::new(
            DynamoDbWriter::connect(client, table, config.writer).await?,
        )),
        None => None,
    };
    Ok((DynamoDbItems::new(items), dead_letters))
}
