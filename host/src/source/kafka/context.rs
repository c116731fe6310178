//! The librdkafka callbacks: logs into `tracing`, statistics into metrics and connection
//! state, MSK IAM tokens, and the consumer-group rebalance hooks that the service loop relies on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use crate::metrics;

/// A topic-partition.
pub type TopicPartition = (String, i32);

/// The topic-partitions in a list.
pub fn partitions_of(list: &TopicPartitionList) -> Vec<TopicPartition> {
    list.elements()
        .iter()
        .map(|e| (e.topic().to_owned(), e.partition()))
        .collect()
}

/// Signs MSK IAM authentication tokens (SASL/OAUTHBEARER) with the AWS credentials chain.
#[derive(Clone)]
pub struct MskIamTokens {
    config: aws_config::SdkConfig,
    region: aws_config::Region,
    runtime: tokio::runtime::Handle,
}

/// Why no MSK IAM token could be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No region is configured (AWS_REGION).
    #[error("MSK IAM needs an AWS region: set AWS_REGION")]
    NoRegion,
    /// No credentials provider is configured.
    #[error("MSK IAM needs AWS credentials, and none are configured")]
    NoCredentials,
    /// Signing failed (no credentials, or they could not be fetched).
    #[error("cannot sign an MSK IAM token: {0}")]
    Signing(String),
}

impl std::fmt::Debug for MskIamTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MskIamTokens")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl MskIamTokens {
    /// Tokens for the region and credentials of `config`, signed on `runtime`.
    pub fn new(
        config: aws_config::SdkConfig,
        runtime: tokio::runtime::Handle,
    ) -> Result<Self, TokenError> {
        let region = config.region().cloned().ok_or(TokenError::NoRegion)?;
        if config.credentials_provider().is_none() {
            return Err(TokenError::NoCredentials);
        }
        Ok(Self {
            config,
            region,
            runtime,
        })
    }

    /// A fresh token. librdkafka calls this from inside a poll, on whatever thread polls (an
    /// async worker for the consumer), so the async signer runs to completion on a thread of
    /// its own, bounded in time.
    pub fn token(&self) -> Result<OAuthToken, TokenError> {
        let provider = self
            .config
            .credentials_provider()
            .ok_or(TokenError::NoCredentials)?;
        let region = self.region.clone();
        let runtime = self.runtime.clone();
        let signed = std::thread::scope(|s| {
            s.spawn(move || {
                runtime.block_on(async move {
                    tokio::time::timeout(
                        Duration::from_secs(10),
                        aws_msk_iam_sasl_signer::generate_auth_token_from_credentials_provider(
                            region, provider,
                        ),
                    )
                    .await
                })
            })
            .join()
        });
        match signed {
            Ok(Ok(Ok((token, expires_ms)))) => Ok(OAuthToken {
                token,
                // MSK identifies the client by the signature; the principal is informational.
                principal_name: String::new(),
                lifetime_ms: expires_ms,
            }),
            Ok(Ok(Err(e))) => Err(TokenError::Signing(e.to_string())),
            Ok(Err(_)) => Err(TokenError::Signing("timed out after 10s".into())),
            Err(_) => Err(TokenError::Signing("the signing thread panicked".into())),
        }
    }
}

/// What every swapstream Kafka client does with librdkafka's logs, errors and token requests.
#[derive(Debug, Clone, Default)]
pub struct ClientHooks {
    tokens: Option<MskIamTokens>,
}

impl ClientHooks {
    /// Hooks that answer token requests with `tokens` (MSK IAM), if given.
    pub fn new(tokens: Option<MskIamTokens>) -> Self {
        Self { tokens }
    }

    fn log(level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", facility, "{message}")
            }
            RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", facility, "{message}"),
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", facility, "{message}")
            }
            RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", facility, "{message}"),
        }
    }

    fn error(error: &KafkaError, reason: &str) {
        // Transport errors repeat every few seconds while a broker is away; the state change
        // is reported once (all brokers down) at warn level, the rest at debug.
        match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::BrokerTransportFailure) => {
                tracing::debug!(target: "librdkafka", %error, "{reason}")
            }
            _ => tracing::warn!(target: "librdkafka", %error, "{reason}"),
        }
    }

    fn token(&self) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        match &self.tokens {
            Some(tokens) => tokens.token().map_err(|e| {
                tracing::error!(error = %e, "MSK IAM token refresh failed");
                e.into()
            }),
            None => Err("OAUTHBEARER needs --kafka-security msk-iam".into()),
        }
    }
}

/// A plain client context with the shared hooks (used by the producer).
#[derive(Debug, Clone, Default)]
pub struct HooksContext(pub ClientHooks);

impl ClientContext for HooksContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        ClientHooks::log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        ClientHooks::error(&error, reason);
    }

    fn generate_oauth_token(
        &self,
        _config: Option<&str>,
    ) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        self.0.token()
    }
}

/// Whether the consumer is part of its group and connected, for `/healthz`.
#[derive(Debug, Default)]
pub struct ConsumerStatus {
    member: AtomicBool,
    connected: AtomicBool,
}

impl ConsumerStatus {
    /// Whether the consumer holds an assignment (possibly empty: more replicas than
    /// partitions is a healthy state).
    pub fn is_member(&self) -> bool {
        self.member.load(Ordering::Relaxed)
    }

    /// Whether at least one broker connection is up.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Records that a broker answered (e.g. a record arrived).
    pub fn mark_connected(&self) {
        self.connected.store(true, Ordering::Relaxed);
    }
}

/// A change of the consumer's assignment, as the service loop must see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEvent {
    /// These partitions are now ours.
    Assigned(Vec<TopicPartition>),
    /// These partitions are no longer ours: nothing more may be stored for them, and records
    /// of theirs not yet written must be dropped (their next owner reads them again from the
    /// committed offset).
    Revoked(Vec<TopicPartition>),
}

/// State the rebalance callbacks share with the service loop. The callbacks run inside the
/// loop's own `recv()` (librdkafka serves them from the poll), so the loop sees every event
/// before it does anything else with the consumer.
#[derive(Debug, Default)]
pub struct GroupState {
    events: Mutex<Vec<GroupEvent>>,
    paused: AtomicBool,
    status: Arc<ConsumerStatus>,
}

impl GroupState {
    /// Takes the events since the last call, oldest first.
    pub fn take_events(&self) -> Vec<GroupEvent> {
        match self.events.lock() {
            Ok(mut events) => std::mem::take(&mut *events),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }

    fn push(&self, event: GroupEvent) {
        match self.events.lock() {
            Ok(mut events) => events.push(event),
            Err(poisoned) => poisoned.into_inner().push(event),
        }
    }

    /// While set, partitions assigned by a rebalance are paused at once (the sink is failing,
    /// so no new records may be fetched).
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
    }

    /// Whether consumption is paused.
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// The consumer's status for health checks.
    pub fn status(&self) -> &Arc<ConsumerStatus> {
        &self.status
    }
}

/// The consumer's context.
#[derive(Debug)]
pub struct ConsumerHooks {
    hooks: ClientHooks,
    group: Arc<GroupState>,
}

impl ConsumerHooks {
    /// A context reporting to `group`.
    pub fn new(hooks: ClientHooks, group: Arc<GroupState>) -> Self {
        Self { hooks, group }
    }
}

impl ClientContext for ConsumerHooks {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = true;

    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        ClientHooks::log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.group.status.connected.store(false, Ordering::Relaxed);
        }
        ClientHooks::error(&error, reason);
    }

    fn stats(&self, statistics: Statistics) {
        let up = statistics
            .brokers
            .values()
            .any(|b| b.nodeid >= 0 && b.state == "UP");
        self.group.status.connected.store(up, Ordering::Relaxed);
        for (topic, t) in &statistics.topics {
            for (partition, p) in &t.partitions {
                // Partition -1 is librdkafka's internal placeholder; a negative lag means
                // unknown (no committed offset or high watermark yet).
                if *partition >= 0 && p.fetch_state == "active" && p.consumer_lag >= 0 {
                    metrics::consumer_lag(topic, *partition, p.consumer_lag);
                }
            }
        }
    }

    fn generate_oauth_token(
        &self,
        _config: Option<&str>,
    ) -> Result<OAuthToken, Box<dyn std::error::Error>> {
        self.hooks.token()
    }
}

impl ConsumerContext for ConsumerHooks {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            let revoked = partitions_of(list);
            // Last chance to commit for these partitions: stored offsets cover only written
            // batches, so this hands the next owner exactly what is done.
            match consumer.commit_consumer_state(CommitMode::Sync) {
                Ok(()) => tracing::debug!("committed stored offsets before the revoke"),
                Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
                Err(e) => tracing::warn!(error = %e, "could not commit before the revoke"),
            }
            for (topic, partition) in &revoked {
                metrics::consumer_lag(topic, *partition, 0);
            }
            tracing::info!(partitions = %describe(&revoked), lost = consumer.assignment_lost(), "partitions revoked");
            self.group.status.member.store(false, Ordering::Relaxed);
            self.group.push(GroupEvent::Revoked(revoked));
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                let assigned = partitions_of(list);
                if self.group.is_paused()
                    && !assigned.is_empty()
                    && let Err(e) = consumer.pause(list)
                {
                    tracing::warn!(error = %e, "could not pause newly assigned partitions");
                }
                tracing::info!(partitions = %describe(&assigned), "partitions assigned");
                self.group.status.member.store(true, Ordering::Relaxed);
                self.group.status.connected.store(true, Ordering::Relaxed);
                self.group.push(GroupEvent::Assigned(assigned));
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!(error = %e, "rebalance failed"),
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        match result {
            Ok(()) => {
                for e in offsets.elements() {
                    if let Offset::Offset(o) = e.offset() {
                        metrics::committed_offset(e.topic(), e.partition(), o);
                    }
                }
            }
            // Nothing stored since the last commit: not an error.
            Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => {
                tracing::warn!(error = %e, "offset commit failed; it is retried with the next commit")
            }
        }
    }
}

/// `topic/partition` list for logs.
pub fn describe(partitions: &[TopicPartition]) -> String {
    let parts: Vec<String> = partitions.iter().map(|(t, p)| format!("{t}/{p}")).collect();
    parts.join(",")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use base64::Engine as _;

    use super::*;

    fn static_config(region: Option<&'static str>) -> aws_config::SdkConfig {
        let mut b = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
                aws_sdk_dynamodb::config::Credentials::new(
                    "AKIDEXAMPLE",
                    "secret",
                    None,
                    None,
                    "test",
                ),
            ));
        if let Some(r) = region {
            b = b.region(aws_config::Region::from_static(r));
        }
        b.build()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn msk_iam_tokens_are_sigv4_presigned_kafka_connect_urls() {
        let tokens = MskIamTokens::new(
            static_config(Some("eu-west-1")),
            tokio::runtime::Handle::current(),
        )
        .unwrap();
        // librdkafka calls from a blocking context.
        let token = tokio::task::spawn_blocking(move || tokens.token())
            .await
            .unwrap()
            .unwrap();
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&token.token)
            .unwrap();
        let url = String::from_utf8(url).unwrap();
        assert!(
            url.starts_with(
                "https://kafka.eu-west-1.amazonaws.com/?Action=kafka-cluster%3AConnect"
            ),
            "{url}"
        );
        assert!(url.contains("X-Amz-Credential=AKIDEXAMPLE%2F"), "{url}");
        assert!(url.contains("X-Amz-Signature="), "{url}");
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        // The signer's tokens are valid for 15 minutes.
        assert!(
            (token.lifetime_ms - now_ms - 900_000).abs() < 60_000,
            "{} vs {now_ms}",
            token.lifetime_ms
        );
    }

    #[tokio::test]
    async fn msk_iam_needs_a_region() {
        let err =
            MskIamTokens::new(static_config(None), tokio::runtime::Handle::current()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "MSK IAM needs an AWS region: set AWS_REGION"
        );
    }

    #[test]
    fn without_msk_iam_a_token_request_is_refused() {
        let Err(err) = ClientHooks::default().token() else {
            panic!("a token without MSK IAM");
        };
        assert_eq!(
            err.to_string(),
            "OAUTHBEARER needs --kafka-security msk-iam"
        );
    }
}
