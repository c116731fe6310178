//! What a module is granted: the per-batch host state its `Store` holds. The host log is
//! implemented per contract version (`contract/`) on top of [`HostState::module_log`].

use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use crate::limits::MemoryLimiter;
use crate::wasi::CapturedOutput;

/// How much of a module's stdout and of its stderr (e.g. a panic message) is kept for the
/// host log and error reports; the rest is dropped.
const OUTPUT_CAPTURE: usize = 4096;

/// Everything one batch's store needs.
pub(crate) struct HostState {
    wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    stdout: CapturedOutput,
    stderr: CapturedOutput,
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
    /// State for one batch: no filesystem, sockets, environment or arguments; frozen clocks
    /// and fixed "random" bytes, so that a module cannot make results depend on when or
    /// where it ran; stdout and stderr captured, bounded (see [`crate::wasi`]).
    pub(crate) fn new(limiter: MemoryLimiter, module: String, log_lines: u32) -> Self {
        let stdout = CapturedOutput::new(OUTPUT_CAPTURE);
        let stderr = CapturedOutput::new(OUTPUT_CAPTURE);
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(FrozenClock)
            .monotonic_clock(FrozenClock)
            .secure_random(wasmtime_wasi::Deterministic::new(vec![0x5a; 32]))
            .insecure_random(wasmtime_wasi::Deterministic::new(vec![0xa5; 32]))
            .insecure_random_seed(0)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            limiter,
            stdout,
            stderr,
            log: LogBudget {
                module,
                remaining: log_lines,
                dropped: 0,
            },
        }
    }

    /// What the module wrote to stderr, on one line: it ends up in one-line error messages.
    pub(crate) fn stderr_text(&self) -> String {
        one_line(&self.stderr.contents().0)
    }

    /// Logs what the module wrote to stdout and stderr (bounded), one line per stream, under
    /// the `swapstream::module` target. Called once per call into the module, unless its
    /// stderr went into an error report instead.
    pub(crate) fn log_output(&self, stderr_too: bool) {
        let module = self.log.module.as_str();
        let streams = [("stdout", &self.stdout), ("stderr", &self.stderr)];
        let logged = if stderr_too {
            &streams[..]
        } else {
            &streams[..1]
        };
        for (stream, out) in logged {
            let (bytes, dropped) = out.contents();
            let text = one_line(&bytes);
            if !text.is_empty() {
                tracing::info!(target: "swapstream::module", module, stream, dropped, "{text}");
            }
        }
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
        let message = cap_line(message);
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

/// Most bytes of one module log line kept: the number of lines per batch is capped too, so a
/// module's log costs the host a bounded amount per batch.
pub(crate) const LOG_LINE_LIMIT: usize = 4096;

/// `message`, cut at a character boundary to [`LOG_LINE_LIMIT`] bytes with its length noted.
fn cap_line(message: &str) -> std::borrow::Cow<'_, str> {
    if message.len() <= LOG_LINE_LIMIT {
        return message.into();
    }
    let mut end = LOG_LINE_LIMIT;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &message[..end], message.len()).into()
}

/// What a module wrote, lossily decoded, on one line (lines joined by " | "). Rust's hint
/// about `RUST_BACKTRACE`, which a module cannot act on, is left out.
fn one_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
        .collect::<Vec<_>>()
        .join(" | ")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_over_the_limit_is_cut_at_a_character_boundary_with_its_length() {
        let line = format!("x{}", "é".repeat(3000));
        let capped = cap_line(&line);
        assert!(capped.starts_with("xéé"));
        assert!(capped.ends_with("é… (6001 bytes)"), "{capped}");
        assert_eq!(capped.len(), 1 + 2 * 2047 + "… (6001 bytes)".len());
        assert_eq!(cap_line("short"), "short");
    }
}
