//! Start-up steps shared by the commands: engine, first module, AWS clients, sinks.

use std::sync::Arc;

use crate::config::{EngineArgs, HotSwapArgs, ModuleArgs, SinkConfig};
use crate::engine::{Engine, LoadError, Module};
use crate::hotswap::{Canary, CanaryError, Reloader, StartError, Validator, Watcher};
use crate::modules::{FetchError, check_pin};
use crate::registry::Registry;
use crate::sink::SinkError;
use crate::sink::dynamodb::{DynamoDbDeadLetters, DynamoDbItems, DynamoDbWriter};
use crate::store::{AnyStore, ModuleStore, StoreError};

/// Why the host could not start. All of these are reported as configuration errors (exit 2):
/// nothing has been processed yet.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Bad settings.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The module could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The module could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A table is missing or unreachable.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The module store could not deliver the module.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The configured canary batch is unusable.
    #[error(transparent)]
    Canary(#[from] CanaryError),
    /// The first module version failed validation.
    #[error("module refused: {0}")]
    Refused(#[from] crate::hotswap::Refusal),
}

impl From<StartError> for StartupError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Store(e) => StartupError::Store(e),
            StartError::Refused(e) => StartupError::Refused(e),
        }
    }
}

/// Builds the engine, validates the configured module (canary included) and returns the
/// reloader that keeps it up to date: `reloader.registry()` for the pipeline, then
/// `reloader.spawn()` (long-running hosts) or `reloader.check_if_due()` per invocation
/// (Lambda).
pub async fn load_swappable(
    module_args: &ModuleArgs,
    engine_args: &EngineArgs,
    swap_args: &HotSwapArgs,
) -> Result<(Engine, Arc<Reloader>), StartupError> {
    let engine = Engine::new(engine_args.engine_config()?)?;
    let canary = Canary::load(swap_args.canary.module_canary.as_deref())?;
    let validator = Validator::new(
        engine.clone(),
        Arc::new(canary),
        module_args.module_config.clone(),
        module_args.module_sha256.clone(),
    );
    let store = open_store(&module_args.module).await?;
    let reloader = Reloader::start(store, validator, swap_args.poll_interval()).await?;
    Ok((engine, Arc::new(reloader)))
}

/// A module kept up to date by background polling: what a long-running host holds for as
/// long as it runs. Dropping it (or [`LiveModule::stop`]) ends the polling; the registry keeps
/// the version that was live, and batches keep the version they took.
pub struct LiveModule {
    reloader: Arc<Reloader>,
    watcher: Watcher,
}

impl LiveModule {
    /// The registry a [`Pipeline`](crate::pipeline::Pipeline) takes each batch's module from.
    pub fn registry(&self) -> Arc<Registry> {
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
    // The engine lives on in the validator (and in every module), so it need not be kept here.
    let (_engine, reloader) = load_swappable(module_args, engine_args, swap_args).await?;
    let watcher = reloader.spawn();
    Ok(LiveModule { reloader, watcher })
}

/// The store for a module location.
pub async fn open_store(
    location: &crate::config::ModuleLocation,
) -> Result<AnyStore, StartupError> {
    AnyStore::open(location).await.ok_or_else(|| {
        StartupError::Fetch(FetchError::Unsupported {
            location: location.to_string(),
            reason: "no such built-in module".into(),
        })
    })
}

/// Builds the engine and loads the configured module into a registry.
pub async fn load_registry(
    module_args: &ModuleArgs,
    engine_args: &EngineArgs,
) -> Result<(Engine, Arc<Registry>), StartupError> {
    let engine = Engine::new(engine_args.engine_config()?)?;
    let module = load_module(&engine, module_args).await?;
    tracing::info!(
        module = %module.label(),
        location = %module_args.module,
        size = module.size(),
        load_ms = module.load_time().as_secs_f64() * 1e3,
        from = ?module.compiled_from(),
        "module loaded"
    );
    Ok((engine, Arc::new(Registry::new(module))))
}

/// Fetches, pin-checks and loads the configured module (no canary: for one-off runs such as
/// `replay`, where the batch itself shows how the module does).
pub async fn load_module(engine: &Engine, args: &ModuleArgs) -> Result<Module, StartupError> {
    let bytes = open_store(&args.module).await?.fetch().await?.bytes;
    check_pin(&args.module, &bytes, args.module_sha256.as_ref())?;
    let engine = engine.clone();
    let origin = args.module.to_string();
    // Compiling is CPU-heavy; keep it off the async threads.
    let module = tokio::task::spawn_blocking(move || engine.load(&bytes, &origin))
        .await
        .map_err(|e| LoadError::Engine(format!("module loading thread failed: {e}")))??;
    Ok(module)
}

/// The DynamoDB client, from the standard AWS configuration chain (`AWS_REGION`,
/// `AWS_ENDPOINT_URL_DYNAMODB`, credentials…).
pub async fn dynamodb_client() -> aws_sdk_dynamodb::Client {
    let shared = aws_config::load_from_env().await;
    let config = aws_sdk_dynamodb::config::Builder::from(&shared)
        // The sink retries with its own bounded, jittered backoff (it also has to retry
        // `UnprocessedItems`, which the SDK does not); one policy in one place.
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// The output and dead-letter sinks. Each table is described once, so a missing table is a
/// clear start-up error rather than a failure on the first batch.
pub async fn dynamodb_sinks(
    config: &SinkConfig,
) -> Result<(DynamoDbItems, Option<DynamoDbDeadLetters>), StartupError> {
    let client = dynamodb_client().await;
    let items = DynamoDbWriter::connect(client.clone(), &config.table, config.writer).await?;
    let dead_letters = match &config.dead_letter_table {
        Some(table) => Some(DynamoDbDeadLetters::new(
            DynamoDbWriter::connect(client, table, config.writer).await?,
        )),
        None => None,
    };
    Ok((DynamoDbItems::new(items), dead_letters))
}
