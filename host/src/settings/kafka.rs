//! Kafka connection settings of `run` and `produce` — brokers, security, raw librdkafka
//! options — validated into the Kafka adapter's [`KafkaConnection`].

use std::path::PathBuf;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};
use swapstream_kafka::{KafkaConnection, Security, SecurityConfig};

use super::{ConfigError, parse_key_value};

/// Connection and authentication settings shared by `run` and `produce`.
#[derive(Debug, Clone, Args)]
pub struct KafkaArgs {
    /// Bootstrap brokers as host:port (comma-separated, or the flag repeated).
    #[arg(
        long,
        env = "SWAPSTREAM_BROKERS",
        value_delimiter = ',',
        required = true,
        value_name = "HOST:PORT"
    )]
    pub brokers: Vec<String>,

    /// How to connect: plaintext, tls, sasl-scram (SCRAM-SHA-512 over TLS) or msk-iam
    /// (OAUTHBEARER with an IAM-signed token, over TLS).
    #[arg(
        long = "kafka-security",
        env = "SWAPSTREAM_KAFKA_SECURITY",
        default_value = "plaintext",
        value_name = "MODE"
    )]
    pub security: Security,

    /// PEM file of the certificate authorities that sign the brokers' certificates [default:
    /// the system's CA store].
    #[arg(
        long = "kafka-ca-file",
        env = "SWAPSTREAM_KAFKA_CA_FILE",
        value_name = "FILE"
    )]
    pub ca_file: Option<PathBuf>,

    /// SASL/SCRAM user name (with --kafka-security sasl-scram).
    #[arg(
        long = "kafka-sasl-username",
        env = "SWAPSTREAM_KAFKA_SASL_USERNAME",
        value_name = "USER"
    )]
    pub sasl_username: Option<String>,

    /// SASL/SCRAM password (with --kafka-security sasl-scram).
    #[arg(
        long = "kafka-sasl-password",
        env = "SWAPSTREAM_KAFKA_SASL_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    pub sasl_password: Option<SecretString>,

    /// Raw librdkafka setting passed through unchecked, e.g. `session.timeout.ms=6000`
    /// (repeatable). Applied last, so it overrides swapstream's own choices, except for the
    /// settings swapstream's delivery guarantee depends on.
    #[arg(long = "kafka-option", value_parser = parse_key_value, value_name = "KEY=VALUE")]
    pub options: Vec<(String, String)>,
}

/// Settings the typed configuration owns: a pass-through value for them would either
/// duplicate a flag or break at-least-once delivery (offsets must be stored only by the host,
/// after the batch is written).
const RESERVED_OPTIONS: &[(&str, &str)] = &[
    ("bootstrap.servers", "use --brokers"),
    ("metadata.broker.list", "use --brokers"),
    ("group.id", "use --group"),
    (
        "enable.auto.offset.store",
        "the host stores offsets itself, only after a batch is written",
    ),
];

impl KafkaArgs {
    /// Validates the settings.
    pub fn connection(&self) -> Result<KafkaConnection, ConfigError> {
        let brokers: Vec<String> = self
            .brokers
            .iter()
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty())
            .collect();
        if brokers.is_empty() {
            return Err(ConfigError::Missing(
                "no brokers: set --brokers or SWAPSTREAM_BROKERS (host:port, comma-separated)"
                    .into(),
            ));
        }
        for broker in &brokers {
            let port = broker.rsplit_once(':').map(|(_, p)| p);
            if port.is_none_or(|p| p.parse::<u16>().is_err()) {
                return Err(ConfigError::Invalid(format!(
                    "broker `{broker}` is not host:port"
                )));
            }
        }
        let ca_file = match &self.ca_file {
            Some(path) if self.security == Security::Plaintext => {
                return Err(ConfigError::Invalid(format!(
                    "--kafka-ca-file {} needs a TLS mode (--kafka-security tls, sasl-scram or msk-iam)",
                    path.display()
                )));
            }
            Some(path) => {
                std::fs::metadata(path).map_err(|e| {
                    ConfigError::Invalid(format!("--kafka-ca-file {}: {e}", path.display()))
                })?;
                Some(path.clone())
            }
            None => None,
        };
        let has_credentials = self.sasl_username.is_some() || self.sasl_password.is_some();
        let security = match self.security {
            Security::SaslScram => {
                let (Some(username), Some(password)) = (
                    self.sasl_username.clone().filter(|u| !u.is_empty()),
                    self.sasl_password
                        .clone()
                        .filter(|p| !p.expose_secret().is_empty()),
                ) else {
                    return Err(ConfigError::Missing(
                        "--kafka-security sasl-scram needs SWAPSTREAM_KAFKA_SASL_USERNAME and SWAPSTREAM_KAFKA_SASL_PASSWORD".into(),
                    ));
                };
                SecurityConfig::SaslScram {
                    username,
                    password,
                    ca_file,
                }
            }
            _ if has_credentials => {
                return Err(ConfigError::Invalid(
                    "a SASL user name or password is set but --kafka-security is not sasl-scram"
                        .into(),
                ));
            }
            Security::Plaintext => SecurityConfig::Plaintext,
            Security::Tls => SecurityConfig::Tls { ca_file },
            Security::MskIam => SecurityConfig::MskIam { ca_file },
        };
        for (key, _) in &self.options {
            if let Some((_, why)) = RESERVED_OPTIONS.iter().find(|(k, _)| k == key) {
                return Err(ConfigError::Invalid(format!(
                    "--kafka-option {key} is not allowed: {why}"
                )));
            }
        }
        Ok(KafkaConnection {
            brokers,
            security,
            options: self.options.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeMap;

    use clap::Parser;
    use rdkafka::ClientConfig;
    use swapstream_kafka::{ClientRole, client_config};

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        kafka: KafkaArgs,
    }

    fn connection(args: &[&str]) -> Result<KafkaConnection, ConfigError> {
        let mut argv = vec!["test"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).unwrap().kafka.connection()
    }

    fn map(config: &ClientConfig) -> BTreeMap<String, String> {
        config
            .config_map()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn consumer(connection: &KafkaConnection) -> BTreeMap<String, String> {
        map(&client_config(
            connection,
            &ClientRole::Consumer {
                group: "g",
                prefetch_kib: 16_384,
            },
        ))
    }

    fn entries(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn without_common(mut m: BTreeMap<String, String>) -> BTreeMap<String, String> {
        for k in [
            "bootstrap.servers",
            "client.id",
            "statistics.interval.ms",
            "group.id",
            "enable.auto.offset.store",
            "enable.auto.commit",
            "auto.commit.interval.ms",
            "auto.offset.reset",
            "enable.partition.eof",
            "queued.max.messages.kbytes",
        ] {
            m.remove(k);
        }
        m
    }

    #[test]
    fn a_consumer_stores_offsets_itself_and_commits_only_stored_ones() {
        let c = connection(&["--brokers", "b1:9092, b2:9092"]).unwrap();
        let m = consumer(&c);
        assert_eq!(m["bootstrap.servers"], "b1:9092,b2:9092");
        assert_eq!(m["group.id"], "g");
        assert_eq!(m["enable.auto.offset.store"], "false");
        assert_eq!(m["enable.auto.commit"], "true");
        assert_eq!(m["auto.offset.reset"], "earliest");
        assert_eq!(m["queued.max.messages.kbytes"], "16384");
        assert_eq!(
            without_common(m),
            entries(&[("security.protocol", "plaintext")])
        );
    }

    #[test]
    fn tls_uses_the_ca_file_or_probes_the_system_store() {
        let ca = tempfile::NamedTempFile::new().unwrap();
        let path = ca.path().display().to_string();
        let c = connection(&[
            "--brokers",
            "b:9094",
            "--kafka-security",
            "tls",
            "--kafka-ca-file",
            &path,
        ])
        .unwrap();
        assert_eq!(
            without_common(consumer(&c)),
            entries(&[("security.protocol", "ssl"), ("ssl.ca.location", &path)])
        );
        let c = connection(&["--brokers", "b:9094", "--kafka-security", "tls"]).unwrap();
        assert_eq!(
            without_common(consumer(&c)),
            entries(&[("security.protocol", "ssl"), ("ssl.ca.location", "probe")])
        );
    }

    #[test]
    fn sasl_scram_is_sha_512_over_tls_with_the_credentials() {
        let c = connection(&[
            "--brokers",
            "b:9096",
            "--kafka-security",
            "sasl-scram",
            "--kafka-sasl-username",
            "alice",
            "--kafka-sasl-password",
            "s3cret",
        ])
        .unwrap();
        assert_eq!(
            without_common(consumer(&c)),
            entries(&[
                ("security.protocol", "sasl_ssl"),
                ("sasl.mechanisms", "SCRAM-SHA-512"),
                ("sasl.username", "alice"),
                // rdkafka hides the value when listing…
                ("sasl.password", "[sanitized for safety]"),
                ("ssl.ca.location", "probe"),
            ])
        );
        // …but it is set.
        let config = client_config(&c, &ClientRole::Producer);
        assert_eq!(config.get("sasl.password"), Some("s3cret"));
        assert!(!format!("{c:?}").contains("s3cret"), "{c:?}");
    }

    #[test]
    fn the_sasl_password_never_shows_in_debug_output() {
        let mut argv = vec!["test"];
        argv.extend_from_slice(&[
            "--brokers",
            "b:9096",
            "--kafka-security",
            "sasl-scram",
            "--kafka-sasl-username",
            "alice",
            "--kafka-sasl-password",
            "s3cret",
        ]);
        let args = Cli::try_parse_from(argv).unwrap().kafka;
        assert!(!format!("{args:?}").contains("s3cret"), "{args:?}");
        assert_eq!(
            args.sasl_password
                .as_ref()
                .map(|p| p.expose_secret().to_owned()),
            Some("s3cret".to_owned())
        );
    }

    #[test]
    fn msk_iam_is_oauthbearer_over_tls_with_tokens_from_the_context() {
        let c = connection(&["--brokers", "b:9098", "--kafka-security", "msk-iam"]).unwrap();
        assert!(c.security.needs_oauth_tokens());
        assert_eq!(
            without_common(consumer(&c)),
            entries(&[
                ("security.protocol", "sasl_ssl"),
                ("sasl.mechanisms", "OAUTHBEARER"),
                ("ssl.ca.location", "probe"),
            ])
        );
    }

    #[test]
    fn a_producer_waits_for_all_replicas() {
        let c = connection(&["--brokers", "b:9092"]).unwrap();
        let m = map(&client_config(&c, &ClientRole::Producer));
        assert_eq!(m["acks"], "all");
        assert!(!m.contains_key("group.id"));
        assert!(!m.contains_key("enable.auto.offset.store"));
    }

    #[test]
    fn raw_options_are_applied_last() {
        let c = connection(&[
            "--brokers",
            "b:9092",
            "--kafka-option",
            "session.timeout.ms=6000",
            "--kafka-option",
            "auto.offset.reset=latest",
        ])
        .unwrap();
        let m = consumer(&c);
        assert_eq!(m["session.timeout.ms"], "6000");
        assert_eq!(m["auto.offset.reset"], "latest");
    }

    #[test]
    fn refuses_settings_that_would_break_the_delivery_guarantee_or_duplicate_a_flag() {
        let err = |args: &[&str]| connection(args).unwrap_err().to_string();
        assert_eq!(
            err(&[
                "--brokers",
                "b:1",
                "--kafka-option",
                "enable.auto.offset.store=true"
            ]),
            "--kafka-option enable.auto.offset.store is not allowed: the host stores offsets itself, only after a batch is written"
        );
        assert_eq!(
            err(&["--brokers", "b:1", "--kafka-option", "group.id=x"]),
            "--kafka-option group.id is not allowed: use --group"
        );
    }

    #[test]
    fn refuses_incomplete_or_inconsistent_security_settings() {
        let err = |args: &[&str]| connection(args).unwrap_err().to_string();
        assert_eq!(
            err(&[
                "--brokers",
                "b:1",
                "--kafka-security",
                "sasl-scram",
                "--kafka-sasl-username",
                "u"
            ]),
            "--kafka-security sasl-scram needs SWAPSTREAM_KAFKA_SASL_USERNAME and SWAPSTREAM_KAFKA_SASL_PASSWORD"
        );
        assert_eq!(
            err(&["--brokers", "b:1", "--kafka-sasl-password", "p"]),
            "a SASL user name or password is set but --kafka-security is not sasl-scram"
        );
        assert_eq!(
            err(&["--brokers", "b:1", "--kafka-ca-file", "/x.pem"]),
            "--kafka-ca-file /x.pem needs a TLS mode (--kafka-security tls, sasl-scram or msk-iam)"
        );
        assert!(
            err(&[
                "--brokers",
                "b:1",
                "--kafka-security",
                "tls",
                "--kafka-ca-file",
                "/nonexistent/ca.pem"
            ])
            .starts_with("--kafka-ca-file /nonexistent/ca.pem: ")
        );
        assert_eq!(
            err(&["--brokers", "localhost"]),
            "broker `localhost` is not host:port"
        );
    }
}
