//! The epoch ticker that enforces time budgets: wasmtime interrupts a module whose store's
//! deadline (in epochs) has passed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the epoch advances; the time budget is enforced to this granularity.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Advances the engine's epoch on a background thread; stops when dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    pub(crate) fn start(engine: wasmtime::Engine) -> Self {
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
    pub(crate) fn ticks_for(&self, budget: Duration) -> u64 {
        let tick = EPOCH_TICK.as_nanos();
        u64::try_from(budget.as_nanos().div_ceil(tick)).unwrap_or(u64::MAX) + 1
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
