//! swapstream: hot-swappable WebAssembly analytics over Kafka, written to DynamoDB.
//!
//! This crate is the host: the `swapstream` binary and what it wires together. The work is
//! done by the workspace's other crates, each at one layer:
//!
//! * `swapstream-core`: the domain model and the one pipeline (decode → module → write →
//!   acknowledge), the service worker, the ports (module, source, sink, module store);
//! * `swapstream-engine`: modules as sandboxed WebAssembly components (wasmtime);
//! * adapters: `swapstream-kafka` (the consumer-group source), `swapstream-lambda-event` (the
//!   Lambda event source), `swapstream-aws` (DynamoDB sinks, S3 module store).
//!
//! Here: the command line ([`cli`], [`commands`]), the shared [`settings`], start-up wiring
//! ([`startup`]), hot swap ([`hotswap`]), the module stores by location ([`stores`], with the
//! modules [`builtin`] to the host) and service mode's HTTP endpoints ([`http`]).

pub mod builtin;
pub mod cli;
pub mod commands;
pub mod exit;
pub mod hotswap;
pub mod http;
pub mod logging;
pub mod settings;
pub mod shutdown;
pub mod startup;
pub mod stores;
