//! The modules built into the host by `build.rs` (`builtin:average`, `builtin:stats`).

/// Modules compiled into the host, by name.
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
pub fn bytes(name: &str) -> Option<&'static [u8]> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

/// Names of the built-in modules.
pub fn names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// The directory holding every module the build produced as `<name>.wasm` — including the
/// test-only `misbehave.wasm`, `contract-v1.wasm` and `contract-next.wasm`. For tests and
/// benchmarks.
#[doc(hidden)]
pub fn built_modules_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("SWAPSTREAM_GUEST_MODULES_DIR"))
}
