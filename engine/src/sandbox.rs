//! What a module is granted: the per-batch host state its `Store` holds. The host log is
//! implemented per contract version (`contract/`) on top of [`HostState::module_log`].

use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use super::limits::MemoryLimiter;

/// How much of a module's stderr (e.g. a panic message) is kept for the error report.
const STDERR_CAPTURE: usize = 4096;

/// Everything one batch's store needs.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) stderr: MemoryOutputPipe,
    log: LogBudget,
}

/// Severity of a module's log line (every contract version's `level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// Log lines left for this batch, and the module they are attributed to.
struct LogBudget {
    module: String,
    remaining: u32,
    dropped: u32,
}

impl HostState {
    /// State for one batch: no filesystem, network, environment or arguments; frozen clocks
    /// and fixed "random" bytes, so that a module cannot make results depend on when or
    /// where it ran; stderr captured for error reports.
    pub(crate) fn new(limiter: MemoryLimiter, module: String, log_lines: u32) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE);
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .secure_random(wasmtime_wasi::Deterministic::new(vec![0x5a; 32]))
            .insecure_random(wasmtime_wasi::Deterministic::new(vec![0xa5; 32]))
            .insecure_random_seed(0)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter,
            stderr,
            log: LogBudget {
                module,
                remaining: log_lines,
                dropped: 0,
            },
        }
    }

    /// What the module wrote to stderr, lossily decoded, on one line (lines joined by " | "):
    /// it ends up in one-line error messages and log fields. Rust's hint about
    /// `RUST_BACKTRACE`, which a module cannot act on, is left out.
    pub(crate) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents())
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// Log lines dropped because the module exceeded its budget.
    pub(crate) fn dropped_log_lines(&self) -> u32 {
        self.log.dropped
    }

    /// One line of the module's log, within the batch's budget: tagged with the module and
    /// logged under the `swapstream::module` target.
    pub(crate) fn module_log(&mut self, level: LogLevel, message: &str) {
        let budget = &mut self.log;
        if budget.remaining == 0 {
            budget.dropped += 1;
            return;
        }
        budget.remaining -= 1;
        let module = budget.module.as_str();
        // `tracing` needs the level at compile time, hence one macro call per level.
        match level {
            LogLevel::Trace => {
                tracing::trace!(target: "swapstream::module", module, "{message}")
            }
            LogLevel::Debug => {
                tracing::debug!(target: "swapstream::module", module, "{message}")
            }
            LogLevel::Info => {
                tracing::info!(target: "swapstream::module", module, "{message}")
            }
            LogLevel::Warn => {
                tracing::warn!(target: "swapstream::module", module, "{message}")
            }
            LogLevel::Error => {
                tracing::error!(target: "swapstream::module", module, "{message}")
            }
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// A clock stopped at the Unix epoch: modules get no clock.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}
