//! Hot-swap metrics, through the `metrics` facade (service mode installs the Prometheus
//! exporter; without a recorder these are no-ops).
//!
//! * `swapstream_module_checks_total{outcome}` — checks of the module location, by outcome
//!   (`unchanged`, `same_content`, `swapped`, `refused`, `unavailable`);
//! * `swapstream_module_refused_total{reason}` — refused versions, by [`Refusal::reason`];
//! * `swapstream_module_swaps_total{source}` — swaps, by where the code came from;
//! * `swapstream_module_swap_seconds` — from noticing a new revision to the swap;
//! * `swapstream_module_active{module}` — 1 for the live `name@version#hash`, 0 for replaced
//!   ones.

use super::reloader::CheckOutcome;
#[cfg(doc)]
use super::validate::Refusal;
use crate::engine::ModuleLabel;

pub(super) fn checked(outcome: &CheckOutcome) {
    let name = match outcome {
        CheckOutcome::Unchanged => "unchanged",
        CheckOutcome::SameContent => "same_content",
        CheckOutcome::Swapped(swap) => {
            metrics::counter!("swapstream_module_swaps_total", "source" => swap.source.as_str())
                .increment(1);
            metrics::histogram!("swapstream_module_swap_seconds").record(swap.took.as_secs_f64());
            "swapped"
        }
        CheckOutcome::Refused(refusal) => {
            metrics::counter!("swapstream_module_refused_total", "reason" => refusal.reason())
                .increment(1);
            "refused"
        }
        CheckOutcome::Unavailable(_) => "unavailable",
    };
    metrics::counter!("swapstream_module_checks_total", "outcome" => name).increment(1);
}

pub(super) fn active(now: &ModuleLabel, before: Option<&ModuleLabel>) {
    if let Some(before) = before {
        metrics::gauge!("swapstream_module_active", "module" => before.lineage()).set(0.0);
    }
    metrics::gauge!("swapstream_module_active", "module" => now.lineage()).set(1.0);
}
