//! Start-up steps shared by the commands: engine, first module, AWS clients, sinks.

use std::sync::Arc;

use crate::config::{EngineArgs, ModuleArgs, SinkConfig};
use crate::engine::{Engine, LoadError, Module};
use crate::modules::{FetchError, check_pin, fetch_local};
use crate::registry::Registry;
use crate::sink::SinkError;
use crate::sink::dynamodb::{DynamoDbDeadLetters, DynamoDbItems, DynamoDbWriter};

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

/// Fetches, pin-checks and loads the configured module.
pub async fn load_module(engine: &Engine, args: &ModuleArgs) -> Result<Module, StartupError> {
    let bytes = fetch_local(&args.module).await?;
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
