//! swapstream's Kafka adapter (rdkafka, librdkafka vendored):
//!
//! * [`KafkaSource`]: service mode's consumer-group member, implementing the core's
//!   [`Source`](swapstream_core::source::Source);
//! * [`connection`]: typed connection settings and the one place that turns them into
//!   librdkafka properties;
//! * [`hooks`]: librdkafka's callbacks (logs, statistics, rebalances, tokens);
//! * [`msk_iam`]: MSK IAM tokens signed with the AWS credentials chain;
//! * [`producer`]: the load generator behind `swapstream produce`.

pub mod connection;
mod headers;
pub mod hooks;
pub mod msk_iam;
pub mod producer;
pub mod source;

pub use connection::{ClientRole, KafkaConnection, Security, SecurityConfig, client_config};
pub use hooks::ClientHooks;
pub use msk_iam::{MskIamTokens, TokenError};
pub use source::{KafkaRecord, KafkaSource, SubscribeError};

/// Runs a call that blocks on librdkafka (a seek, a synchronous commit) without stalling the
/// other tasks of the async worker thread it is on: on a multi-threaded runtime those move to
/// other threads meanwhile. Elsewhere (no runtime, a current-thread runtime) it simply runs.
pub(crate) fn blocking<R>(call: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(call)
        }
        _ => call(),
    }
}
