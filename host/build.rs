//! Builds the analytics modules under `guest/` as wasm32-wasip2 components so that the host can
//! embed the default module: one ordinary `cargo build` builds the host *and* its modules, and a
//! change to a module or to `wit/` always rebuilds the `.wasm` the host embeds.

#![allow(clippy::expect_used)] // A build script reports failure by panicking.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Modules built for the host, by crate name and the name the host knows them by. `average`
/// and `stats` are embedded; `misbehave` is only for the sandbox tests, `contract-v1` (built
/// for an incompatible contract version) only for the hot-swap refusal tests, `contract-next`
/// (built for contract 0.3) for the tests of serving two contract versions, and `template`
/// is built so the tests keep the module template authors copy working.
const MODULES: &[(&str, &str)] = &[
    ("swapstream-average", "average"),
    ("swapstream-stats", "stats"),
    ("swapstream-misbehave", "misbehave"),
    ("swapstream-contract-v1", "contract-v1"),
    ("swapstream-contract-next", "contract-next"),
    ("swapstream-template", "template"),
];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir
        .parent()
        .expect("host/ is inside the workspace")
        .to_path_buf();
    for watched in [
        "guest",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
        ".cargo/config.toml",
    ] {
        println!("cargo::rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo::rerun-if-env-changed=SWAPSTREAM_GUEST_TARGET_DIR");

    // The workspace's own target dir would deadlock on cargo's build lock, so the modules get a
    // sibling one; it is stable, so incremental builds stay fast.
    let target_dir = env::var_os("SWAPSTREAM_GUEST_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_target_dir(&root));

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--locked",
            "--profile",
            "guest",
            "--target",
            "wasm32-wasip2",
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    for (krate, _) in MODULES {
        cmd.args(["-p", krate]);
    }
    // Settings meant for the host build must not leak into the module build: a host
    // RUSTFLAGS (e.g. coverage) or clippy's wrapper would break or skip the wasm build.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_PROFILE_RELEASE_LTO",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .expect("failed to run cargo for the guest modules");
    assert!(
        status.success(),
        "building the analytics modules for wasm32-wasip2 failed (is the target installed? \
         `rustup target add wasm32-wasip2`)"
    );

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let built = target_dir.join("wasm32-wasip2").join("guest");
    // Tests (here and in tests/) find the test-only modules through this.
    println!(
        "cargo::rustc-env=SWAPSTREAM_GUEST_MODULES_DIR={}",
        out_dir.display()
    );
    for (krate, name) in MODULES {
        let file = built.join(format!("{}.wasm", krate.replace('-', "_")));
        copy(&file, &out_dir.join(format!("{name}.wasm")));
    }
}

fn workspace_target_dir(root: &Path) -> PathBuf {
    // OUT_DIR is <target>/<profile>/build/swapstream-<hash>/out (or with a target triple in
    // between); the target dir is the ancestor named by CARGO_TARGET_DIR or `target`.
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
}
