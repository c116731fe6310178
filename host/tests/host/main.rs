//! Integration tests of the host: the engine's sandbox and cache, the hostile-module suite in
//! both hosts, hot swap, and the command line.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cli;
mod engine;
mod hostile;
mod hotswap;
mod lambda;
mod module_cmd;
mod service;
