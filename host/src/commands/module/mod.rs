//! `swapstream module …`: for module authors and operators — check a module exactly as a
//! host validates it before it goes live, compare two modules on the same batch (a shadow
//! test before a rollout), and publish a module where hosts pick it up.

pub mod diff;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};

use swapstream_aws::S3Store;
use swapstream_core::module::{Module, Ran, config_for};
use swapstream_core::store::{FileStore, ModuleBytes, ModuleLocation, ModuleStore};
use swapstream_engine::{CompiledFrom, Engine, WasmModule};

use crate::exit::Exit;
use crate::hotswap::{Canary, Validated, Validator};
use crate::settings::{CanaryArgs, EngineArgs, parse_key_value, parse_location};
use crate::startup::{self, StartupError};

/// `swapstream module <command>`.
#[derive(Debug, Args)]
pub struct ModuleCommandArgs {
    #[command(subcommand)]
    #[allow(missing_docs)]
    pub command: ModuleCommand,
}

/// The module commands.
#[derive(Debug, Subcommand)]
pub enum ModuleCommand {
    /// Validate a module as a host does before it goes live (a component of this host's
    /// contract, `info()` answers, the canary batch runs within the limits); print its
    /// identity. Exit code 1 if a host would refuse it.
    Check(CheckArgs),
    /// Run two modules on the same event and print how their items differ (matched by key).
    /// Exit code 1 if they differ and --expect-same is given.
    Diff(DiffArgs),
    /// Validate a module, then publish it to s3://bucket/key (or a file path, atomically);
    /// print the new ETag and the sha256 to pin.
    Push(PushArgs),
}

/// What a module is validated with.
#[derive(Debug, Clone, Args)]
pub struct ValidationArgs {
    /// Configuration for the module, as the host would pass it (key=value; `name/key` reaches
    /// only the module `name`).
    #[arg(long = "module-config", env = "SWAPSTREAM_MODULE_CONFIG", value_name = "KEY=VALUE", value_parser = parse_key_value, value_delimiter = ',')]
    pub module_config: Vec<(String, String)>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub canary: CanaryArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub engine: EngineArgs,
}

/// Settings of `swapstream module check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The module: a path, file:///path, s3://bucket/key or builtin:name.
    #[arg(value_name = "MODULE", value_parser = parse_location)]
    pub module: ModuleLocation,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub validation: ValidationArgs,
}

/// Settings of `swapstream module diff`.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    /// The module running now (path, file://, s3:// or builtin:).
    #[arg(value_name = "OLD", value_parser = parse_location)]
    pub old: ModuleLocation,
    /// The candidate.
    #[arg(value_name = "NEW", value_parser = parse_location)]
    pub new: ModuleLocation,
    /// Kafka event (Lambda format) both modules process.
    #[arg(long, value_name = "FILE")]
    pub event: PathBuf,
    /// Exit with code 1 if the outputs differ.
    #[arg(long)]
    pub expect_same: bool,
    /// Attributes only NEW's items have are not differences (e.g. `stats` after `average`).
    #[arg(long)]
    pub ignore_added: bool,
    /// The table's key attributes, which match items up (a later item with the same key
    /// replaces an earlier one, as in DynamoDB).
    #[arg(
        long,
        value_name = "ATTR,…",
        default_value = "device_id,window_start",
        value_delimiter = ','
    )]
    pub key: Vec<String>,
    /// Configuration for the modules (key=value; `name/key` reaches only the module `name`).
    #[arg(long = "module-config", env = "SWAPSTREAM_MODULE_CONFIG", value_name = "KEY=VALUE", value_parser = parse_key_value, value_delimiter = ',')]
    pub module_config: Vec<(String, String)>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub engine: EngineArgs,
}

/// Settings of `swapstream module push`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// The module file to publish.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Where hosts read it: s3://bucket/key (the endpoint from AWS_ENDPOINT_URL_S3 etc.) or a
    /// file path.
    #[arg(value_name = "DESTINATION", value_parser = parse_location)]
    pub destination: ModuleLocation,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub validation: ValidationArgs,
}

/// Runs a module command.
pub async fn run(args: ModuleCommandArgs) -> Result<(), Exit> {
    match args.command {
        ModuleCommand::Check(args) => check(args).await,
        ModuleCommand::Diff(args) => diff(args).await,
        ModuleCommand::Push(args) => push(args).await,
    }
}

async fn check(args: CheckArgs) -> Result<(), Exit> {
    let validator = validator(&args.validation)?;
    let module = fetch(&args.module).await?;
    let (validated, report) = validate(&validator, module, &args.module).await?;
    print!("{report}");
    drop(validated);
    Ok(())
}

async fn push(args: PushArgs) -> Result<(), Exit> {
    if matches!(args.destination, ModuleLocation::Builtin(_)) {
        return Err(Exit::Config(
            "cannot push to a builtin: location; use s3://bucket/key or a file path".into(),
        ));
    }
    let validator = validator(&args.validation)?;
    let source = ModuleLocation::File(args.file.clone());
    let module = fetch(&source).await?;
    let (_validated, report) = validate(&validator, module.clone(), &source).await?;
    print!("{report}");
    let sha256 = module.sha256().to_owned();
    let destination = args.destination.to_string();
    let failed = |e: swapstream_core::store::StoreError| Exit::Failure(format!("push failed: {e}"));
    match &args.destination {
        ModuleLocation::S3 { bucket, key } => {
            let client = swapstream_aws::s3_store::client(crate::settings::s3_path_style()).await;
            let store = S3Store::new(client, bucket.clone(), key.clone());
            let published = store.publish(&module).await.map_err(failed)?;
            println!("pushed    {destination}");
            println!("etag      {}", published.etag);
            if let Some(version) = &published.version_id {
                println!("version   {version}");
            }
        }
        ModuleLocation::File(path) => {
            FileStore::new(path.clone())
                .publish(module.bytes())
                .await
                .map_err(failed)?;
            println!("pushed    {destination}");
        }
        ModuleLocation::Builtin(_) => {}
    }
    println!("sha256    {sha256}");
    println!("pin       SWAPSTREAM_MODULE_SHA256={sha256}");
    Ok(())
}

async fn diff(args: DiffArgs) -> Result<(), Exit> {
    let engine = Engine::new(args.engine.engine_config()?).map_err(StartupError::from)?;
    let path = args.event.display().to_string();
    let batch = super::replay::read_event(&args.event).await?.batch;
    let records = batch.len();

    let mut outputs = Vec::new();
    for location in [&args.old, &args.new] {
        let module = fetch(location).await?;
        let engine = engine.clone();
        let origin = location.to_string();
        let batch = batch.clone();
        let config = args.module_config.clone();
        let run = tokio::task::spawn_blocking(move || {
            let module = engine
                .load(&module, &origin)
                .map_err(|e| Exit::Failure(e.to_string()))?;
            let config = config_for(&config, &module.label().name);
            let Ran { output, .. } = module.aggregate(batch, &config);
            let output = output.map_err(|e| Exit::Failure(e.to_string()))?;
            Ok::<_, Exit>((module.label().clone(), output))
        })
        .await
        .map_err(|e| Exit::Failure(format!("module thread failed: {e}")))??;
        outputs.push(run);
    }
    let [(old_label, old), (new_label, new)] = <[_; 2]>::try_from(outputs)
        .map_err(|_| Exit::Failure("internal error: expected two outputs".into()))?;
    let diff = diff::diff_outputs(&old, &new, &args.key, args.ignore_added);
    println!("OLD  {old_label}  ({})", args.old);
    println!("NEW  {new_label}  ({})", args.new);
    println!("event {path}: {records} records");
    print!("{}", diff.render());
    if args.expect_same && !diff.is_same() {
        return Err(Exit::Failure("the outputs differ (--expect-same)".into()));
    }
    Ok(())
}

fn validator(args: &ValidationArgs) -> Result<Arc<Validator>, Exit> {
    let engine = Engine::new(args.engine.engine_config()?).map_err(StartupError::from)?;
    let canary = Canary::load(args.canary.module_canary.as_deref()).map_err(StartupError::from)?;
    Ok(Arc::new(Validator::new(
        engine,
        Arc::new(canary),
        args.module_config.clone(),
        None,
    )))
}

async fn fetch(location: &ModuleLocation) -> Result<ModuleBytes, Exit> {
    let store = startup::open_store(location).await?;
    let fetched = store
        .fetch()
        .await
        .map_err(|e| Exit::Failure(e.to_string()))?;
    Ok(fetched.module)
}

/// Validates like a host and describes the module; a refusal is exit code 1 with its reason.
async fn validate(
    validator: &Arc<Validator>,
    module: ModuleBytes,
    location: &ModuleLocation,
) -> Result<(Validated, String), Exit> {
    let sha256 = module.sha256().to_owned();
    let size = module.len();
    let validated = validator
        .validate_blocking(module, location.to_string())
        .await
        .map_err(|refusal| Exit::Failure(format!("refused ({}): {refusal}", refusal.reason())))?;
    let report = describe(&validated, validator.canary(), &sha256, size);
    Ok((validated, report))
}

fn describe(validated: &Validated, canary: &Canary, sha256: &str, size: usize) -> String {
    let module: &WasmModule = &validated.module;
    let label = module.label();
    let run = validated.canary;
    let compiled = match module.compiled_from() {
        CompiledFrom::Source => "compiled now",
        CompiledFrom::Cache => "from the precompiled cache",
    };
    let mut out = String::new();
    let _ = writeln!(out, "name      {}", label.name);
    let _ = writeln!(out, "version   {}", label.version);
    let _ = writeln!(out, "world     {}/analytics-module", module.contract());
    let _ = writeln!(out, "sha256    {sha256}");
    let _ = writeln!(out, "size      {size} bytes");
    let _ = writeln!(
        out,
        "compile   {:.1} ms ({compiled})",
        module.load_time().as_secs_f64() * 1e3
    );
    let _ = writeln!(
        out,
        "canary    {} records -> {} items, {} rejected in {:.2} ms ({})",
        run.records,
        run.items,
        run.rejected,
        run.time.as_secs_f64() * 1e3,
        canary.source()
    );
    let _ = writeln!(out, "lineage   {}", label.lineage());
    // Contract 0.3 modules describe themselves; a failure to is only shown.
    match module.describe() {
        Ok(pairs) => {
            for (key, value) in pairs {
                let _ = writeln!(out, "describe  {key}: {value}");
            }
        }
        Err(e) => {
            let _ = writeln!(out, "describe  failed: {e}");
        }
    }
    out
}
