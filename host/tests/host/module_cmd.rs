//! `swapstream module check|diff|push` through the real binary, and the precompiled cache
//! across restarts of it.

use std::path::Path;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn built(name: &str) -> String {
    swapstream::builtin::built_modules_dir()
        .join(format!("{name}.wasm"))
        .display()
        .to_string()
}

fn run(args: &[&str], cache: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_swapstream"));
    cmd.args(args)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env_remove("SWAPSTREAM_MODULE_CONFIG")
        .env_remove("SWAPSTREAM_MODULE_CANARY");
    match cache {
        Some(dir) => cmd
            .env("SWAPSTREAM_CACHE_DIR", dir)
            .env_remove("SWAPSTREAM_NO_CACHE"),
        None => cmd.env("SWAPSTREAM_NO_CACHE", "true"),
    };
    cmd.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The value of a `field   value` line of `module check`'s report.
fn field(report: &str, name: &str) -> String {
    report
        .lines()
        .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
        .unwrap_or_else(|| panic!("no {name} in:\n{report}"))
}

fn sha256_of(path: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn check_prints_the_identity_of_a_module_that_passes() {
    let stats = built("stats");
    let out = run(&["module", "check", &stats], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);
    assert_eq!(field(&report, "name"), "stats");
    assert_eq!(field(&report, "version"), "1.0.0");
    assert_eq!(
        field(&report, "world"),
        "swapstream:analytics@0.2.0/analytics-module"
    );
    assert_eq!(field(&report, "sha256"), sha256_of(&stats));
    let size = std::fs::metadata(&stats).unwrap().len();
    assert_eq!(field(&report, "size"), format!("{size} bytes"));
    assert!(
        field(&report, "compile").ends_with("ms (compiled now)"),
        "{report}"
    );
    assert!(
        field(&report, "canary").starts_with("12 records -> 2 items, 2 rejected in "),
        "{report}"
    );
    assert!(
        field(&report, "canary").ends_with("(reference fixture)"),
        "{report}"
    );
}

#[test]
fn check_refuses_with_one_line_and_exit_1() {
    let misbehave = built("misbehave");
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "module",
                "check",
                &misbehave,
                "--module-config",
                "misbehave/mode=trap",
            ],
            "error: refused (canary_trap): refused on the canary batch (reference fixture): module misbehave@0.0.1#",
        ),
        (
            &["module", "check", &built("contract-v1")],
            "error: refused (contract_version): ",
        ),
        (
            &["module", "check", &fixture("msk-event.json")],
            "error: refused (not_wasm): ",
        ),
    ];
    for (args, starts_with) in cases {
        let out = run(args, None);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with(starts_with), "{err}");
    }
    let out = run(&["module", "check", &built("contract-v1")], None);
    assert!(
        stderr(&out).contains(
            "was built for swapstream:analytics@1.0.0, but this host speaks \
             swapstream:analytics@0.2.0 or 0.3.0 (incompatible version)"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_runs_a_custom_canary() {
    let out = run(
        &[
            "module",
            "check",
            "builtin:average",
            "--module-canary",
            &fixture("self-managed-kafka-event.json"),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let canary = field(&stdout(&out), "canary");
    assert!(
        canary.starts_with("8 records -> 2 items, 0 rejected"),
        "{canary}"
    );
    assert!(
        canary.ends_with("self-managed-kafka-event.json)"),
        "{canary}"
    );
}

#[test]
fn diff_shows_the_attributes_stats_adds_to_average() {
    let event = fixture("msk-event.json");
    let out = run(
        &[
            "module",
            "diff",
            "builtin:average",
            "builtin:stats",
            "--event",
            &event,
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("    + mean_temp: {\"N\":\"33.5\"}\n"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "items: 0 same, 2 changed, 0 only in OLD, 0 only in NEW; rejections: 2 same, 0 different\n"
        ),
        "{text}"
    );

    let strict = run(
        &[
            "module",
            "diff",
            "builtin:average",
            "builtin:stats",
            "--event",
            &event,
            "--expect-same",
        ],
        None,
    );
    assert_eq!(strict.status.code(), Some(1));
    assert_eq!(
        stderr(&strict),
        "error: the outputs differ (--expect-same)\n"
    );

    // The reference attributes are identical: only additions differ.
    let additive = run(
        &[
            "module",
            "diff",
            "builtin:average",
            "builtin:stats",
            "--event",
            &event,
            "--expect-same",
            "--ignore-added",
        ],
        None,
    );
    assert!(additive.status.success(), "{}", stdout(&additive));
    assert!(
        stdout(&additive).ends_with(
            "items: 2 same, 0 changed, 0 only in OLD, 0 only in NEW; rejections: 2 same, 0 different\n"
        ),
        "{}",
        stdout(&additive)
    );
}

#[test]
fn push_to_a_file_validates_publishes_and_prints_the_pin() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("live.wasm");
    let stats = built("stats");
    let out = run(&["module", "push", &stats, target.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);
    let sha = sha256_of(&stats);
    assert_eq!(
        field(&report, "pushed"),
        format!("file://{}", target.display())
    );
    assert_eq!(
        field(&report, "pin"),
        format!("SWAPSTREAM_MODULE_SHA256={sha}")
    );
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&stats).unwrap()
    );

    // A module a host would refuse is not published.
    let refused = run(
        &[
            "module",
            "push",
            &built("misbehave"),
            target.to_str().unwrap(),
            "--module-config",
            "misbehave/mode=loop",
            "--batch-timeout",
            "200ms",
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).starts_with("error: refused (canary_timeout): "));
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&stats).unwrap()
    );
}

#[test]
fn the_precompiled_cache_survives_a_restart_and_a_damaged_entry_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path();
    let stats = built("stats");
    let compiled = |out: &Output| {
        assert!(out.status.success(), "{}", stderr(out));
        field(&stdout(out), "compile")
    };
    assert!(compiled(&run(&["module", "check", &stats], Some(cache))).ends_with("(compiled now)"));
    // A new process: the compiled code comes from disk.
    assert!(
        compiled(&run(&["module", "check", &stats], Some(cache)))
            .ends_with("(from the precompiled cache)")
    );

    // Damage the entry: the host recompiles (and works) instead of crashing or trusting it.
    let entry = cache_entry(cache);
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&entry, &bytes).unwrap();
    assert!(compiled(&run(&["module", "check", &stats], Some(cache))).ends_with("(compiled now)"));
    assert!(
        compiled(&run(&["module", "check", &stats], Some(cache)))
            .ends_with("(from the precompiled cache)"),
        "rebuilt"
    );
}

#[test]
fn a_cache_entry_from_another_wasmtime_version_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path();
    let stats = built("stats");
    assert!(
        run(&["module", "check", &stats], Some(cache))
            .status
            .success()
    );
    // Rewrite the wasmtime version the entry records (its digest made valid again), as if an
    // older wasmtime had written it under this name. Precompiled code starts its engine section
    // with a format byte (0), the version's length and the version: wasmtime's major.
    let entry = cache_entry(cache);
    let bytes = std::fs::read(&entry).unwrap();
    let mut forged = bytes[32..].to_vec();
    let at = forged
        .windows(4)
        .position(|w| w[0] == 0 && w[1] == 2 && w[2].is_ascii_digit() && w[3].is_ascii_digit())
        .expect("the engine section's version record");
    let major: u32 = std::str::from_utf8(&forged[at + 2..at + 4])
        .unwrap()
        .parse()
        .unwrap();
    forged[at + 2..at + 4].copy_from_slice(format!("{:02}", major - 1).as_bytes());
    // The entry's MAC made valid again with the cache's own key: only the deserializer's
    // version check is left to catch it.
    let key: [u8; 32] = std::fs::read(cache.join("key"))
        .unwrap()
        .try_into()
        .unwrap();
    let contents = [blake3::keyed_hash(&key, &forged).as_bytes(), &forged[..]].concat();
    std::fs::write(&entry, contents).unwrap();

    let out = run(&["module", "check", &stats], Some(cache));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        field(&stdout(&out), "compile").ends_with("(compiled now)"),
        "{}",
        stdout(&out)
    );
}

fn cache_entry(cache: &Path) -> std::path::PathBuf {
    let entries: Vec<_> = std::fs::read_dir(cache.join("entries"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

#[test]
fn the_module_template_builds_and_passes_check() {
    let out = run(&["module", "check", &built("template")], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);
    assert_eq!(field(&report, "name"), "hottest");
    assert!(
        field(&report, "canary").starts_with("12 records -> 2 items, 2 rejected"),
        "{report}"
    );
    let configured = run(
        &[
            "module",
            "check",
            &built("template"),
            "--module-config",
            "hottest/unit=K",
        ],
        None,
    );
    assert_eq!(configured.status.code(), Some(1));
    assert!(
        stderr(&configured).starts_with("error: refused (canary_invalid_config): "),
        "{}",
        stderr(&configured)
    );
}
