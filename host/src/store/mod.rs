//! Module stores: where module versions are published, and how the host notices a new one.
//!
//! A [`ModuleStore`] does two things: tell cheaply which revision is at its location now
//! ([`ModuleStore::revision`]: S3 `HeadObject`'s ETag, a file's size, mtime and inode, a
//! built-in's name) and fetch the bytes with the revision they belong to
//! ([`ModuleStore::fetch`]). The hot-swap [`Reloader`](crate::hotswap::Reloader) polls the
//! first and only calls the second when the revision changed, so a poll never downloads the
//! module.
//!
//! [`AnyStore::open`] picks the store for a [`ModuleLocation`].

pub mod file;
pub mod s3;

use std::future::Future;

use crate::config::ModuleLocation;

pub use file::FileStore;
pub use s3::S3Store;

/// The largest module a store hands out. Real modules are 0.1–10 MB; anything far bigger is a
/// wrong object, and must not exhaust the host's memory (a Lambda may have 128 MB).
pub const MAX_MODULE_SIZE: u64 = 64 << 20;

/// Which version is at a location, as far as the store can tell without downloading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Changes whenever the content may have changed: an S3 ETag (with the version id on a
    /// versioned bucket), a file's size, mtime and inode, a built-in's name.
    pub token: String,
    /// The content's sha256 (hex), when the store knows it without downloading: S3's own
    /// SHA-256 checksum of an object uploaded with one (`swapstream module push` does), the
    /// hash of a built-in. Lets the host swap back to a version it still holds without
    /// downloading it again.
    pub sha256: Option<String>,
}

/// Module bytes and the revision they are.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The component.
    pub bytes: Vec<u8>,
    /// The revision these bytes are.
    pub revision: Revision,
}

/// Why a store could not answer. The running module stays; the next poll tries again.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Nothing is at the location (yet).
    #[error("no module at {location}")]
    NotFound {
        /// The location.
        location: String,
    },
    /// Reading a local file failed.
    #[error("cannot read module {location}: {source}")]
    Io {
        /// The location.
        location: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An S3 request failed.
    #[error("S3 request for {location} failed: {message}")]
    S3 {
        /// The location.
        location: String,
        /// The SDK's error, with its causes.
        message: String,
        /// Whether a later attempt can succeed (network, throttling, 5xx) rather than a
        /// permanent refusal (access denied, no such bucket).
        retryable: bool,
    },
    /// The object is bigger than any module should be.
    #[error("module {location} is {size} bytes, more than the {limit}-byte limit")]
    TooLarge {
        /// The location.
        location: String,
        /// Its size.
        size: u64,
        /// [`MAX_MODULE_SIZE`].
        limit: u64,
    },
}

impl StoreError {
    /// Whether asking again later can help.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::NotFound { .. } | StoreError::Io { .. } => true,
            StoreError::S3 { retryable, .. } => *retryable,
            StoreError::TooLarge { .. } => false,
        }
    }
}

/// A place module versions are published to.
pub trait ModuleStore: Send + Sync + 'static {
    /// The location, for messages.
    fn location(&self) -> &ModuleLocation;

    /// The revision at the location now. Cheap: metadata only, never the content.
    fn revision(&self) -> impl Future<Output = Result<Revision, StoreError>> + Send;

    /// The module's bytes and their revision.
    fn fetch(&self) -> impl Future<Output = Result<Fetched, StoreError>> + Send;

    /// Whether the content can change at all, i.e. whether polling makes sense.
    fn can_change(&self) -> bool {
        true
    }
}

/// A module compiled into the host. It never changes.
#[derive(Debug, Clone)]
pub struct BuiltinStore {
    location: ModuleLocation,
    bytes: &'static [u8],
    sha256: String,
}

impl BuiltinStore {
    /// The built-in module `name`, if there is one.
    pub fn new(name: &str) -> Option<Self> {
        let bytes = crate::modules::builtin(name)?;
        Some(Self {
            location: ModuleLocation::Builtin(name.to_owned()),
            bytes,
            sha256: sha256_hex(bytes),
        })
    }

    fn revision_now(&self) -> Revision {
        Revision {
            token: self.location.to_string(),
            sha256: Some(self.sha256.clone()),
        }
    }
}

impl ModuleStore for BuiltinStore {
    fn location(&self) -> &ModuleLocation {
        &self.location
    }

    async fn revision(&self) -> Result<Revision, StoreError> {
        Ok(self.revision_now())
    }

    async fn fetch(&self) -> Result<Fetched, StoreError> {
        Ok(Fetched {
            bytes: self.bytes.to_vec(),
            revision: self.revision_now(),
        })
    }

    fn can_change(&self) -> bool {
        false
    }
}

/// The store for any [`ModuleLocation`].
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// `builtin:name`.
    Builtin(BuiltinStore),
    /// `file://…`.
    File(FileStore),
    /// `s3://bucket/key`.
    S3(S3Store),
}

impl AnyStore {
    /// The store for `location`; an S3 client is configured from the standard AWS environment.
    /// `None` only for a built-in name that does not exist (the configuration parser has
    /// already refused those).
    pub async fn open(location: &ModuleLocation) -> Option<Self> {
        Some(match location {
            ModuleLocation::Builtin(name) => AnyStore::Builtin(BuiltinStore::new(name)?),
            ModuleLocation::File(path) => AnyStore::File(FileStore::new(path.clone())),
            ModuleLocation::S3 { bucket, key } => {
                AnyStore::S3(S3Store::from_env(bucket.clone(), key.clone()).await)
            }
        })
    }
}

impl ModuleStore for AnyStore {
    fn location(&self) -> &ModuleLocation {
        match self {
            AnyStore::Builtin(s) => s.location(),
            AnyStore::File(s) => s.location(),
            AnyStore::S3(s) => s.location(),
        }
    }

    async fn revision(&self) -> Result<Revision, StoreError> {
        match self {
            AnyStore::Builtin(s) => s.revision().await,
            AnyStore::File(s) => s.revision().await,
            AnyStore::S3(s) => s.revision().await,
        }
    }

    async fn fetch(&self) -> Result<Fetched, StoreError> {
        match self {
            AnyStore::Builtin(s) => s.fetch().await,
            AnyStore::File(s) => s.fetch().await,
            AnyStore::S3(s) => s.fetch().await,
        }
    }

    fn can_change(&self) -> bool {
        match self {
            AnyStore::Builtin(s) => s.can_change(),
            AnyStore::File(s) => s.can_change(),
            AnyStore::S3(s) => s.can_change(),
        }
    }
}

/// The lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn a_builtin_module_never_changes_and_knows_its_hash() {
        let store = AnyStore::open(&ModuleLocation::Builtin("average".into()))
            .await
            .unwrap();
        assert!(!store.can_change());
        let fetched = store.fetch().await.unwrap();
        assert_eq!(fetched.revision, store.revision().await.unwrap());
        assert_eq!(
            fetched.revision.sha256.as_deref(),
            Some(sha256_hex(&fetched.bytes).as_str())
        );
    }
}
