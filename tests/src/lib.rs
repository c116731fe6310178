//! Test harness for swapstream's end-to-end tests: starts real local servers on free loopback
//! ports, runs the real `swapstream` binary, and stops everything when dropped.
//!
//! The servers are installed by `scripts/install-stack.sh`; the harness finds them on `PATH`
//! or under `SWAPSTREAM_HOME` (default `~/.cache/swapstream`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod dynamodb;
pub mod kafka;
pub mod lambda;
pub mod process;
pub mod readings;
pub mod s3;
pub mod service;
pub mod telemetry;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The loopback address every server and client in the tests uses (IPv4 only).
pub const LOOPBACK: &str = "127.0.0.1";

/// A free TCP port on the loopback interface.
pub fn free_port() -> u16 {
    TcpListener::bind((LOOPBACK, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// Waits until something accepts connections on `port`, or panics after `timeout`.
pub fn wait_for_port(port: u16, what: &str, timeout: Duration) {
    let started = Instant::now();
    while TcpStream::connect((LOOPBACK, port)).is_err() {
        assert!(
            started.elapsed() < timeout,
            "{what} did not listen on {LOOPBACK}:{port} within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// Where `scripts/install-stack.sh` puts things.
pub fn stack_home() -> PathBuf {
    std::env::var_os("SWAPSTREAM_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/swapstream")
        })
}

/// The `swapstream` binary of the profile these tests were built with, built if needed (a
/// no-op when it is up to date), so the tests always run the current code.
///
/// With `SWAPSTREAM_TEST_BIN_BUILT` set (the Makefile sets it for `cargo test --workspace`,
/// which builds the binary for the host's own integration tests in the same run), the binary
/// already there is used as it is: building it again with `-p swapstream` alone would resolve
/// other dependency features and compile the host a second time.
pub fn swapstream_bin() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            // Tests run from target/<profile>/deps/, binaries (the demo) from target/<profile>/.
            let exe = std::env::current_exe().unwrap();
            let mut profile_dir = exe.parent().unwrap().to_path_buf();
            if profile_dir.ends_with("deps") {
                profile_dir.pop();
            }
            let built = profile_dir.join("swapstream");
            if std::env::var_os("SWAPSTREAM_TEST_BIN_BUILT").is_some() && built.exists() {
                return built;
            }
            // target/debug is the dev profile; every other directory is named after its profile.
            let profile = profile_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .filter(|n| n != "debug");
            let mut cargo = std::process::Command::new(
                std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
            );
            // Cargo gives a test process its package's CARGO_MANIFEST_DIR, CARGO_PKG_*…; build
            // scripts that track those (ring's does) would see them change and rebuild half the
            // dependency tree — and the host — on every test run.
            for (name, _) in std::env::vars_os() {
                let name = name.to_string_lossy();
                if [
                    "CARGO_MANIFEST_",
                    "CARGO_PKG_",
                    "CARGO_CRATE_",
                    "CARGO_BIN_",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                ]
                .iter()
                .any(|prefix| name.starts_with(prefix))
                {
                    cargo.env_remove(name.as_ref());
                }
            }
            cargo.current_dir(workspace_root()).args([
                "build",
                "--quiet",
                "-p",
                "swapstream",
                "--bin",
                "swapstream",
            ]);
            if let Some(profile) = &profile {
                cargo.args(["--profile", profile]);
            }
            let status = cargo.status().expect("cargo runs");
            assert!(status.success(), "building swapstream failed");
            profile_dir.join("swapstream")
        })
        .clone()
}

/// Environment for anything that talks to the local AWS stand-ins: a region, dummy static
/// credentials, and no instance-metadata lookups (which would leave the loopback interface).
pub fn aws_env() -> Vec<(String, String)> {
    [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}
