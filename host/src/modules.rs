//! The modules built into the host, and the sha256 pin check. Fetching from a location is
//! the module store's job (`crate::store`).

use sha2::{Digest, Sha256};

use crate::config::{ModuleLocation, Sha256Hex};

/// Modules compiled into the host by `build.rs`, by name.
const BUILTIN: &[(&str, &[u8])] = &[
    (
        "average",
        include_bytes!(concat!(env!("OUT_DIR"), "/average.wasm")),
    ),
    (
        "stats",
        include_bytes!(concat!(env!("OUT_DIR"), "/stats.wasm")),
    ),
];

/// The bytes of a built-in module.
pub fn builtin(name: &str) -> Option<&'static [u8]> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// Names of the built-in modules.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// The directory holding every module the build produced as `<name>.wasm` — including the
/// test-only `misbehave.wasm`. For tests and benchmarks.
#[doc(hidden)]
pub fn built_modules_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("SWAPSTREAM_GUEST_MODULES_DIR"))
}

/// Why module bytes could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The bytes do not match the pinned sha256.
    #[error("module {location} has sha256 {actual}, but {expected} is pinned")]
    HashMismatch {
        /// The location.
        location: String,
        /// The pin.
        expected: String,
        /// The bytes' hash.
        actual: String,
    },
    /// The location's kind is not available here.
    #[error("cannot fetch {location}: {reason}")]
    Unsupported {
        /// The location.
        location: String,
        /// Why.
        reason: String,
    },
}

/// Checks `bytes` against the pin, if there is one.
pub fn check_pin(
    location: &ModuleLocation,
    bytes: &[u8],
    pin: Option<&Sha256Hex>,
) -> Result<(), FetchError> {
    let Some(expected) = pin else {
        return Ok(());
    };
    let actual = hex::encode(Sha256::digest(bytes));
    if actual == expected.0 {
        Ok(())
    } else {
        Err(FetchError::HashMismatch {
            location: location.to_string(),
            expected: expected.0.clone(),
            actual,
        })
    }
}
