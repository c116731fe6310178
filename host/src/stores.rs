//! The module store for a location: built into the host, a local file, or an S3 object.

use swapstream_aws::S3Store;
use swapstream_core::store::{
    Fetched, FileStore, ModuleLocation, ModuleStore, Revision, StaticStore, StoreError,
};

/// The store for any [`ModuleLocation`].
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// `builtin:name`.
    Builtin(StaticStore),
    /// `file://…`.
    File(FileStore),
    /// `s3://bucket/key`.
    S3(S3Store),
}

impl AnyStore {
    /// The store for `location`; an S3 client is configured from the standard AWS environment.
    /// `None` only for a built-in name that does not exist (the settings have already refused
    /// those).
    pub async fn open(location: &ModuleLocation) -> Option<Self> {
        Some(match location {
            ModuleLocation::Builtin(name) => AnyStore::Builtin(StaticStore::new(
                location.clone(),
                crate::builtin::bytes(name)?,
            )),
            ModuleLocation::File(path) => AnyStore::File(FileStore::new(path.clone())),
            ModuleLocation::S3 { bucket, key } => AnyStore::S3(S3Store::new(
                swapstream_aws::s3_store::client(crate::settings::s3_path_style()).await,
                bucket.clone(),
                key.clone(),
            )),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use swapstream_core::store::ModuleBytes;

    use super::*;

    #[tokio::test]
    async fn a_builtin_module_never_changes_and_knows_its_hash() {
        let store = AnyStore::open(&ModuleLocation::Builtin("average".into()))
            .await
            .unwrap();
        assert!(!store.can_change());
        let fetched = store.fetch().await.unwrap();
        assert_eq!(fetched.revision, store.revision().await.unwrap());
        let expected = ModuleBytes::new(crate::builtin::bytes("average").unwrap());
        assert_eq!(fetched.revision.sha256.as_deref(), Some(expected.sha256()));
        assert_eq!(fetched.module, expected);
    }
}
