//! Kafka connection settings — brokers, security, raw librdkafka options — and the one place
//! that turns them into an rdkafka [`ClientConfig`] for a consumer or a producer.

use std::path::PathBuf;

use rdkafka::ClientConfig;
use secrecy::{ExposeSecret, SecretString};

/// How the host authenticates to the brokers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Security {
    /// No TLS, no authentication (local brokers).
    Plaintext,
    /// TLS without client authentication (MSK port 9094).
    Tls,
    /// SASL/SCRAM-SHA-512 over TLS (MSK port 9096).
    SaslScram,
    /// IAM over TLS: SASL/OAUTHBEARER with a signed token from the AWS credentials chain (MSK
    /// port 9098).
    MskIam,
}

/// Validated security settings. The SCRAM password is a [`SecretString`]: it never shows in
/// debug output or logs.
#[derive(Debug, Clone)]
pub enum SecurityConfig {
    /// Plain TCP.
    Plaintext,
    /// TLS.
    Tls {
        /// CA bundle; `None` probes the system's CA locations.
        ca_file: Option<PathBuf>,
    },
    /// SASL/SCRAM-SHA-512 over TLS.
    SaslScram {
        /// User name.
        username: String,
        /// Password.
        password: SecretString,
        /// CA bundle.
        ca_file: Option<PathBuf>,
    },
    /// MSK IAM: SASL/OAUTHBEARER over TLS; the token comes from the client context.
    MskIam {
        /// CA bundle.
        ca_file: Option<PathBuf>,
    },
}

impl SecurityConfig {
    /// Whether the client needs OAUTHBEARER tokens from its context.
    pub fn needs_oauth_tokens(&self) -> bool {
        matches!(self, SecurityConfig::MskIam { .. })
    }
}

/// Validated connection settings.
#[derive(Debug, Clone)]
pub struct KafkaConnection {
    /// `host:port` of each bootstrap broker.
    pub brokers: Vec<String>,
    /// How to authenticate.
    pub security: SecurityConfig,
    /// Raw librdkafka settings, applied last.
    pub options: Vec<(String, String)>,
}

/// What the client is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRole<'a> {
    /// A member of consumer group `group`.
    Consumer {
        /// Consumer group.
        group: &'a str,
        /// Upper bound of records fetched ahead of processing, in KiB.
        prefetch_kib: u64,
    },
    /// A producer.
    Producer,
}

/// How often librdkafka reports statistics (consumer lag, broker states) to the context.
pub const STATISTICS_INTERVAL_MS: u32 = 5_000;

/// The librdkafka configuration for `connection` in `role`. The only place the host sets
/// librdkafka properties.
pub fn client_config(connection: &KafkaConnection, role: &ClientRole<'_>) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", connection.brokers.join(","))
        .set("client.id", "swapstream")
        .set("statistics.interval.ms", STATISTICS_INTERVAL_MS.to_string());

    let ca = |config: &mut ClientConfig, ca_file: &Option<PathBuf>| {
        // Without a CA file, librdkafka (with its own, vendored OpenSSL) probes the usual system
        // locations, so public CAs such as Amazon's just work.
        let location = ca_file
            .as_ref()
            .map_or_else(|| "probe".to_owned(), |p| p.display().to_string());
        config.set("ssl.ca.location", location);
    };
    match &connection.security {
        SecurityConfig::Plaintext => {
            config.set("security.protocol", "plaintext");
        }
        SecurityConfig::Tls { ca_file } => {
            config.set("security.protocol", "ssl");
            ca(&mut config, ca_file);
        }
        SecurityConfig::SaslScram {
            username,
            password,
            ca_file,
        } => {
            config
                .set("security.protocol", "sasl_ssl")
                .set("sasl.mechanisms", "SCRAM-SHA-512")
                .set("sasl.username", username)
                .set("sasl.password", password.expose_secret());
            ca(&mut config, ca_file);
        }
        SecurityConfig::MskIam { ca_file } => {
            // The token itself comes from the client context's refresh callback.
            config
                .set("security.protocol", "sasl_ssl")
                .set("sasl.mechanisms", "OAUTHBEARER");
            ca(&mut config, ca_file);
        }
    }

    match role {
        ClientRole::Consumer {
            group,
            prefetch_kib,
        } => {
            config
                .set("group.id", *group)
                // At-least-once: the host stores a partition's offset only after the batch
                // holding its records is durably written…
                .set("enable.auto.offset.store", "false")
                // …and auto-commit commits only stored offsets, so leaving it on cannot move
                // the group past unwritten records. It bounds the replay after a crash to
                // about one interval; the host also commits explicitly on revoke and shutdown.
                .set("enable.auto.commit", "true")
                .set("auto.commit.interval.ms", "5000")
                // A new group reads each partition from its start, like an event source
                // mapping with StartingPosition TRIM_HORIZON.
                .set("auto.offset.reset", "earliest")
                .set("enable.partition.eof", "false")
                // Bounds memory: librdkafka would otherwise pre-fetch up to 64 MiB ahead.
                .set("queued.max.messages.kbytes", prefetch_kib.to_string());
        }
        ClientRole::Producer => {
            config
                // Every in-sync replica has the record before it counts as delivered.
                .set("acks", "all")
                .set("linger.ms", "5");
        }
    }

    for (key, value) in &connection.options {
        config.set(key, value);
    }
    config
}
