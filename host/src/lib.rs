//! swapstream: hot-swappable WebAssembly analytics over Kafka, written to DynamoDB.
//!
//! The analytics logic is a WebAssembly component implementing the `swapstream:analytics`
//! WIT contract (`wit/`). This crate is the native host that runs it, either as an AWS Lambda
//! function behind a Kafka event source mapping ([`lambda`]) or offline over an event file
//! ([`replay`]). Both share one [`pipeline`]: a columnar [`batch`] goes through the module
//! ([`engine`], [`registry`]) and the results go to the [`sink`]s.
//!
//! ```no_run
//! use std::sync::Arc;
//! use swapstream::engine::{Engine, EngineConfig};
//!
//! let engine = Engine::new(EngineConfig::default())?;
//! let module = engine.load(swapstream::modules::builtin("average").unwrap(), "builtin:average")?;
//! let output = module.aggregate(&[], &[])?;
//! assert!(output.items.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod batch;
pub mod cli;
pub mod config;
pub mod engine;
pub mod hotswap;
pub mod lambda;
pub mod logging;
pub mod metrics;
pub mod module_cmd;
pub mod modules;
pub mod output;
pub mod pipeline;
pub mod produce;
pub mod registry;
pub mod replay;
pub mod service;
pub mod sink;
pub mod source;
pub mod startup;
pub mod store;
