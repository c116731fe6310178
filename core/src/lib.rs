//! The core of swapstream: the domain model and the one pipeline every driver runs, with no
//! WebAssembly runtime, Kafka client or AWS SDK in sight.
//!
//! * Domain model: a columnar [`batch::Batch`] of Kafka records, the [`item::Item`]s and
//!   [`item::Rejection`]s a module makes of it, [`module::ModuleLabel`] (which version ran),
//!   [`source::TopicPartition`] positions.
//! * Ports: [`module::Module`] (implemented by the engine for WebAssembly components),
//!   [`sink::ItemSink`] and [`sink::DeadLetterSink`] (DynamoDB, print),
//!   [`source::Source`] (Kafka, in memory), [`store::ModuleStore`] (builtin, file, S3).
//! * The [`pipeline::Pipeline`]: decode → run the module → write → acknowledge, shared by
//!   Lambda, service mode and replay; the service's [`worker::Worker`] drives it from a source,
//!   storing offsets in order after each write.
//! * [`retry`]: one error classification and the retry policy.
//!
//! A pipeline over a native module, printing its items:
//!
//! ```
//! use std::sync::Arc;
//! use swapstream_core::batch::{BatchBuilder, Delivery, RecordRef};
//! use swapstream_core::item::{Attribute, Item, Output, Value};
//! use swapstream_core::module::{Module, ModuleLabel, Ran};
//! use swapstream_core::pipeline::{Pipeline, PipelineSettings};
//! use swapstream_core::registry::Registry;
//! use swapstream_core::sink::print::{PrintItems, PrintRejections};
//!
//! /// One item per batch: how many records it had.
//! struct Count(ModuleLabel);
//! impl Module for Count {
//!     fn label(&self) -> &ModuleLabel { &self.0 }
//!     fn aggregate(&self, batch: swapstream_core::batch::Batch, _: &[(String, String)]) -> Ran {
//!         let item = Item { attributes: vec![Attribute { name: "n".into(), value: Value::N(batch.len().to_string()) }] };
//!         Ran { batch, output: Ok(Output { items: vec![item], rejected: vec![] }) }
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let label = ModuleLabel { name: "count".into(), version: "1".into(), sha256: "0".repeat(64) };
//! let pipeline = Pipeline::new(
//!     Arc::new(Registry::new(Count(label))),
//!     PrintItems::new(Vec::new()),
//!     PrintRejections::new(Vec::new()),
//!     PipelineSettings::default(),
//! );
//! let mut batch = BatchBuilder::new();
//! batch.push("t", 0, RecordRef { offset: 7, timestamp_ms: 0, key: None, value: Some(b"{}") }, [])?;
//! let report = pipeline.process(Delivery::from(batch.build())).await.map_err(|u| u.error)?;
//! assert_eq!((report.records, report.items), (1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(()) })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod batch;
pub mod item;
pub mod metrics;
pub mod module;
pub mod pipeline;
pub mod registry;
pub mod retry;
pub mod sink;
pub mod source;
pub mod store;
pub mod worker;
