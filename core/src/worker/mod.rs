//! The service worker: records from a [`Source`] gather into batches the way an event source
//! mapping cuts them ([`accumulator`]), batches go through the shared [`Pipeline`] (up to
//! `max_in_flight` at once), and a partition's offset is stored only once every batch holding
//! its earlier records is written ([`offsets`]).
//!
//! * **At-least-once.** Offsets are stored in order, after the write; librdkafka commits only
//!   stored offsets (periodically, on revoke and at shutdown).
//! * **Rebalances.** Revoke callbacks run inside this loop's own `recv()`, and the loop reads
//!   their events before anything else, so nothing is stored for a partition after it was
//!   revoked. Records not yet written for it are dropped — its next owner reads them again from
//!   the committed offset — and a partition the host keeps is rewound to its first dropped
//!   record.
//! * **Failures.** A failed batch is retried as the [`RetryPolicy`] decides (transient
//!   failures with backoff, permanent ones when a new module version goes live or once per
//!   interval), with the batch handed back by the pipeline (no copy per attempt). Meanwhile
//!   the worker pauses every partition (no unbounded buffering), keeps polling so it stays in
//!   the group, and reports unhealthy ([`health`]), as it does for any batch in flight longer
//!   than the stall threshold.
//! * **Shutdown.** Records not yet in a batch are dropped, batches in flight get a grace period
//!   to finish, what is written is committed, and the consumer leaves the group.

pub mod accumulator;
pub mod health;
pub mod offsets;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinError, JoinSet};

pub use accumulator::{Accumulator, BatchLimits, Offer};
pub use health::{Health, HealthReport};
use offsets::{BatchId, OffsetTracker};

use crate::batch::Delivery;
use crate::metrics;
use crate::module::{Module, ModuleLabel};
use crate::pipeline::{BatchReport, Pipeline, PipelineError, Unwritten};
use crate::retry::{Classify, Decision, RetryPolicy};
use crate::sink::{DeadLetterSink, ItemSink};
use crate::source::{GroupEvent, OwnedRecord, Source, SourceError, SourceRecord, TopicPartition};

/// How the loop behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceSettings {
    /// When a batch closes.
    pub limits: BatchLimits,
    /// Batches written concurrently.
    pub max_in_flight: usize,
    /// What happens to a batch that failed.
    pub retry: RetryPolicy,
    /// How long batches in flight may take to finish at shutdown.
    pub shutdown_timeout: Duration,
    /// How long a batch may be in flight before `/healthz` reports its partitions stalled.
    pub stall_after: Duration,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            limits: BatchLimits::default(),
            max_in_flight: 4,
            retry: RetryPolicy::default(),
            shutdown_timeout: Duration::from_secs(10),
            stall_after: health::DEFAULT_STALL_AFTER,
        }
    }
}

/// Why the loop stopped with an error (the host then exits with code 1; a supervisor restarts
/// it and it resumes from the committed offsets).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The Kafka source failed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A batch task panicked, or a batch was lost to a panic (host bugs). Nothing unwritten
    /// was stored: started again, the host reads it again.
    #[error("internal error in a batch task: {0}")]
    Internal(String),
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Batches written.
    pub batches: u64,
    /// Records in written batches.
    pub records: u64,
    /// Items written.
    pub items: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Batches abandoned (revoked partitions, shutdown).
    pub abandoned: u64,
    /// Whether the final commit and group leave finished in time.
    pub closed_cleanly: bool,
}

/// A batch task's word to the loop.
#[derive(Debug)]
enum Note {
    Failing { batch: BatchId, error: String },
}

type Finished = (BatchId, Result<BatchReport, String>, Duration);

/// The worker: a source, the pipeline, and the loop between them.
pub struct Worker<Src, M, S, D> {
    pipeline: Arc<Pipeline<M, S, D>>,
    source: Src,
    health: Arc<Health>,
    settings: ServiceSettings,
}

impl<Src, M, S, D> Worker<Src, M, S, D>
where
    Src: Source,
    M: Module,
    S: ItemSink + 'static,
    D: DeadLetterSink + 'static,
{
    /// A worker reading `source` into `pipeline`, reporting to `health`.
    pub fn new(
        pipeline: Pipeline<M, S, D>,
        source: Src,
        health: Arc<Health>,
        settings: ServiceSettings,
    ) -> Self {
        Self {
            pipeline: Arc::new(pipeline),
            source,
            health,
            settings,
        }
    }

    /// Runs until `shutdown` resolves (then finishes as described in the module docs) or the
    /// source fails.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<RunSummary, ServiceError> {
        let Worker {
            pipeline,
            source,
            health,
            settings,
        } = self;
        let (notes_tx, mut notes) = mpsc::unbounded_channel();
        health.set_stall_after(settings.stall_after);
        let mut state = State {
            pipeline,
            health,
            settings,
            acc: Accumulator::new(settings.limits),
            carry: None,
            ready: None,
            tracker: OffsetTracker::new(),
            aborts: HashMap::new(),
            failing: BTreeSet::new(),
            rewound: BTreeMap::new(),
            next_offset: HashMap::new(),
            next_id: 0,
            module: None,
            notes: notes_tx,
            summary: RunSummary::default(),
        };
        let mut tasks: JoinSet<Finished> = JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown.fuse());

        loop {
            state.apply_group_events(&source)?;
            state.launch(&mut tasks)?;
            // Receive while there is room for the records; while paused (a batch is failing),
            // keep polling anyway: it serves rebalances and keeps the membership.
            let room = state.ready.is_none() && state.carry.is_none();
            let can_receive = room || source.is_paused();
            let deadline = state.acc.deadline().filter(|_| state.ready.is_none());
            let event = tokio::select! {
                biased;
                () = &mut shutdown => Event::Shutdown,
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => Event::Finished(joined),
                Some(note) = notes.recv() => Event::Note(note),
                () = sleep_until(deadline), if deadline.is_some() => Event::Deadline,
                received = source.recv(), if can_receive => Event::Received(received),
            };
            match event {
                Event::Shutdown => break,
                Event::Finished(joined) => {
                    state.apply_group_events(&source)?;
                    state.finished(&source, joined)?;
                }
                Event::Note(note) => state.note(&source, note),
                Event::Deadline => state.ready = state.acc.take(),
                Event::Received(received) => {
                    let mut received = received?;
                    // Take whatever else is already fetched without another trip round the
                    // loop: the select above is the expensive part per record.
                    loop {
                        state.apply_group_events(&source)?;
                        state.received(&source, &received)?;
                        if state.ready.is_some() || state.carry.is_some() {
                            break;
                        }
                        match source.recv().now_or_never() {
                            Some(next) => received = next?,
                            None => break,
                        }
                    }
                }
            }
        }

        // Shutdown.
        let gathered = state.acc.len()
            + state.ready.as_ref().map_or(0, Delivery::len)
            + usize::from(state.carry.is_some());
        tracing::info!(
            in_flight = tasks.len(),
            dropped = gathered,
            "shutting down: finishing the batches in flight; records not yet in one are left for the next run"
        );
        let deadline = tokio::time::Instant::now() + state.settings.shutdown_timeout;
        while !tasks.is_empty() {
            tokio::select! {
                Some(joined) = tasks.join_next() => state.finished(&source, joined)?,
                () = tokio::time::sleep_until(deadline) => {
                    tracing::warn!(batches = tasks.len(), "abandoning batches still in flight after the shutdown timeout; they are read again on the next start");
                    state.summary.abandoned += tasks.len() as u64;
                    tasks.abort_all();
                    break;
                }
            }
        }
        state.summary.closed_cleanly = source.close().await;
        if !state.summary.closed_cleanly {
            tracing::warn!("the final commit or leaving the group did not finish in time");
        }
        Ok(state.summary)
    }
}

enum Event<R> {
    Shutdown,
    Finished(Result<Finished, JoinError>),
    Note(Note),
    Deadline,
    Received(Result<R, SourceError>),
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(d) = deadline {
        tokio::time::sleep_until(d.into()).await;
    }
}

struct State<M, S, D> {
    pipeline: Arc<Pipeline<M, S, D>>,
    health: Arc<Health>,
    settings: ServiceSettings,
    /// The batch being gathered.
    acc: Accumulator,
    /// A record that did not fit the previous batch: it starts the next one.
    carry: Option<OwnedRecord>,
    /// A closed batch waiting for room in flight.
    ready: Option<Delivery>,
    tracker: OffsetTracker,
    aborts: HashMap<BatchId, AbortHandle>,
    failing: BTreeSet<BatchId>,
    /// Partitions put back while paused, and where to (the lowest offset wins).
    rewound: BTreeMap<TopicPartition, i64>,
    /// Per partition, the offset after the last record taken since it was assigned or
    /// rewound: a record below it is one already taken, delivered again.
    next_offset: HashMap<TopicPartition, i64>,
    next_id: u64,
    module: Option<ModuleLabel>,
    notes: mpsc::UnboundedSender<Note>,
    summary: RunSummary,
}

impl<M, S, D> State<M, S, D>
where
    M: Module,
    S: ItemSink + 'static,
    D: DeadLetterSink + 'static,
{
    /// Acts on rebalances that happened inside the last poll.
    fn apply_group_events(&mut self, source: &impl Source) -> Result<(), ServiceError> {
        for event in source.take_group_events() {
            match event {
                // Fetching starts at the committed offsets, which may be behind what this
                // host took before (a commit can fail): anything goes from there.
                GroupEvent::Assigned(assigned) => {
                    for tp in assigned {
                        self.next_offset.remove(&tp);
                    }
                }
                GroupEvent::Revoked(revoked) => self.drop_partitions(source, &revoked)?,
            }
        }
        Ok(())
    }

    /// Drops everything not yet written for `revoked` partitions, and whatever shares a batch
    /// with them. Partitions still assigned are rewound to their first dropped record.
    fn drop_partitions(
        &mut self,
        source: &impl Source,
        revoked: &[TopicPartition],
    ) -> Result<(), ServiceError> {
        let mut first: BTreeMap<TopicPartition, i64> = BTreeMap::new();
        fn lowest(first: &mut BTreeMap<TopicPartition, i64>, tp: TopicPartition, offset: i64) {
            first
                .entry(tp)
                .and_modify(|o| *o = (*o).min(offset))
                .or_insert(offset);
        }
        // Records not in flight yet are all dropped: simpler than picking them apart, and
        // rebalances are rare.
        for (tp, offset) in self.acc.first_offsets() {
            lowest(&mut first, tp.clone(), *offset);
        }
        let mut dropped_records = self.acc.len();
        self.acc.take();
        if let Some(delivery) = self.ready.take() {
            dropped_records += delivery.len();
            for s in delivery.spans() {
                lowest(&mut first, (s.topic, s.partition), s.first);
            }
        }
        if let Some(m) = self.carry.take() {
            dropped_records += 1;
            lowest(&mut first, m.topic_partition(), m.offset);
        }
        let mut affected: Vec<TopicPartition> = revoked.to_vec();
        affected.extend(first.keys().cloned());
        let dropped = self.tracker.drop_partitions(affected);
        for (tp, offset) in dropped.first_unreleased {
            lowest(&mut first, tp, offset);
        }
        for batch in &dropped.batches {
            if let Some(handle) = self.aborts.remove(batch) {
                handle.abort();
            }
            self.health.batch_ended(batch.0);
            self.failing.remove(batch);
            self.summary.abandoned += 1;
            metrics::batch_abandoned();
        }
        if !dropped.batches.is_empty() || dropped_records > 0 {
            tracing::info!(
                batches = dropped.batches.len(),
                records = dropped_records,
                "dropped unwritten records of revoked partitions; their next owner reads them again"
            );
        }
        for tp in revoked {
            self.next_offset.remove(tp);
        }
        for ((topic, partition), offset) in first {
            let tp = (topic, partition);
            self.rewound.remove(&tp);
            if !revoked.contains(&tp) && source.is_assigned(&tp) {
                source.rewind(&tp, offset)?;
                self.next_offset.insert(tp, offset);
            }
        }
        if self.failing.is_empty() && source.is_paused() {
            // Read again; health stays "failing" until a batch is actually written.
            self.rewound.clear();
            source.resume();
        }
        Ok(())
    }

    /// Moves the carried record into the batch, closes a full batch, and starts batches while
    /// there is room.
    fn launch(&mut self, tasks: &mut JoinSet<Finished>) -> Result<(), ServiceError> {
        loop {
            if self.ready.is_none() && self.acc.is_full() {
                self.ready = self.acc.take();
            }
            if self.ready.is_none()
                && self.acc.is_empty()
                && let Some(m) = self.carry.take()
            {
                // An empty batch takes any record.
                if self.acc.offer(&m) == Offer::Full {
                    self.ready = self.acc.take();
                }
            }
            if self.tracker.in_flight() >= self.settings.max_in_flight.max(1) {
                return Ok(());
            }
            let Some(delivery) = self.ready.take() else {
                return Ok(());
            };
            self.spawn(tasks, delivery);
        }
    }

    fn spawn(&mut self, tasks: &mut JoinSet<Finished>, delivery: Delivery) {
        let id = BatchId(self.next_id);
        self.next_id += 1;
        let spans = delivery.spans();
        self.tracker.track(id, &spans);
        self.health.batch_started(
            id.0,
            spans.into_iter().map(|s| (s.topic, s.partition)).collect(),
        );
        metrics::records_in(delivery.len());
        let handle = tasks.spawn(deliver(
            self.pipeline.clone(),
            id,
            delivery,
            self.settings.retry,
            self.notes.clone(),
        ));
        self.aborts.insert(id, handle);
    }

    /// A record arrived.
    fn received(
        &mut self,
        source: &impl Source,
        message: &impl SourceRecord,
    ) -> Result<(), ServiceError> {
        if self.ready.is_some() || self.carry.is_some() {
            // No room: this poll only served the group while paused, and the record was
            // fetched before the pause took effect. Put its partition back to it.
            let tp = message.topic_partition();
            let offset = message.offset();
            if self.rewound.get(&tp).is_none_or(|o| offset < *o) {
                source.rewind(&tp, offset)?;
                self.rewound.insert(tp, offset);
            }
            return Ok(());
        }
        let tp = message.topic_partition();
        let offset = message.offset();
        if let Some(next) = self.next_offset.get(&tp)
            && offset < *next
        {
            // Offsets only grow within a partition: this record is already in a batch (or
            // written). Taking it again would count its reading twice in one batch.
            tracing::warn!(topic = %tp.0, partition = tp.1, offset, expected = *next, "a record was delivered again; skipping it");
            metrics::record_skipped();
            return Ok(());
        }
        match self.acc.offer(message) {
            Offer::Added => {
                self.next_offset.insert(tp, offset + 1);
            }
            Offer::Full => {
                self.next_offset.insert(tp, offset + 1);
                self.ready = self.acc.take();
            }
            Offer::DoesNotFit => {
                self.next_offset.insert(tp, offset + 1);
                self.carry = Some(message.to_owned_record());
                self.ready = self.acc.take();
            }
        }
        Ok(())
    }

    /// A batch task finished.
    fn finished(
        &mut self,
        source: &impl Source,
        joined: Result<Finished, JoinError>,
    ) -> Result<(), ServiceError> {
        let (id, report, elapsed) = match joined {
            Ok(done) => done,
            // Abandoned by a revoke: already accounted for.
            Err(e) if e.is_cancelled() => return Ok(()),
            Err(e) => return Err(ServiceError::Internal(e.to_string())),
        };
        self.health.batch_ended(id.0);
        let report = report.map_err(ServiceError::Internal)?;
        if self.aborts.remove(&id).is_none() {
            // Dropped by a revoke after it finished: its offsets are not ours to store.
            return Ok(());
        }
        let released = self.tracker.complete(id);
        if !released.is_empty() {
            source.store(&released);
        }
        self.summary.batches += 1;
        self.summary.records += report.records as u64;
        self.summary.items += report.items as u64;
        self.summary.rejected += report.rejected as u64;
        metrics::batch_written(
            report.records,
            report.written.written,
            report.rejected,
            report.written.retries,
            elapsed,
        );
        if self.module.as_ref() != Some(&report.module) {
            metrics::module_in_force(&report.module, self.module.as_ref());
            self.module = Some(report.module);
        }
        if self.failing.remove(&id) && self.failing.is_empty() {
            tracing::info!("batches are written again; resuming consumption");
            self.resume(source);
        }
        Ok(())
    }

    fn note(&mut self, source: &impl Source, note: Note) {
        match note {
            Note::Failing { batch, error } => {
                if !self.aborts.contains_key(&batch) {
                    return;
                }
                self.failing.insert(batch);
                self.health.set_failing(Some(error));
                if !source.is_paused() {
                    tracing::warn!("a batch is failing: pausing consumption until it is written");
                    source.pause();
                }
            }
        }
    }

    fn resume(&mut self, source: &impl Source) {
        self.health.set_failing(None);
        self.rewound.clear();
        source.resume();
    }
}

/// Writes one batch, retrying as the policy decides until it is written (or the task is
/// aborted). Each attempt gets the batch the previous one handed back.
///
/// Once the module has run the batch, every retry runs that same version, even if another one
/// went live meanwhile: the items written by an attempt that failed half-way are rewritten by
/// the version that made them, never mixed with another version's. Only a batch the module
/// failed on takes the version live at its next attempt, so that publishing a fixed module
/// unblocks it.
async fn deliver<M: Module, S: ItemSink, D: DeadLetterSink>(
    pipeline: Arc<Pipeline<M, S, D>>,
    id: BatchId,
    mut delivery: Delivery,
    policy: RetryPolicy,
    notes: mpsc::UnboundedSender<Note>,
) -> Finished {
    let started = Instant::now();
    let described = delivery.describe();
    let mut attempt: u32 = 0;
    let mut swaps = pipeline.modules().swaps();
    let mut module = pipeline.modules().current();
    loop {
        attempt = attempt.saturating_add(1);
        swaps.borrow_and_update();
        let Unwritten {
            error,
            delivery: back,
        } = match pipeline.process_with(Arc::clone(&module), delivery).await {
            Ok(report) => return (id, Ok(report), started.elapsed()),
            Err(unwritten) => unwritten,
        };
        let Some(back) = back else {
            return (id, Err(error.to_string()), started.elapsed());
        };
        delivery = back;
        let recovery = error.recovery();
        metrics::batch_retry(error.kind());
        let _ = notes.send(Note::Failing {
            batch: id,
            error: error.to_string(),
        });
        match policy.after_failure(recovery, attempt) {
            Decision::RetryAfter(delay) => {
                tracing::warn!(
                    batch = %described,
                    attempt,
                    retry_in_ms = delay.as_millis() as u64,
                    error = %error,
                    "batch not written; retrying it"
                );
                tokio::time::sleep(delay).await;
            }
            Decision::WaitForChange(interval) => {
                tracing::error!(
                    batch = %described,
                    attempt,
                    retry_in_ms = interval.as_millis() as u64,
                    error = %error,
                    "batch not written, and retrying it cannot help until a new module version goes live or the table or its permissions are fixed; its partitions wait"
                );
                tokio::select! {
                    () = tokio::time::sleep(interval) => {}
                    _ = swaps.changed() => {
                        tracing::info!(batch = %described, "a new module version is live; trying the batch again");
                    }
                }
            }
        }
        if matches!(error, PipelineError::Module(_)) {
            module = pipeline.modules().current();
        }
    }
}
