//! The one pipeline every driver shares: batch → module → items to the sink, rejections to the
//! dead-letter sink. Lambda, service mode and replay differ only in where batches come from
//! and how success is acknowledged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::batch::{Batch, Coordinates, Delivery, Undecodable};
use crate::item::{Item, Output, Rejection, add_lineage, dynamodb_json};
use crate::module::{Module, ModuleError, ModuleLabel, Ran, config_for};
use crate::registry::Registry;
use crate::retry::{Backoff, Classify, Recovery};
use crate::sink::{DeadLetter, DeadLetterSink, ItemSink, SinkError, WriteStats};

/// What the pipeline does when the module fails a whole batch (trap, timeout, limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnModuleFailure {
    /// Fail the batch, so that it is retried (Lambda: the event source mapping retries;
    /// service: the batch is not committed). Right when nothing else keeps the records.
    Fail,
    /// Send every record of the batch to the dead-letter sink with the failure as reason and
    /// carry on: one poison batch does not stall the partition, and nothing is lost.
    DeadLetter,
}

/// Settings of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// The module's configuration map (keys scoped `name/key` reach only the module `name`).
    pub module_config: Vec<(String, String)>,
    /// Name of the lineage attribute added to items; `None` adds none.
    pub lineage_attribute: Option<String>,
    /// What a module failure does, once retrying it (see `module_retries`) did not help.
    pub on_module_failure: OnModuleFailure,
    /// How a batch is run again, on the same module version, when the module fails in a way
    /// that depends on the machine rather than on the batch (a time-out on a loaded machine,
    /// host resources exhausted), before `on_module_failure` applies: valid records are not
    /// dead-lettered because of one slow moment. `max_attempts` counts the first run.
    pub module_retries: Backoff,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            module_config: Vec::new(),
            lineage_attribute: Some("module".to_owned()),
            on_module_failure: OnModuleFailure::Fail,
            module_retries: Backoff {
                max_attempts: 3,
                base: Duration::from_millis(500),
                max: Duration::from_secs(2),
            },
        }
    }
}

/// What one batch came to.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchReport {
    /// Records in the batch (decoded or not).
    pub records: usize,
    /// Items the module produced that are written (unwritable ones are not counted).
    pub items: usize,
    /// Items writes (after merging duplicate keys).
    pub written: WriteStats,
    /// Records rejected (by the module, undecodable, or because the module failed).
    pub rejected: usize,
    /// Output items DynamoDB would never accept, sent to the dead-letter sink instead.
    pub unwritable: usize,
    /// The module version that ran the batch.
    pub module: ModuleLabel,
    /// Set when the module failed and the batch went to the dead-letter sink.
    pub module_failure: Option<String>,
    /// Time in the module.
    pub module_time: Duration,
    /// Time for the whole batch.
    pub total_time: Duration,
}

/// Why a batch did not complete. The caller must not acknowledge it.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The module failed and the settings say to fail the batch.
    #[error(transparent)]
    Module(#[from] ModuleError),
    /// The items were not written.
    #[error("items not written: {0}")]
    Sink(#[source] SinkError),
    /// The dead letters were not written.
    #[error("dead letters not written: {0}")]
    DeadLetter(#[source] SinkError),
    /// The module thread panicked (a host bug, reported rather than crashing the process).
    #[error("internal error running the module: {0}")]
    Internal(String),
}

impl PipelineError {
    /// A short, stable name of the part that failed, for metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            PipelineError::Module(_) => "module",
            PipelineError::Sink(_) => "sink",
            PipelineError::DeadLetter(_) => "dead_letter",
            PipelineError::Internal(_) => "internal",
        }
    }
}

impl Classify for PipelineError {
    fn recovery(&self) -> Recovery {
        match self {
            PipelineError::Module(e) => e.recovery(),
            PipelineError::Sink(e) | PipelineError::DeadLetter(e) => e.recovery(),
            PipelineError::Internal(_) => Recovery::Permanent,
        }
    }
}

/// A batch that was not written, handed back so that it can be tried again without a copy.
#[derive(Debug)]
pub struct Unwritten {
    /// Why.
    pub error: PipelineError,
    /// The batch as it was delivered; `None` only when a host bug (a panic while the module
    /// ran) consumed it, and the driver must give up on it.
    pub delivery: Option<Delivery>,
}

/// The pipeline.
pub struct Pipeline<M, S, D> {
    modules: Arc<Registry<M>>,
    sink: S,
    dead_letters: D,
    settings: PipelineSettings,
}

impl<M: Module, S: ItemSink, D: DeadLetterSink> Pipeline<M, S, D> {
    /// A pipeline running the registry's live module, writing to `sink` and `dead_letters`.
    pub fn new(
        modules: Arc<Registry<M>>,
        sink: S,
        dead_letters: D,
        settings: PipelineSettings,
    ) -> Self {
        Self {
            modules,
            sink,
            dead_letters,
            settings,
        }
    }

    /// The module registry.
    pub fn modules(&self) -> &Arc<Registry<M>> {
        &self.modules
    }

    /// Runs one batch through the module and writes the results. Returns only when both the
    /// items and the dead letters are durably written (then the batch may be acknowledged),
    /// or with the reason it was not and the batch itself.
    pub async fn process(&self, delivery: Delivery) -> Result<BatchReport, Unwritten> {
        self.process_with(self.modules.current(), delivery).await
    }

    /// [`Self::process`] on a given module version (one the batch already ran with, when a
    /// retry must not change the version its items come from).
    pub async fn process_with(
        &self,
        module: Arc<M>,
        delivery: Delivery,
    ) -> Result<BatchReport, Unwritten> {
        // One version for the whole batch, even if a swap happens meanwhile.
        let span = tracing::info_span!(
            "batch",
            batch = %delivery.batch.describe(),
            module = %module.label(),
        );
        self.process_on(module, delivery).instrument(span).await
    }

    async fn process_on(
        &self,
        module: Arc<M>,
        delivery: Delivery,
    ) -> Result<BatchReport, Unwritten> {
        let started = Instant::now();
        let Delivery { batch, undecodable } = delivery;
        let records = batch.len() + undecodable.len();
        let label = module.label().clone();
        let lineage = label.lineage();
        // Keys scoped to other modules (`name/key`) stay out: the same settings serve every
        // version a swap may bring in.
        let config = config_for(&self.settings.module_config, &label.name);
        let (Ran { batch, output }, module_time) =
            match self.run_with_retries(module, batch, config).await {
                Ok(ran) => ran,
                Err(error) => {
                    return Err(Unwritten {
                        error,
                        delivery: None,
                    });
                }
            };
        let unwritten = |batch: Batch, undecodable: Vec<Undecodable>, error| Unwritten {
            error,
            delivery: Some(Delivery { batch, undecodable }),
        };

        let mut letters: Vec<DeadLetter> = undecodable
            .iter()
            .map(|u| DeadLetter {
                coordinates: u.coordinates.clone(),
                reason: u.reason.clone(),
                value: u.raw.clone(),
                module: None,
                item: None,
            })
            .collect();
        let (mut items, module_failure) = match output {
            Ok(Output { items, rejected }) => {
                letters.extend(
                    rejected
                        .into_iter()
                        .map(|r| dead_letter(&batch, r, &lineage)),
                );
                (items, None)
            }
            Err(e) if self.settings.on_module_failure == OnModuleFailure::DeadLetter => {
                tracing::error!(error = %e, records = batch.len(), "module failed the batch; sending its records to the dead-letter table");
                let reason = format!("module failed: {e}");
                letters.extend(batch.records().map(|(coordinates, value)| DeadLetter {
                    coordinates,
                    reason: reason.clone(),
                    value: value.to_vec(),
                    module: Some(lineage.clone()),
                    item: None,
                }));
                (Vec::new(), Some(e.to_string()))
            }
            Err(e) => {
                tracing::error!(error = %e, "module failed the batch");
                return Err(unwritten(batch, undecodable, PipelineError::Module(e)));
            }
        };
        for l in &letters {
            tracing::debug!(record = %l.coordinates, reason = %l.reason, "record rejected");
        }
        if let Some(name) = &self.settings.lineage_attribute {
            add_lineage(&mut items, name, &lineage);
        }
        letters.extend(unwritable_items(
            &self.sink,
            &mut items,
            &batch,
            &undecodable,
            &lineage,
        ));
        let item_count = items.len();
        let unwritable = letters.iter().filter(|l| l.item.is_some()).count();
        let rejected = letters.len() - unwritable;
        let written = tokio::try_join!(
            async { self.sink.write(items).await.map_err(PipelineError::Sink) },
            async {
                self.dead_letters
                    .write(letters)
                    .await
                    .map_err(PipelineError::DeadLetter)
            },
        );
        let written = match written {
            Ok((written, _)) => written,
            Err(error) => {
                tracing::error!(error = %error, "batch not written");
                return Err(unwritten(batch, undecodable, error));
            }
        };
        let report = BatchReport {
            records,
            items: item_count,
            written,
            rejected,
            unwritable,
            module: label,
            module_failure,
            module_time,
            total_time: started.elapsed(),
        };
        tracing::info!(
            records,
            items = item_count,
            rejected,
            unwritable,
            module_ms = module_time.as_secs_f64() * 1e3,
            total_ms = report.total_time.as_secs_f64() * 1e3,
            "batch done"
        );
        Ok(report)
    }
}

impl<M: Module, S, D> Pipeline<M, S, D> {
    /// Runs `module` over `batch`, again (after a back-off) while it fails in a way a later
    /// attempt can change, up to `module_retries.max_attempts` runs. Returns the last run and
    /// the time spent in the module over all runs.
    async fn run_with_retries(
        &self,
        module: Arc<M>,
        mut batch: Batch,
        config: Vec<(String, String)>,
    ) -> Result<(Ran, Duration), PipelineError> {
        let retries = self.settings.module_retries;
        let mut in_module = Duration::ZERO;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (ran, time) = run_module(Arc::clone(&module), batch, config.clone()).await?;
            in_module += time;
            match &ran.output {
                Err(e) if e.recovery() == Recovery::Transient && attempt < retries.max_attempts => {
                    let delay = retries.delay(attempt);
                    tracing::warn!(
                        error = %e,
                        attempt,
                        retry_in_ms = delay.as_millis() as u64,
                        "the module failed the batch in a way another run may not; running it again"
                    );
                    crate::metrics::batch_retry("module");
                    batch = ran.batch;
                    tokio::time::sleep(delay).await;
                }
                _ => return Ok((ran, in_module)),
            }
        }
    }
}

/// Runs the module on a blocking thread: module execution is CPU-bound and must not stall the
/// async runtime (which keeps polling Kafka and serving /healthz meanwhile).
async fn run_module<M: Module>(
    module: Arc<M>,
    batch: Batch,
    config: Vec<(String, String)>,
) -> Result<(Ran, Duration), PipelineError> {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let ran = module.aggregate(batch, &config);
        (ran, started.elapsed())
    })
    .await
    .map_err(|e| PipelineError::Internal(e.to_string()))
}

fn dead_letter(batch: &Batch, r: Rejection, lineage: &str) -> DeadLetter {
    let value = batch
        .value_of(&r.topic, r.partition, r.offset)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    DeadLetter {
        coordinates: Coordinates {
            topic: r.topic,
            partition: r.partition,
            offset: r.offset,
        },
        reason: r.reason,
        value,
        module: Some(lineage.to_owned()),
        item: None,
    }
}

/// Moves the items `sink` can never write out of `items`, each as a dead letter naming the
/// rule it breaks: one bad item must not keep its batch's other items (and every later batch
/// of its partitions) from being written.
fn unwritable_items(
    sink: &impl ItemSink,
    items: &mut Vec<Item>,
    batch: &Batch,
    undecodable: &[Undecodable],
    lineage: &str,
) -> Vec<DeadLetter> {
    let mut letters = Vec::new();
    let mut index = 0;
    items.retain(|item| {
        let this = index;
        index += 1;
        let Err(reason) = sink.check(item) else {
            return true;
        };
        tracing::warn!(item = this, reason = %reason, "an output item can never be written; sending it to the dead-letter table");
        letters.push(DeadLetter {
            coordinates: first_coordinates(batch, undecodable),
            reason: format!("item cannot be written: {reason}"),
            value: dynamodb_json(item).to_string().into_bytes(),
            module: Some(lineage.to_owned()),
            item: Some(this),
        });
        false
    });
    letters
}

/// The coordinates a batch is known by: its first record's.
fn first_coordinates(batch: &Batch, undecodable: &[Undecodable]) -> Coordinates {
    batch
        .records()
        .next()
        .map(|(c, _)| c)
        .or_else(|| undecodable.first().map(|u| u.coordinates.clone()))
        .unwrap_or(Coordinates {
            topic: String::new(),
            partition: 0,
            offset: 0,
        })
}
