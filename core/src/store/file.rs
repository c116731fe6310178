//! Modules in the local file system (`file:///path/module.wasm`): a shared volume, a config
//! map, a path baked into an image.

use std::io;
use std::path::PathBuf;

use super::{
    Fetched, MAX_MODULE_SIZE, ModuleBytes, ModuleLocation, ModuleStore, Revision, StoreError,
};

/// A module file. Its revision is its size, modification time and inode, so both an in-place
/// rewrite and the usual atomic publish (write a temporary file, rename it over the old one)
/// are noticed.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
    location: ModuleLocation,
}

impl FileStore {
    /// The module at `path`.
    pub fn new(path: PathBuf) -> Self {
        Self {
            location: ModuleLocation::File(path.clone()),
            path,
        }
    }

    /// Publishes `bytes` as the new version atomically: written to a temporary file next to
    /// the module, then renamed over it, so a host never reads a half-written module.
    pub async fn publish(&self, bytes: &[u8]) -> Result<(), StoreError> {
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let written = async {
            tokio::fs::write(&tmp, bytes).await?;
            tokio::fs::rename(&tmp, &self.path).await
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        written.map_err(|source| StoreError::Io {
            location: self.location.to_string(),
            source,
        })
    }

    fn error(&self, source: io::Error) -> StoreError {
        let location = self.location.to_string();
        if source.kind() == io::ErrorKind::NotFound {
            StoreError::NotFound { location }
        } else {
            StoreError::Io { location, source }
        }
    }

    async fn stat(&self) -> Result<(Revision, u64), StoreError> {
        let meta = tokio::fs::metadata(&self.path)
            .await
            .map_err(|e| self.error(e))?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0u64;
        let revision = Revision {
            token: format!("size={} mtime={mtime} inode={inode}", meta.len()),
            sha256: None,
        };
        Ok((revision, meta.len()))
    }
}

impl ModuleStore for FileStore {
    fn location(&self) -> &ModuleLocation {
        &self.location
    }

    async fn revision(&self) -> Result<Revision, StoreError> {
        Ok(self.stat().await?.0)
    }

    async fn fetch(&self) -> Result<Fetched, StoreError> {
        // The revision is taken *before* reading: if the file changes in between, the next
        // poll sees a newer revision and fetches again (at worst one needless read), whereas
        // the other order could pair new bytes' revision with old bytes and miss the update.
        let (revision, size) = self.stat().await?;
        if size > MAX_MODULE_SIZE {
            return Err(StoreError::TooLarge {
                location: self.location.to_string(),
                size,
                limit: MAX_MODULE_SIZE,
            });
        }
        let bytes = tokio::fs::read(&self.path)
            .await
            .map_err(|e| self.error(e))?;
        Ok(Fetched {
            module: ModuleBytes::new(bytes),
            revision,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn notices_a_rewrite_and_an_atomic_replace_but_not_a_plain_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.wasm");
        std::fs::write(&path, b"one").unwrap();
        let store = FileStore::new(path.clone());
        let first = store.fetch().await.unwrap();
        assert_eq!(first.module.bytes(), b"one");
        assert_eq!(store.revision().await.unwrap(), first.revision);

        std::fs::write(&path, b"two!").unwrap();
        let second = store.revision().await.unwrap();
        assert_ne!(second, first.revision);

        // Same size, published by rename: the inode differs even if the mtime tick does not.
        let tmp = dir.path().join("m.wasm.tmp");
        std::fs::write(&tmp, b"thr!").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        let third = store.fetch().await.unwrap();
        assert_ne!(third.revision, second);
        assert_eq!(third.module.bytes(), b"thr!");
    }

    #[tokio::test]
    async fn a_missing_file_is_not_found() {
        let store = FileStore::new("/nonexistent/swapstream/m.wasm".into());
        assert!(matches!(
            store.revision().await,
            Err(StoreError::NotFound { .. })
        ));
    }
}
