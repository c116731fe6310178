//! swapstream's module engine: analytics modules are WebAssembly components, compiled once per
//! version and run one batch at a time in a fresh, sandboxed, resource-limited instance.
//!
//! * [`Engine`] holds the wasmtime engine, the linker of every contract version it serves
//!   ([`contract`]) and the on-disk precompiled cache ([`PrecompiledCache`]).
//! * [`Engine::load`] turns [`ModuleBytes`] (hashed once, by the store that fetched them) into
//!   a [`WasmModule`]: compiled or taken from the cache by that hash, matched to its contract
//!   version, linked, and identified by its `info()`.
//! * [`WasmModule`] implements the core's [`Module`](swapstream_core::module::Module): a batch
//!   costs one `Store` and one instantiation; limits ([`Limits`]) bound its memory, time
//!   (epoch interruption), stack, output and log lines.
//!
//! ```no_run
//! use swapstream_core::batch::Batch;
//! use swapstream_core::module::Module;
//! use swapstream_core::store::ModuleBytes;
//! use swapstream_engine::{Engine, EngineConfig};
//!
//! let engine = Engine::new(EngineConfig::default())?;
//! let bytes = ModuleBytes::new(std::fs::read("average.wasm")?);
//! let module = engine.load(&bytes, "average.wasm")?;
//! let ran = module.aggregate(Batch::default(), &[]);
//! assert!(ran.output?.items.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cache;
pub mod contract;
mod epoch;
mod error;
mod limits;
mod module;
mod sandbox;
mod wasi;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use swapstream_core::module::ModuleLabel;
use swapstream_core::store::ModuleBytes;
use wasmtime::component::{Component, Linker};

pub use cache::{CacheError, PrecompiledCache};
pub use error::LoadError;
pub use limits::Limits;
pub use module::WasmModule;

use cache::Lookup;
use contract::Exports;
use epoch::EpochTicker;
use sandbox::HostState;

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

/// Where a module's machine code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompiledFrom {
    /// Compiled from the `.wasm` bytes now.
    Source,
    /// Deserialized from the precompiled cache.
    Cache,
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
        contract::add_to_linker(&mut linker).map_err(|e| LoadError::Engine(format!("{e:#}")))?;
        let cache = config.cache_dir.and_then(|dir| {
            PrecompiledCache::open(dir, &engine)
                .inspect_err(|e| {
                    // The cache only saves time: without it every version compiles.
                    tracing::warn!(error = %e, "precompiled cache off");
                })
                .ok()
        });
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

    /// Compiles (or takes from the cache, by the bytes' sha256), links and identifies a module.
    /// `origin` names where the bytes came from, for messages. CPU-bound: compiling takes
    /// from milliseconds to seconds.
    pub fn load(&self, module: &ModuleBytes, origin: &str) -> Result<WasmModule, LoadError> {
        let started = Instant::now();
        let (component, compiled_from) = self.component(module, origin)?;
        let (exports, contract) =
            Exports::link(&component, &self.inner.engine, &self.inner.linker, origin)?;
        let provisional = ModuleLabel {
            name: "?".into(),
            version: "?".into(),
            sha256: module.sha256().to_owned(),
        };
        let mut loaded = WasmModule {
            label: provisional,
            exports,
            engine: self.clone(),
            size: module.len(),
            load_time: Duration::ZERO,
            compiled_from,
            contract,
        };
        let info = loaded.identity().map_err(|e| LoadError::Info {
            origin: origin.to_owned(),
            reason: e.to_string(),
        })?;
        if info.name.trim().is_empty() || info.version.trim().is_empty() {
            return Err(LoadError::Info {
                origin: origin.to_owned(),
                reason: format!("empty name or version ({:?}@{:?})", info.name, info.version),
            });
        }
        loaded.label.name = info.name;
        loaded.label.version = info.version;
        loaded.load_time = started.elapsed();
        Ok(loaded)
    }

    fn component(
        &self,
        module: &ModuleBytes,
        origin: &str,
    ) -> Result<(Component, CompiledFrom), LoadError> {
        let bytes = module.bytes();
        check_header(bytes, origin)?;
        let engine = &self.inner.engine;
        if let Some(cache) = &self.inner.cache {
            match cache.lookup(engine, module.sha256()) {
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
        if let Err(e) = cache.store(module.sha256(), &precompiled) {
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
/// pages saves a page fault per 4 KiB the next batch touches.
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
