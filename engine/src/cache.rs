//! On-disk cache of precompiled components.
//!
//! Compiling a component takes tens of milliseconds to seconds; loading its precompiled form
//! takes well under a millisecond. Entries are keyed by the module's sha256 *and* the engine's
//! compatibility hash (wasmtime version + settings), so an entry from another engine is never
//! used. Each file starts with the BLAKE3 digest of its payload: a torn or corrupted entry is
//! detected, deleted and rebuilt instead of being handed to the deserializer. The digest is
//! BLAKE3 rather than sha256 because the check runs on every cached load and BLAKE3 is the
//! faster of the two on entries of this size.

use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};

use wasmtime::component::Component;

/// The precompiled-component cache in one directory.
#[derive(Debug, Clone)]
pub struct PrecompiledCache {
    dir: PathBuf,
    engine_key: String,
}

/// What a lookup found.
pub(crate) enum Lookup {
    /// A valid entry, deserialized.
    Hit(Component),
    /// No entry.
    Miss,
    /// An entry that failed its integrity check or did not deserialize; it has been removed.
    Corrupt(String),
}

const DIGEST_LEN: usize = blake3::OUT_LEN;

/// Entries of this layout (BLAKE3 digest first). Entries an older host wrote with a sha256
/// digest (`.cwasm`) are another name, so they are simply not found, not reported as damaged.
const ENTRY_EXTENSION: &str = "b3.cwasm";

impl PrecompiledCache {
    /// A cache in `dir` for components compiled by `engine`. The directory is created on the
    /// first store.
    pub fn new(dir: impl Into<PathBuf>, engine: &wasmtime::Engine) -> Self {
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Self {
            dir: dir.into(),
            engine_key: format!("{:016x}", hasher.finish()),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file an entry for a module with this sha256 lives in.
    pub fn path_for(&self, module_sha256: &str) -> PathBuf {
        self.dir.join(format!(
            "{module_sha256}-{}.{ENTRY_EXTENSION}",
            self.engine_key
        ))
    }

    /// What an entry's file holds for a precompiled component: its digest, then the bytes.
    pub fn entry_contents(precompiled: &[u8]) -> Vec<u8> {
        let mut contents = Vec::with_capacity(DIGEST_LEN + precompiled.len());
        contents.extend_from_slice(blake3::hash(precompiled).as_bytes());
        contents.extend_from_slice(precompiled);
        contents
    }

    pub(crate) fn lookup(&self, engine: &wasmtime::Engine, module_sha256: &str) -> Lookup {
        let path = self.path_for(module_sha256);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => return Lookup::Corrupt(format!("cannot read {}: {e}", path.display())),
        };
        let verdict = match bytes.split_at_checked(DIGEST_LEN) {
            Some((digest, payload)) if blake3::hash(payload).as_bytes() == digest => {
                // SAFETY: `deserialize` trusts its input to be the output of `precompile_*`
                // by a compatible engine. The file name carries this engine's compatibility
                // hash, the file is only written by `store` below from such output, and the
                // digest just checked proves it is byte-for-byte what was written.
                #[allow(unsafe_code)]
                let component = unsafe { Component::deserialize(engine, payload) };
                component.map_err(|e| format!("{} does not deserialize: {e}", path.display()))
            }
            _ => Err(format!("{} fails its integrity check", path.display())),
        };
        match verdict {
            Ok(component) => Lookup::Hit(component),
            Err(reason) => {
                let _ = std::fs::remove_file(&path);
                Lookup::Corrupt(reason)
            }
        }
    }

    /// Stores a precompiled component atomically (write to a temporary file, then rename), so
    /// that concurrent hosts sharing the directory never read a half-written entry.
    pub(crate) fn store(&self, module_sha256: &str, precompiled: &[u8]) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path_for(module_sha256);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, Self::entry_contents(precompiled))?;
        std::fs::rename(&tmp, &path)
    }
}
