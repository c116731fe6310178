//! The module engine: compiles analytics components once, and runs each batch in a fresh,
//! sandboxed, resource-limited instance.
//!
//! The expensive parts — the wasmtime `Engine`, the compiled `Component` (from the on-disk
//! precompiled cache when possible) and the linked `InstancePre` — are built once per module
//! version. A batch costs one `Store` and one instantiation (tens of microseconds).

pub mod bindings;
mod cache;
mod error;
mod limits;
mod state;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Store, Trap};

pub use cache::PrecompiledCache;
pub use error::{LoadError, ModuleError};
pub use limits::Limits;

use bindings::{AnalyticsModule, AnalyticsModulePre, ModuleFailure, Output, PartitionBatch};
use cache::Lookup;
use limits::MemoryLimiter;
use state::HostState;

/// The contract version this host implements (`wit/`).
pub const CONTRACT_VERSION: &str = "0.2.0";

/// How often the epoch advances; the time budget is enforced to this granularity.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Settings of the engine.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// Per-batch limits.
    pub limits: Limits,
    /// Directory of the precompiled-component cache; `None` disables it.
    pub cache_dir: Option<PathBuf>,
}

/// The shared WebAssembly engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    engine: wasmtime::Engine,
    linker: Linker<HostState>,
    limits: Limits,
    cache: Option<PrecompiledCache>,
    ticker: EpochTicker,
}

impl Engine {
    /// Creates the engine, its linker and the epoch ticker thread.
    pub fn new(config: EngineConfig) -> Result<Self, LoadError> {
        let limits = config.limits;
        let mut wasm = wasmtime::Config::new();
        wasm.wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(usize::try_from(limits.stack.as_u64()).unwrap_or(usize::MAX))
            .cranelift_opt_level(wasmtime::OptLevel::Speed);
        let engine = match wasmtime::Engine::new(wasm.clone().allocation_strategy(pooling(&limits)))
        {
            Ok(engine) => engine,
            Err(e) => {
                // The pool reserves its address space up front; where that is refused (a
                // `ulimit -v`, strict overcommit) batches still run, only a little slower.
                tracing::warn!(error = %format!("{e:#}"), "cannot reserve the instance pool; allocating instances on demand");
                wasmtime::Engine::new(&wasm).map_err(|e| LoadError::Engine(format!("{e:#}")))?
            }
        };
        let mut linker = Linker::new(&engine);
        // The WASI p2 interfaces every wasm32-wasip2 std build imports; the context each batch
        // gets grants nothing (see `HostState::new`).
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .and_then(|()| AnalyticsModule::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s))
            .map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        let cache = config
            .cache_dir
            .map(|dir| PrecompiledCache::new(dir, &engine));
        let ticker = EpochTicker::start(engine.clone());
        Ok(Self {
            inner: Arc::new(EngineInner {
                engine,
                linker,
                limits,
                cache,
                ticker,
            }),
        })
    }

    /// The per-batch limits.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The precompiled cache, if enabled.
    pub fn cache(&self) -> Option<&PrecompiledCache> {
        self.inner.cache.as_ref()
    }

    /// Compiles (or loads from the cache), links and identifies a module. `origin` names where
    /// the bytes came from, for messages.
    pub fn load(&self, bytes: &[u8], origin: &str) -> Result<Module, LoadError> {
        let started = Instant::now();
        let sha256 = hex::encode(Sha256::digest(bytes));
        let (component, source) = self.component(bytes, &sha256, origin)?;
        let contract = contract_of(&component, &self.inner.engine, origin)?;
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .and_then(AnalyticsModulePre::new)
            .map_err(|e| LoadError::WrongWorld {
                origin: origin.to_owned(),
                contract: CONTRACT_VERSION,
                reason: format!("{e:#}"),
            })?;
        let provisional = ModuleLabel {
            name: "?".into(),
            version: "?".into(),
            sha256: sha256.clone(),
        };
        let mut module = Module {
            label: provisional,
            pre,
            engine: self.clone(),
            size: bytes.len(),
            load_time: Duration::ZERO,
            compiled_from: source,
            contract,
        };
        let info = module.info().map_err(|e| LoadError::Info {
            origin: origin.to_owned(),
            reason: e.to_string(),
        })?;
        if info.name.trim().is_empty() || info.version.trim().is_empty() {
            return Err(LoadError::Info {
                origin: origin.to_owned(),
                reason: format!("empty name or version ({:?}@{:?})", info.name, info.version),
            });
        }
        module.label.name = info.name;
        module.label.version = info.version;
        module.load_time = started.elapsed();
        Ok(module)
    }

    fn component(
        &self,
        bytes: &[u8],
        sha256: &str,
        origin: &str,
    ) -> Result<(Component, CompiledFrom), LoadError> {
        check_header(bytes, origin)?;
        let engine = &self.inner.engine;
        if let Some(cache) = &self.inner.cache {
            match cache.lookup(engine, sha256) {
                Lookup::Hit(component) => return Ok((component, CompiledFrom::Cache)),
                Lookup::Miss => {}
                Lookup::Corrupt(reason) => {
                    tracing::warn!(%reason, "ignoring a damaged precompiled-cache entry; recompiling");
                }
            }
        }
        let compile_error = |e: wasmtime::Error| LoadError::Compile {
            origin: origin.to_owned(),
            reason: format!("{e:#}"),
        };
        let Some(cache) = &self.inner.cache else {
            let component = Component::new(engine, bytes).map_err(compile_error)?;
            return Ok((component, CompiledFrom::Source));
        };
        let precompiled = engine.precompile_component(bytes).map_err(compile_error)?;
        if let Err(e) = cache.store(sha256, &precompiled) {
            // The cache only saves time: a read-only or full disk must not stop the host.
            tracing::warn!(dir = %cache.dir().display(), error = %e, "cannot write the precompiled cache");
        }
        // SAFETY: `precompiled` was produced a moment ago by this very engine.
        #[allow(unsafe_code)]
        let component =
            unsafe { Component::deserialize(engine, &precompiled) }.map_err(compile_error)?;
        Ok((component, CompiledFrom::Source))
    }
}

/// Most instances alive at once: the service's batches in flight (at most 64) plus module
/// validation and canary runs during a hot swap.
const POOLED_INSTANCES: u32 = 100;

/// Linear memory a pooled slot keeps mapped between batches. Reusing it (zeroed with
/// `memset`, or only its dirty pages where `PAGEMAP_SCAN` exists) instead of mapping fresh
/// pages saves a page fault per 4 KiB the next batch touches: ~10% of a 10,000-record batch.
const KEEP_RESIDENT: usize = 16 << 20;

/// Instances come from a pool of pre-reserved slots, so a batch's fresh instance reuses
/// memory the previous one already faulted in. Every batch still gets a zeroed memory and the
/// store's limiter still applies.
fn pooling(limits: &Limits) -> wasmtime::InstanceAllocationStrategy {
    let mut pool = wasmtime::PoolingAllocationConfig::new();
    pool.total_component_instances(POOLED_INSTANCES)
        .total_memories(2 * POOLED_INSTANCES)
        .max_memory_size(usize::try_from(limits.memory.as_u64()).unwrap_or(usize::MAX))
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .pagemap_scan(wasmtime::Enabled::Auto);
    wasmtime::InstanceAllocationStrategy::Pooling(pool)
}

/// Checks the magic number and layer before handing bytes to the compiler, whose messages for
/// these common mistakes are cryptic.
fn check_header(bytes: &[u8], origin: &str) -> Result<(), LoadError> {
    if bytes.get(..4) != Some(b"\0asm") {
        return Err(LoadError::NotWasm {
            origin: origin.to_owned(),
        });
    }
    // Bytes 4..8: version and layer. Core modules are layer 0 (`01 00 00 00`).
    if bytes.get(6..8) == Some(&[0, 0]) {
        return Err(LoadError::CoreModule {
            origin: origin.to_owned(),
        });
    }
    Ok(())
}

/// The WIT package every module speaks, and the interface it must export.
const CONTRACT_PACKAGE: &str = "swapstream:analytics";
const AGGREGATOR_EXPORT: &str = "swapstream:analytics/aggregator@";

/// Finds which version of the contract a component was built for (from the name of its
/// `aggregator` export) and refuses incompatible ones with a message that says so, instead of
/// the linker's "no matching implementation" for the first import that differs.
fn contract_of(
    component: &Component,
    engine: &wasmtime::Engine,
    origin: &str,
) -> Result<String, LoadError> {
    let ty = component.component_type();
    let Some(version) = ty
        .exports(engine)
        .find_map(|(name, _)| name.strip_prefix(AGGREGATOR_EXPORT))
        .map(str::to_owned)
    else {
        let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
        return Err(LoadError::WrongWorld {
            origin: origin.to_owned(),
            contract: CONTRACT_VERSION,
            reason: if exports.is_empty() {
                "it exports nothing".to_owned()
            } else {
                format!(
                    "it does not export `{CONTRACT_PACKAGE}/aggregator` (exports: {})",
                    exports.join(", ")
                )
            },
        });
    };
    if !semver_compatible(&version, CONTRACT_VERSION) {
        return Err(LoadError::ContractVersion {
            origin: origin.to_owned(),
            found: version,
            supported: CONTRACT_VERSION,
        });
    }
    Ok(format!("{CONTRACT_PACKAGE}@{version}"))
}

/// Whether a module built for contract `found` can run on a host implementing `supported`:
/// the same major version, or for 0.x the same minor (Cargo's and the component model's rule).
fn semver_compatible(found: &str, supported: &str) -> bool {
    fn parts(v: &str) -> Option<(u64, u64)> {
        let core = v.split(['-', '+']).next()?;
        let mut numbers = core.split('.').map(str::parse::<u64>);
        Some((numbers.next()?.ok()?, numbers.next()?.ok()?))
    }
    match (parts(found), parts(supported)) {
        (Some((0, a)), Some((0, b))) => a == b,
        (Some((a, _)), Some((b, _))) => a == b,
        _ => false,
    }
}

/// Where a module's machine code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompiledFrom {
    /// Compiled from the `.wasm` bytes now.
    Source,
    /// Deserialized from the precompiled cache.
    Cache,
}

/// A module's identity: name and version from `info()`, and its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModuleLabel {
    /// Name from `info()`.
    pub name: String,
    /// Version from `info()`.
    pub version: String,
    /// Hex sha256 of the component's bytes.
    pub sha256: String,
}

impl ModuleLabel {
    /// `name@version`.
    pub fn name_version(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The first 12 hex digits of the sha256.
    pub fn short_hash(&self) -> &str {
        self.sha256.get(..12).unwrap_or(&self.sha256)
    }

    /// `name@version#shorthash`, the lineage value written with items.
    pub fn lineage(&self) -> String {
        format!("{}@{}#{}", self.name, self.version, self.short_hash())
    }
}

impl fmt::Display for ModuleLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}#{}", self.name, self.version, self.short_hash())
    }
}

/// A loaded module version, ready to run batches. Cheap to share behind an `Arc`.
pub struct Module {
    label: ModuleLabel,
    pre: AnalyticsModulePre<HostState>,
    engine: Engine,
    size: usize,
    load_time: Duration,
    compiled_from: CompiledFrom,
    contract: String,
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("label", &self.label)
            .finish()
    }
}

impl Module {
    /// Name, version and hash.
    pub fn label(&self) -> &ModuleLabel {
        &self.label
    }

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

    /// Calls `info()` in a fresh instance.
    pub fn info(&self) -> Result<bindings::ModuleInfo, ModuleError> {
        self.call(|instance, store| instance.swapstream_analytics_aggregator().call_info(store))
    }

    /// Runs `aggregate` over one batch in a fresh instance, within the engine's limits.
    pub fn aggregate(
        &self,
        batch: &[PartitionBatch],
        config: &[(String, String)],
    ) -> Result<Output, ModuleError> {
        let output = self.call(|instance, store| {
            instance
                .swapstream_analytics_aggregator()
                .call_aggregate(store, batch, config)
        })?;
        let output = output.map_err(|failure| match failure {
            ModuleFailure::InvalidConfig(message) => ModuleError::InvalidConfig {
                module: self.label.clone(),
                message,
            },
            ModuleFailure::Failed(message) => ModuleError::Failed {
                module: self.label.clone(),
                message,
            },
        })?;
        let bytes = output_size(&output);
        let limit = self.engine.inner.limits.output.as_u64();
        if bytes > limit {
            return Err(ModuleError::OutputTooLarge {
                module: self.label.clone(),
                bytes,
                limit,
            });
        }
        Ok(output)
    }

    /// Instantiates the module in a fresh store with the limits applied and runs `f`,
    /// turning traps into typed errors.
    fn call<R>(
        &self,
        f: impl FnOnce(&AnalyticsModule, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, ModuleError> {
        let inner = &self.engine.inner;
        let limits = &inner.limits;
        let state = HostState::new(
            MemoryLimiter::new(limits.memory),
            self.label.to_string(),
            limits.log_lines,
        );
        let mut store = Store::new(&inner.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(inner.ticker.ticks_for(limits.time));
        store.epoch_deadline_trap();
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| f(&instance, &mut store));
        let dropped = store.data().dropped_log_lines();
        if dropped > 0 {
            tracing::warn!(module = %self.label, dropped, "module exceeded its log budget; lines dropped");
        }
        result.map_err(|e| self.classify(e, store.data()))
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

/// Approximate size of an output in host memory: the bytes of every string and list in it.
fn output_size(output: &Output) -> u64 {
    use bindings::Value;
    let value_size = |v: &Value| -> usize {
        match v {
            Value::S(s) | Value::N(s) => s.len(),
            Value::B(b) => b.len(),
            Value::Boolean(_) | Value::Null => 1,
            Value::Ss(l) | Value::Ns(l) => l.iter().map(String::len).sum(),
        }
    };
    let items: usize = output
        .items
        .iter()
        .flat_map(|i| &i.attributes)
        .map(|a| a.name.len() + value_size(&a.value))
        .sum();
    let rejected: usize = output
        .rejected
        .iter()
        .map(|r| r.topic.len() + r.reason.len() + 12)
        .sum();
    (items + rejected) as u64
}

/// Advances the engine's epoch on a background thread; stops when the engine is dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: wasmtime::Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("swapstream-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| {
                // Without the ticker, time budgets cannot fire; memory and stack limits still do.
                tracing::error!(error = %e, "cannot start the epoch thread: time budgets are off");
            });
        Self { stop }
    }

    /// Epoch ticks for a budget, rounded up, plus one for the tick already under way.
    fn ticks_for(&self, budget: Duration) -> u64 {
        let tick = EPOCH_TICK.as_nanos();
        u64::try_from(budget.as_nanos().div_ceil(tick)).unwrap_or(u64::MAX) + 1
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::semver_compatible;

    #[test]
    fn contract_versions_are_compatible_within_a_major_or_a_0_x_minor() {
        assert!(semver_compatible("0.2.0", "0.2.0"));
        assert!(semver_compatible("0.2.3", "0.2.0"));
        assert!(!semver_compatible("0.1.0", "0.2.0"));
        assert!(!semver_compatible("0.3.0", "0.2.0"));
        assert!(!semver_compatible("1.0.0", "0.2.0"));
        assert!(semver_compatible("1.4.0", "1.0.0"));
        assert!(!semver_compatible("2.0.0", "1.0.0"));
        assert!(!semver_compatible("x", "0.2.0"));
    }
}
