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

    fn static_config(region: Option<&'static str>) -> aws_config::SdkConfig {
        let mut b = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new(
                        "AKIDEXAMPLE",
                        "secret",
                        None,
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
}
