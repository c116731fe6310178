//! On-disk cache of precompiled components.
//!
//! Compiling a component takes tens of milliseconds to seconds; loading its precompiled form
//! takes well under a millisecond. But a precompiled entry is native code that the engine runs
//! without the checks it applies to `.wasm`, and the module's sha256 pin does not cover it, so
//! the cache is treated as a way to run code:
//!
//! * **The directory is private.** It is created `0700`; one that belongs to another user is
//!   not used at all (the cache is then off, with a warning), and one of ours that others can
//!   read or write is made `0700` first. Entries are written `0600`.
//! * **Entries are authenticated, not just checksummed.** Each file starts with a keyed BLAKE3
//!   MAC of its payload, under a random 256-bit key kept in the directory's `key` file
//!   (`0600`), apart from the entries in `entries/`. An entry copied in from elsewhere, or
//!   written by anyone who cannot read the key, fails the check and is recompiled, never run;
//!   so does a torn or corrupted one.
//! * **No symlinks are followed** when entries or the key are opened.
//!
//! Entries are keyed by the module's sha256 *and* the engine's compatibility hash (wasmtime
//! version + settings), so an entry from another engine is never used.

use std::hash::{Hash, Hasher};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use wasmtime::component::Component;

/// The precompiled-component cache in one directory.
#[derive(Clone)]
pub struct PrecompiledCache {
    dir: PathBuf,
    engine_key: String,
    key: [u8; KEY_LEN],
}

impl std::fmt::Debug for PrecompiledCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrecompiledCache")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Why the cache directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Creating or reading the directory or its key failed.
    #[error("cannot use the precompiled cache {dir}: {source}")]
    Io {
        /// The directory.
        dir: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// The directory belongs to someone else, or is not a directory.
    #[error("the precompiled cache {dir} is not safe to use: {reason}")]
    Unsafe {
        /// The directory.
        dir: PathBuf,
        /// Why.
        reason: String,
    },
}

/// What a lookup found.
pub(crate) enum Lookup {
    /// A valid entry, deserialized.
    Hit(Component),
    /// No entry.
    Miss,
    /// An entry that failed its authentication or did not deserialize; it has been removed.
    Corrupt(String),
}

const KEY_LEN: usize = 32;
const MAC_LEN: usize = blake3::OUT_LEN;

/// Entries of this layout (keyed MAC first). Entries of older layouts have other names, so
/// they are simply not found, not reported as damaged.
const ENTRY_EXTENSION: &str = "mac.cwasm";

impl PrecompiledCache {
    /// The cache in `dir` for components compiled by `engine`: creates the directory (`0700`)
    /// and its key if they do not exist, and checks that both are this user's alone.
    pub fn open(dir: impl Into<PathBuf>, engine: &wasmtime::Engine) -> Result<Self, CacheError> {
        let dir = dir.into();
        let io_error = |source| CacheError::Io {
            dir: dir.clone(),
            source,
        };
        private_dir(&dir).map_err(|e| match e {
            DirError::Io(source) => io_error(source),
            DirError::Unsafe(reason) => CacheError::Unsafe {
                dir: dir.clone(),
                reason,
            },
        })?;
        private_dir(&dir.join("entries")).map_err(|e| match e {
            DirError::Io(source) => io_error(source),
            DirError::Unsafe(reason) => CacheError::Unsafe {
                dir: dir.clone(),
                reason,
            },
        })?;
        let key = read_or_create_key(&dir.join("key")).map_err(io_error)?;
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(Self {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
            key,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file an entry for a module with this sha256 lives in.
    pub fn path_for(&self, module_sha256: &str) -> PathBuf {
        self.dir.join("entries").join(format!(
            "{module_sha256}-{}.{ENTRY_EXTENSION}",
            self.engine_key
        ))
    }

    /// What an entry's file holds for a precompiled component: its MAC under this cache's
    /// key, then the bytes.
    pub fn entry_contents(&self, precompiled: &[u8]) -> Vec<u8> {
        let mut contents = Vec::with_capacity(MAC_LEN + precompiled.len());
        contents.extend_from_slice(blake3::keyed_hash(&self.key, precompiled).as_bytes());
        contents.extend_from_slice(precompiled);
        contents
    }

    pub(crate) fn lookup(&self, engine: &wasmtime::Engine, module_sha256: &str) -> Lookup {
        let path = self.path_for(module_sha256);
        let bytes = match read_no_follow(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                return Lookup::Corrupt(format!("cannot read {}: {e}", path.display()));
            }
        };
        let verdict = match bytes.split_at_checked(MAC_LEN) {
            Some((mac, payload))
                if blake3::Hash::from_bytes(mac.try_into().unwrap_or([0; MAC_LEN]))
                    == blake3::keyed_hash(&self.key, payload) =>
            {
                // SAFETY: `deserialize` trusts its input to be the output of `precompile_*`
                // by a compatible engine. The file name carries this engine's compatibility
                // hash, and the MAC just checked (constant-time, under a key only this user
                // can read) proves the bytes are what `store` below wrote from such output.
                #[allow(unsafe_code)]
                let component = unsafe { Component::deserialize(engine, payload) };
                component.map_err(|e| format!("{} does not deserialize: {e}", path.display()))
            }
            _ => Err(format!("{} fails its authentication", path.display())),
        };
        match verdict {
            Ok(component) => Lookup::Hit(component),
            Err(reason) => {
                let _ = std::fs::remove_file(&path);
                Lookup::Corrupt(reason)
            }
        }
    }

    /// Stores a precompiled component atomically (write to a private temporary file, then
    /// rename), so that concurrent hosts sharing the directory never read a half-written
    /// entry.
    pub(crate) fn store(&self, module_sha256: &str, precompiled: &[u8]) -> io::Result<()> {
        let path = self.path_for(module_sha256);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        file.write_all(&self.entry_contents(precompiled))?;
        drop(file);
        std::fs::rename(&tmp, &path)
    }
}

enum DirError {
    Io(io::Error),
    Unsafe(String),
}

/// Creates `dir` (`0700`) or checks the one there: a real directory, owned by this process's
/// user, and made private if it is not.
fn private_dir(dir: &Path) -> Result<(), DirError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(DirError::Io)?;
    let meta = std::fs::symlink_metadata(dir).map_err(DirError::Io)?;
    if !meta.is_dir() {
        return Err(DirError::Unsafe(format!(
            "{} is not a directory (a symlink is not followed)",
            dir.display()
        )));
    }
    let me = current_uid().map_err(DirError::Io)?;
    if meta.uid() != me {
        return Err(DirError::Unsafe(format!(
            "{} belongs to uid {}, not to this process's uid {me}",
            dir.display(),
            meta.uid()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(DirError::Io)?;
    }
    Ok(())
}

/// The user this process runs as: the owner of its `/proc/self` (no `unsafe` `getuid`).
fn current_uid() -> io::Result<u32> {
    Ok(std::fs::metadata("/proc/self")?.uid())
}

/// The cache's key: read from `path`, or made at random and written there (`0600`, never
/// through a symlink) if there is none yet.
fn read_or_create_key(path: &Path) -> io::Result<[u8; KEY_LEN]> {
    match read_no_follow(path) {
        Ok(bytes) => {
            return bytes.try_into().map_err(|bytes: Vec<u8>| {
                io::Error::other(format!(
                    "{} holds {} bytes, not a {KEY_LEN}-byte key",
                    path.display(),
                    bytes.len()
                ))
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let key: [u8; KEY_LEN] = rand::random();
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path);
    match created {
        Ok(mut file) => {
            file.write_all(&key)?;
            Ok(key)
        }
        // Another host sharing the directory created it first: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_or_create_key(path),
        Err(e) => Err(e),
    }
}

/// Reads a file without following a symlink at its last component.
fn read_no_follow(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}
