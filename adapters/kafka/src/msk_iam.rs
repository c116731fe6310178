//! MSK IAM authentication: SASL/OAUTHBEARER tokens signed with the AWS credentials chain.

use std::time::Duration;

use rdkafka::client::OAuthToken;

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use base64::Engine as _;

    use super::*;

    /// An SDK configuration in `region` with static credentials (`session_token` for
    /// temporary ones).
    fn config(
        region: Option<&'static str>,
        access_key: &str,
        secret_key: &str,
        session_token: Option<&str>,
    ) -> aws_config::SdkConfig {
        let mut b = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new(
                        access_key,
                        secret_key,
                        session_token.map(str::to_owned),
                        None,
                        "test",
                    ),
                ),
            );
        if let Some(r) = region {
            b = b.region(aws_config::Region::from_static(r));
        }
        b.build()
    }

    fn static_config(region: Option<&'static str>) -> aws_config::SdkConfig {
        config(region, "AKIDEXAMPLE", "secret", None)
    }

    /// A token from `config`, asked for as librdkafka does (from a blocking context): its
    /// expiry (ms since the epoch) and the presigned URL it encodes.
    async fn presigned(config: aws_config::SdkConfig) -> (i64, String) {
        let tokens = MskIamTokens::new(config, tokio::runtime::Handle::current()).unwrap();
        let token = tokio::task::spawn_blocking(move || tokens.token())
            .await
            .unwrap()
            .unwrap();
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&token.token)
            .unwrap();
        (token.lifetime_ms, String::from_utf8(url).unwrap())
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn msk_iam_tokens_are_sigv4_presigned_kafka_connect_urls() {
        let (lifetime_ms, url) = presigned(static_config(Some("eu-west-1"))).await;
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
            (lifetime_ms - now_ms - 900_000).abs() < 60_000,
            "{lifetime_ms} vs {now_ms}"
        );
    }

    /// AWS Signature Version 4, written here from AWS's description (not with aws-sigv4, which
    /// the signer uses), so that the token is checked against the published algorithm: MSK
    /// verifies the signature of a `GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster:Connect`
    /// presigned for the `kafka-cluster` service, with an empty body, signed headers `host`.
    mod sigv4 {
        use sha2::{Digest, Sha256};

        fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
            let mut block = [0u8; 64];
            if key.len() > 64 {
                block[..32].copy_from_slice(&Sha256::digest(key));
            } else {
                block[..key.len()].copy_from_slice(key);
            }
            let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
            let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
            let inner_hash = Sha256::new()
                .chain_update(&inner)
                .chain_update(message)
                .finalize();
            Sha256::new()
                .chain_update(&outer)
                .chain_update(inner_hash)
                .finalize()
                .into()
        }

        fn percent_decode(s: &str) -> String {
            let bytes = s.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'%' => {
                        let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                        out.push(u8::from_str_radix(hex, 16).unwrap());
                        i += 3;
                    }
                    b'+' => {
                        out.push(b' ');
                        i += 1;
                    }
                    b => {
                        out.push(b);
                        i += 1;
                    }
                }
            }
            String::from_utf8(out).unwrap()
        }

        /// RFC 3986 encoding as SigV4 canonical query strings use it.
        fn uri_encode(s: &str) -> String {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        }

        /// The query parameters of `url`, decoded, in their order.
        pub fn params(url: &str) -> Vec<(String, String)> {
            let query = url.split_once('?').unwrap().1;
            query
                .split('&')
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap();
                    (percent_decode(k), percent_decode(v))
                })
                .collect()
        }

        /// The signature SigV4 gives the presigned request `url` (its `X-Amz-Signature` and
        /// `User-Agent` left out of the canonical query, as the signer adds them afterwards).
        pub fn expected_signature(url: &str, host: &str, secret: &str) -> String {
            let params = params(url);
            let get = |name: &str| {
                params
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap()
            };
            let mut canonical_query: Vec<(String, String)> = params
                .iter()
                .filter(|(k, _)| k != "X-Amz-Signature" && k != "User-Agent")
                .map(|(k, v)| (uri_encode(k), uri_encode(v)))
                .collect();
            canonical_query.sort();
            let canonical_query = canonical_query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&");
            let empty_body = hex::encode(Sha256::digest(b""));
            let canonical_request =
                format!("GET\n/\n{canonical_query}\nhost:{host}\n\nhost\n{empty_body}");
            let amz_date = get("X-Amz-Date");
            let credential = get("X-Amz-Credential");
            let scope = credential.split_once('/').unwrap().1;
            let string_to_sign = format!(
                "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
                hex::encode(Sha256::digest(canonical_request.as_bytes()))
            );
            let mut parts = scope.split('/');
            let (date, region, service, terminator) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
            let key = hmac(&key, region.as_bytes());
            let key = hmac(&key, service.as_bytes());
            let key = hmac(&key, terminator.as_bytes());
            hex::encode(hmac(&key, string_to_sign.as_bytes()))
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn msk_iam_tokens_carry_a_sigv4_signature_that_verifies_independently() {
        let (_, url) = presigned(config(
            Some("us-east-2"),
            "ASIAEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            Some("FwoGZXIvYXdzEXAMPLE+/=token"),
        ))
        .await;
        let params = sigv4::params(&url);
        let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "Action",
                "X-Amz-Algorithm",
                "X-Amz-Credential",
                "X-Amz-Date",
                "X-Amz-Expires",
                "X-Amz-SignedHeaders",
                "X-Amz-Signature",
                "X-Amz-Security-Token",
                "User-Agent",
            ],
            "{url}"
        );
        let value = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap()
        };
        assert_eq!(value("Action"), "kafka-cluster:Connect");
        assert_eq!(value("X-Amz-Algorithm"), "AWS4-HMAC-SHA256");
        assert_eq!(value("X-Amz-Expires"), "900");
        assert_eq!(value("X-Amz-SignedHeaders"), "host");
        assert_eq!(value("X-Amz-Security-Token"), "FwoGZXIvYXdzEXAMPLE+/=token");
        let date = &value("X-Amz-Date")[..8];
        assert_eq!(
            value("X-Amz-Credential"),
            format!("ASIAEXAMPLE/{date}/us-east-2/kafka-cluster/aws4_request")
        );
        assert!(value("User-Agent").starts_with("aws-msk-iam-sasl-signer-rs/"));
        assert_eq!(
            value("X-Amz-Signature"),
            sigv4::expected_signature(
                &url,
                "kafka.us-east-2.amazonaws.com",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            )
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
}
