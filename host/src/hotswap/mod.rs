//! Hot swap: a new module version published at the module's location goes live between
//! batches, without a restart — after it passed validation; a version that fails is refused
//! and the running one stays.
//!
//! * [`Reloader`] polls a [`ModuleStore`](swapstream_core::store::ModuleStore) (cheaply:
//!   ETag, mtime), fetches a new revision, has the [`Validator`] check it, and swaps it into
//!   the [`Registry`](swapstream_core::registry::Registry). Batches take their module from the registry once,
//!   at their start, so a batch runs entirely on one version and in-flight batches finish on
//!   the old one.
//! * [`Validator`]: sha256 pin, a component of this contract whose `info()` answers, and a
//!   [`Canary`] batch processed within the sandbox limits.
//! * Replaced versions stay compiled in memory ([`recent`]), so a rollback — publishing the
//!   old module again — swaps back without compiling; compiled code is also in the on-disk
//!   precompiled cache, which survives restarts.
//!
//! Long-running hosts (service mode) start everything with one call:
//!
//! ```no_run
//! # async fn f(module: swapstream::settings::ModuleArgs, engine: swapstream::settings::EngineArgs,
//! #            swap: swapstream::settings::HotSwapArgs) -> Result<(), swapstream::startup::StartupError> {
//! let live = swapstream::startup::start_hot_swap(&module, &engine, &swap).await?;
//! let registry = live.registry(); // hand to the pipeline
//! // … consume until shutdown, then:
//! live.stop().await;
//! # Ok(()) }
//! ```
//!
//! Lambda uses [`startup::load_swappable`](crate::startup::load_swappable) and calls
//! [`Reloader::check_if_due`] at the start of each invocation instead.

pub mod canary;
mod metrics;
pub mod outcome;
pub mod recent;
pub mod reloader;
pub mod validate;

pub use canary::{Canary, CanaryError};
pub use outcome::{CheckOutcome, Swap, SwapSource};
pub use reloader::{Reloader, StartError, Watcher};
pub use validate::{CanaryRun, Refusal, Validated, Validator};
