//! Module stores: where module versions are published, and how the host notices a new one.
//!
//! A [`ModuleStore`] does two things: tell cheaply which revision is at its location now
//! ([`ModuleStore::revision`]: S3 `HeadObject`'s ETag, a file's size, mtime and inode, a
//! built-in's name) and fetch the bytes with the revision they belong to
//! ([`ModuleStore::fetch`]). The hot-swap [`Reloader`](crate::hotswap::Reloader) polls the
//! first and only calls the second when the revision changed, so a poll never downloads the
//! module.
//!
//! Every store hands out [`ModuleBytes`]: the bytes with their sha256, computed once when they
//! are fetched, so the pin check, the precompiled-cache key and the module's label all use
//! that one hash. The S3 store is in the `swapstream-aws` adapter; the host picks the store
//! for a [`ModuleLocation`].

pub mod file;
mod location;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

pub use file::FileStore;
pub use location::{ModuleLocation, Sha256Hex};

use crate::retry::{Classify, Recovery};

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

/// A module's bytes and their sha256, computed once. Cheap to clone.
#[derive(Clone, PartialEq, Eq)]
pub struct ModuleBytes {
    bytes: Arc<[u8]>,
    sha256: Arc<str>,
}

impl ModuleBytes {
    /// Hashes `bytes`.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> Self {
        let bytes = bytes.into();
        let sha256 = sha256_hex(&bytes).into();
        Self { bytes, sha256 }
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Their sha256, lowercase hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Their length.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl fmt::Debug for ModuleBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModuleBytes")
            .field("len", &self.bytes.len())
            .field("sha256", &self.sha256)
            .finish()
    }
}

/// Module bytes and the revision they are.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The component.
    pub module: ModuleBytes,
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

impl Classify for StoreError {
    fn recovery(&self) -> Recovery {
        match self {
            StoreError::NotFound { .. } | StoreError::Io { .. } => Recovery::Transient,
            StoreError::S3 {
                retryable: true, ..
            } => Recovery::Transient,
            StoreError::S3 { .. } | StoreError::TooLarge { .. } => Recovery::Permanent,
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

/// A module whose bytes never change, e.g. one compiled into the host (`builtin:name`).
#[derive(Debug, Clone)]
pub struct StaticStore {
    location: ModuleLocation,
    module: ModuleBytes,
}

impl StaticStore {
    /// The module `bytes`, known by `location`.
    pub fn new(location: ModuleLocation, bytes: &[u8]) -> Self {
        Self {
            location,
            module: ModuleBytes::new(bytes),
        }
    }

    fn revision_now(&self) -> Revision {
        Revision {
            token: self.location.to_string(),
            sha256: Some(self.module.sha256().to_owned()),
        }
    }
}

impl ModuleStore for StaticStore {
    fn location(&self) -> &ModuleLocation {
        &self.location
    }

    async fn revision(&self) -> Result<Revision, StoreError> {
        Ok(self.revision_now())
    }

    async fn fetch(&self) -> Result<Fetched, StoreError> {
        Ok(Fetched {
            module: self.module.clone(),
            revision: self.revision_now(),
        })
    }

    fn can_change(&self) -> bool {
        false
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
    async fn a_static_module_never_changes_and_knows_its_hash() {
        let store = StaticStore::new(ModuleLocation::Builtin("m".into()), b"\0asm");
        assert!(!store.can_change());
        let fetched = store.fetch().await.unwrap();
        assert_eq!(fetched.revision, store.revision().await.unwrap());
        assert_eq!(
            fetched.revision.sha256.as_deref(),
            Some(sha256_hex(b"\0asm").as_str())
        );
        assert_eq!(fetched.module.sha256(), sha256_hex(b"\0asm"));
    }
}
