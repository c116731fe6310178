//! The reloader: notices a new module version at the store, validates it and swaps it in
//! between batches — or refuses it and keeps the running one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use swapstream_core::module::Module;
use swapstream_core::registry::Registry;
use swapstream_core::store::{Fetched, ModuleLocation, ModuleStore, Revision, StoreError};
use swapstream_engine::{CompiledFrom, WasmModule};

use super::outcome::{CheckOutcome, Swap, SwapSource};
use super::recent::RecentModules;
use super::validate::{Refusal, Validated, Validator};
use crate::stores::AnyStore;

/// Keeps a [`Registry`] on the newest valid version at a [`ModuleStore`].
///
/// Long-running hosts call [`Reloader::spawn`] once, which polls in the background; Lambda
/// calls [`Reloader::check_if_due`] at the start of each invocation (a frozen execution
/// environment runs no background task). Either way a batch that already took its module
/// finishes on it: the swap only changes what the *next* batch takes.
pub struct Reloader<S: ModuleStore = AnyStore> {
    registry: Arc<Registry<WasmModule>>,
    store: S,
    validator: Arc<Validator>,
    interval: Option<Duration>,
    state: Mutex<State>,
}

struct State {
    /// The revision last dealt with: the live version's, or a refused one's (so a bad version
    /// is refused once, not re-downloaded on every poll; publishing again retries it).
    seen: Option<Revision>,
    last_check: Instant,
    recent: RecentModules,
}

/// Why the first version could not be loaded at start-up (there is nothing to fall back to).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store could not deliver it.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// It was refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

impl<S: ModuleStore> Reloader<S> {
    /// Fetches and validates the first version and builds the registry around it.
    pub async fn start(
        store: S,
        validator: Validator,
        interval: Option<Duration>,
    ) -> Result<Self, StartError> {
        let validator = Arc::new(validator);
        let Fetched { module, revision } = store.fetch().await?;
        let validated = validator
            .validate_blocking(module, store.location().to_string())
            .await?;
        log_loaded(&validated, store.location());
        let registry = Arc::new(Registry::new(validated.module));
        Ok(Self {
            registry,
            store,
            validator,
            interval,
            state: Mutex::new(State {
                seen: Some(revision),
                last_check: Instant::now(),
                recent: RecentModules::default(),
            }),
        })
    }

    /// A reloader for a registry that is already running (its live version was loaded by
    /// other means). The first check fetches once and compares contents.
    pub fn new(
        registry: Arc<Registry<WasmModule>>,
        store: S,
        validator: Validator,
        interval: Option<Duration>,
    ) -> Self {
        Self {
            registry,
            store,
            validator: Arc::new(validator),
            interval,
            state: Mutex::new(State {
                seen: None,
                last_check: Instant::now(),
                recent: RecentModules::default(),
            }),
        }
    }

    /// The registry it keeps up to date.
    pub fn registry(&self) -> &Arc<Registry<WasmModule>> {
        &self.registry
    }

    /// The store it polls.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The poll interval (`None`: checking is off).
    pub fn interval(&self) -> Option<Duration> {
        self.interval
    }

    /// Hashes of the versions kept compiled for an instant swap back, newest first.
    pub async fn recent_versions(&self) -> Vec<String> {
        let state = self.state.lock().await;
        state
            .recent
            .hashes()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// Checks now, whatever the interval. Never fails: every outcome is logged and counted.
    pub async fn check_now(&self) -> CheckOutcome {
        let mut state = self.state.lock().await;
        let outcome = self.check(&mut state).await;
        super::metrics::checked(&outcome);
        outcome
    }

    /// Checks if at least one interval has passed since the last check (Lambda calls this at
    /// the start of each invocation); `None` when it was not due or checking is off.
    pub async fn check_if_due(&self) -> Option<CheckOutcome> {
        let interval = self.interval?;
        let mut state = self.state.lock().await;
        if state.last_check.elapsed() < interval {
            return None;
        }
        let outcome = self.check(&mut state).await;
        super::metrics::checked(&outcome);
        Some(outcome)
    }

    async fn check(&self, state: &mut State) -> CheckOutcome {
        state.last_check = Instant::now();
        let location = self.store.location();
        let revision = match self.store.revision().await {
            Ok(revision) => revision,
            Err(e) => return unavailable(e, location),
        };
        if state.seen.as_ref() == Some(&revision) {
            return CheckOutcome::Unchanged;
        }
        let noticed = Instant::now();
        tracing::debug!(%location, revision = %revision.token, "new module revision");
        // When the store vouches for the content's hash, a version still in memory swaps in
        // without a download.
        if let Some(sha256) = &revision.sha256
            && let Some(outcome) = self.known_content(state, sha256, &revision, noticed)
        {
            return outcome;
        }
        let Fetched { module, revision } = match self.store.fetch().await {
            Ok(fetched) => fetched,
            Err(e) => return unavailable(e, location),
        };
        let sha256 = module.sha256().to_owned();
        if let Some(outcome) = self.known_content(state, &sha256, &revision, noticed) {
            return outcome;
        }
        let origin = format!("{location} ({})", revision.token);
        match self.validator.validate_blocking(module, origin).await {
            Ok(validated) => {
                let source = match validated.module.compiled_from() {
                    CompiledFrom::Source => SwapSource::Compiled,
                    CompiledFrom::Cache => SwapSource::PrecompiledCache,
                };
                tracing::info!(
                    module = %validated.module.label(),
                    canary_records = validated.canary.records,
                    canary_items = validated.canary.items,
                    canary_ms = validated.canary.time.as_secs_f64() * 1e3,
                    "new module version passed validation"
                );
                state.seen = Some(revision);
                CheckOutcome::Swapped(self.swap_in(
                    state,
                    Arc::new(validated.module),
                    source,
                    noticed,
                ))
            }
            Err(refusal) => {
                tracing::error!(
                    %location,
                    revision = %revision.token,
                    sha256 = %sha256,
                    reason = refusal.reason(),
                    running = %self.registry.current().label(),
                    error = %refusal,
                    "new module version refused; the running version stays"
                );
                state.seen = Some(revision);
                CheckOutcome::Refused(refusal)
            }
        }
    }

    /// The outcome when `sha256` is the live version or one kept in memory.
    fn known_content(
        &self,
        state: &mut State,
        sha256: &str,
        revision: &Revision,
        noticed: Instant,
    ) -> Option<CheckOutcome> {
        if self.registry.current().label().sha256 == sha256 {
            state.seen = Some(revision.clone());
            return Some(CheckOutcome::SameContent);
        }
        let module = state.recent.take(sha256)?;
        state.seen = Some(revision.clone());
        Some(CheckOutcome::Swapped(self.swap_in(
            state,
            module,
            SwapSource::Memory,
            noticed,
        )))
    }

    fn swap_in(
        &self,
        state: &mut State,
        module: Arc<WasmModule>,
        source: SwapSource,
        noticed: Instant,
    ) -> Swap {
        let to = module.label().clone();
        let previous = self.registry.swap(module);
        let swap = Swap {
            from: previous.label().clone(),
            to,
            source,
            took: noticed.elapsed(),
        };
        state.recent.remember(previous);
        tracing::info!(
            from = %swap.from,
            to = %swap.to,
            source = source.as_str(),
            took_ms = swap.took.as_secs_f64() * 1e3,
            location = %self.store.location(),
            "module swapped; batches starting from now run the new version"
        );
        swap
    }
}

impl<S: ModuleStore> Reloader<S> {
    /// Starts polling in the background, every interval. A no-op watcher when checking is
    /// off. Dropping the returned [`Watcher`] (or [`Watcher::stop`]) ends the polling.
    pub fn spawn(self: &Arc<Self>) -> Watcher {
        let Some(interval) = self.interval else {
            tracing::info!(location = %self.store.location(), "module polling is off");
            return Watcher { task: None };
        };
        if !self.store.can_change() {
            return Watcher { task: None };
        }
        let reloader = Arc::clone(self);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            // After a long validation, carry on from now instead of checking in a burst.
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await; // the first tick is immediate; the start-up load just ran
            loop {
                ticks.tick().await;
                reloader.check_now().await;
            }
        });
        tracing::info!(location = %self.store.location(), interval = ?interval, "polling the module location");
        Watcher { task: Some(task) }
    }
}

/// The background polling task. Dropping it stops the polling.
#[derive(Debug)]
pub struct Watcher {
    task: Option<JoinHandle<()>>,
}

impl Watcher {
    /// Whether a polling task runs (not when checking is off or the module is built in).
    pub fn is_polling(&self) -> bool {
        self.task.is_some()
    }

    /// Stops polling and waits until the task has ended. A validation under way is abandoned;
    /// the live version is unaffected.
    pub async fn stop(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

fn unavailable(error: StoreError, location: &ModuleLocation) -> CheckOutcome {
    tracing::warn!(%location, error = %error, "cannot check the module location; the running version stays");
    CheckOutcome::Unavailable(error)
}

fn log_loaded(validated: &Validated, location: &ModuleLocation) {
    let module = &validated.module;
    tracing::info!(
        module = %module.label(),
        %location,
        size = module.size(),
        load_ms = module.load_time().as_secs_f64() * 1e3,
        from = ?module.compiled_from(),
        canary_ms = validated.canary.time.as_secs_f64() * 1e3,
        "module loaded"
    );
}
