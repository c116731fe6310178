//! Modules in S3 (`s3://bucket/key`), the store for Lambda and for fleets of service hosts.
//!
//! A poll is one `HeadObject`: the ETag (and version id, on a versioned bucket) tells whether
//! the object changed, and S3's own SHA-256 checksum — present when the object was uploaded
//! with one, as `swapstream module push` does — tells which content it is without downloading
//! it. The endpoint, region and credentials come from the SDK's standard configuration
//! (`AWS_ENDPOINT_URL_S3`, `AWS_REGION`, …), so a local S3 server works like AWS.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ChecksumType};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use swapstream_core::store::{
    Fetched, MAX_MODULE_SIZE, ModuleBytes, ModuleLocation, ModuleStore, Revision, StoreError,
};

/// A module object in S3.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    key: String,
    location: ModuleLocation,
}

/// What an upload produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The new object's ETag (quotes removed).
    pub etag: String,
    /// Its version id, on a versioned bucket.
    pub version_id: Option<String>,
    /// The sha256 of the bytes (hex), to pin with `SWAPSTREAM_MODULE_SHA256`.
    pub sha256: String,
}

/// An S3 client from the standard AWS environment, with bounded timeouts, so a stalled S3 can
/// delay a poll (or a Lambda invocation's check) but never hang it. `path_style` addresses
/// objects as `http://host/bucket/key`, which S3-compatible servers (moto, MinIO) and VPC
/// interface endpoints need; AWS's own endpoints default to virtual-hosted addressing.
pub async fn client(path_style: bool) -> Client {
    let shared = aws_config::load_from_env().await;
    let timeouts = aws_sdk_s3::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(20))
        .operation_timeout(Duration::from_secs(60))
        .build();
    let config = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(path_style)
        .timeout_config(timeouts)
        .build();
    Client::from_conf(config)
}

impl S3Store {
    /// The object `s3://bucket/key`, read with `client`.
    pub fn new(client: Client, bucket: String, key: String) -> Self {
        Self {
            location: ModuleLocation::S3 {
                bucket: bucket.clone(),
                key: key.clone(),
            },
            client,
            bucket,
            key,
        }
    }

    /// Uploads `module` as the new version of this object, with an S3-verified SHA-256
    /// checksum (which later lets hosts identify the content from a `HeadObject`).
    pub async fn publish(&self, module: &ModuleBytes) -> Result<Published, StoreError> {
        let sha256 = module.sha256().to_owned();
        let bytes = module.bytes().to_vec();
        let output = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .content_type("application/wasm")
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .metadata("sha256", &sha256)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| self.sdk_error(e))?;
        Ok(Published {
            etag: output.e_tag().map(unquote).unwrap_or_default(),
            version_id: output.version_id().map(str::to_owned),
            sha256,
        })
    }

    fn sdk_error<E, R>(&self, error: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
        SdkError<E, R>: std::error::Error + 'static,
    {
        let retryable = match &error {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(e) => {
                matches!(
                    e.err().code(),
                    Some("SlowDown" | "InternalError" | "ServiceUnavailable" | "RequestTimeout")
                )
            }
            _ => false,
        };
        StoreError::S3 {
            location: self.location.to_string(),
            message: crate::error::one_line(&error),
            retryable,
        }
    }

    fn check_size(&self, length: Option<i64>) -> Result<(), StoreError> {
        match length.and_then(|l| u64::try_from(l).ok()) {
            Some(size) if size > MAX_MODULE_SIZE => Err(StoreError::TooLarge {
                location: self.location.to_string(),
                size,
                limit: MAX_MODULE_SIZE,
            }),
            _ => Ok(()),
        }
    }

    fn not_found(&self) -> StoreError {
        StoreError::NotFound {
            location: self.location.to_string(),
        }
    }
}

impl ModuleStore for S3Store {
    fn location(&self) -> &ModuleLocation {
        &self.location
    }

    async fn revision(&self) -> Result<Revision, StoreError> {
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        let head = match head {
            Ok(head) => head,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => {
                return Err(self.not_found());
            }
            Err(e) => return Err(self.sdk_error(e)),
        };
        self.check_size(head.content_length())?;
        Ok(revision(
            head.e_tag(),
            head.version_id(),
            head.checksum_sha256(),
            head.checksum_type(),
        ))
    }

    async fn fetch(&self) -> Result<Fetched, StoreError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            // With the mode on, the SDK also verifies the body against S3's checksum.
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        let object = match object {
            Ok(object) => object,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                return Err(self.not_found());
            }
            Err(e) => return Err(self.sdk_error(e)),
        };
        self.check_size(object.content_length())?;
        // The revision of exactly these bytes (GetObject's own ETag), not of an earlier HEAD.
        let revision = revision(
            object.e_tag(),
            object.version_id(),
            object.checksum_sha256(),
            object.checksum_type(),
        );
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| StoreError::S3 {
                location: self.location.to_string(),
                message: format!("reading the object failed: {e}"),
                retryable: true,
            })?
            .to_vec();
        Ok(Fetched {
            module: ModuleBytes::new(bytes),
            revision,
        })
    }
}

fn revision(
    etag: Option<&str>,
    version_id: Option<&str>,
    checksum_sha256: Option<&str>,
    checksum_type: Option<&ChecksumType>,
) -> Revision {
    let etag = etag.map(unquote).unwrap_or_default();
    let token = match version_id {
        Some(v) => format!("etag={etag} version={v}"),
        None => format!("etag={etag}"),
    };
    // A multipart upload's checksum is a checksum of part checksums ("…-3"): not the content's
    // sha256, so it cannot identify a module.
    let sha256 = checksum_sha256
        .filter(|_| !matches!(checksum_type, Some(ChecksumType::Composite)))
        .and_then(|b64| BASE64.decode(b64).ok())
        .filter(|digest| digest.len() == 32)
        .map(hex::encode);
    Revision { token, sha256 }
}

fn unquote(etag: &str) -> String {
    etag.trim_matches('"').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_object_sha256_checksum_identifies_the_content() {
        // sha256("") in base64 and hex.
        let r = revision(
            Some("\"abc\""),
            None,
            Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
            Some(&ChecksumType::FullObject),
        );
        assert_eq!(r.token, "etag=abc");
        assert_eq!(
            r.sha256.as_deref(),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }

    #[test]
    fn a_composite_checksum_or_none_identifies_nothing() {
        let composite = revision(
            Some("abc-2"),
            Some("v1"),
            Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=-2"),
            Some(&ChecksumType::Composite),
        );
        assert_eq!(composite.token, "etag=abc-2 version=v1");
        assert_eq!(composite.sha256, None);
        assert_eq!(revision(Some("abc"), None, None, None).sha256, None);
    }
}
