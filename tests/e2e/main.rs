//! End-to-end tests against real local servers (DynamoDB Local, Tansu, moto's S3,
//! cargo-lambda's Runtime API emulator, …), installed by `scripts/install-stack.sh`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod hotswap;
mod item_rules;
mod lambda;
mod service;
