//! Hot-swap metrics, through the `metrics` facade (service mode installs the Prometheus
//! exporter; without a recorder these are no-ops).
//!
//! * `swapstream_module_checks_total{outcome}` — checks of the module location, by outcome
//!   (`unchanged`, `same_content`, `swapped`, `refused`, `unavailable`);
//! * `swapstream_module_refused_total{reason}` — refused versions, by [`Refusal::reason`];
//! * `swapstream_module_swaps_total{source}` — swaps, by where the code came from;
//! * `swapstream_module_swap_seconds` — from noticing a new revision to the swap.
//!
//! Which version is in force is service mode's `swapstream_module_info`, set per batch.

use super::outcome::CheckOutcome;
#[cfg(doc)]
use super::validate::Refusal;

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
