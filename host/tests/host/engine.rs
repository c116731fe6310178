//! The engine: loading, limits, typed failures, and the precompiled cache.

use std::time::Duration;

use bytesize::ByteSize;
use swapstream_core::batch::Batch;
use swapstream_core::item::Output;
use swapstream_core::module::{Module, ModuleError};
use swapstream_core::retry::{Classify, Recovery};
use swapstream_core::store::ModuleBytes;
use swapstream_engine::{CompiledFrom, Engine, EngineConfig, Limits, LoadError, WasmModule};
use swapstream_lambda_event as event;

fn engine_with(limits: Limits, cache_dir: Option<std::path::PathBuf>) -> Engine {
    Engine::new(EngineConfig { limits, cache_dir }).unwrap()
}

fn built(name: &str) -> ModuleBytes {
    let path = swapstream::builtin::built_modules_dir().join(format!("{name}.wasm"));
    ModuleBytes::new(std::fs::read(path).unwrap())
}

fn misbehave(engine: &Engine) -> WasmModule {
    engine.load(&built("misbehave"), "misbehave.wasm").unwrap()
}

/// Runs `module` on `batch`, checking that the batch comes back unchanged.
fn run(
    module: &WasmModule,
    batch: Batch,
    config: &[(String, String)],
) -> Result<Output, ModuleError> {
    let ran = module.aggregate(batch.clone(), config);
    assert_eq!(ran.batch, batch, "the batch comes back unchanged");
    ran.output
}

fn mode(m: &str) -> Vec<(String, String)> {
    vec![("mode".to_owned(), m.to_owned())]
}

fn fixture_batch() -> Batch {
    let json = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/msk-event.json"
    ))
    .unwrap();
    event::decode(&json).unwrap().batch
}

/// After any failure, the same module must still work on the next batch.
fn assert_next_batch_works(module: &WasmModule) {
    let out = run(module, fixture_batch(), &[]).unwrap();
    assert_eq!(out.items.len(), 2, "the module works again after a failure");
}

#[test]
fn loads_the_builtin_average_module_with_its_identity() {
    let engine = engine_with(Limits::default(), None);
    let bytes = &ModuleBytes::new(swapstream::builtin::bytes("average").unwrap());
    let module = engine.load(bytes, "builtin:average").unwrap();
    let label = module.label();
    assert_eq!(
        (label.name.as_str(), label.version.as_str()),
        ("average", "1.0.0")
    );
    assert_eq!(label.sha256.len(), 64);
    assert_eq!(
        label.lineage(),
        format!("average@1.0.0#{}", &label.sha256[..12])
    );
    assert_eq!(module.compiled_from(), CompiledFrom::Source);
}

#[test]
fn a_trap_is_a_typed_error_naming_the_module_and_the_next_batch_works() {
    let engine = engine_with(Limits::default(), None);
    let m = misbehave(&engine);
    let err = run(&m, fixture_batch(), &mode("trap")).unwrap_err();
    let ModuleError::Trap { module, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(module.name_version(), "misbehave@0.0.1");
    assert!(
        message.contains("misbehave: asked to trap"),
        "panic message kept: {message}"
    );
    assert!(
        err.to_string().starts_with("module misbehave@0.0.1#"),
        "{err}"
    );
    assert_eq!(err.recovery(), Recovery::Permanent);
    let out = run(&m, fixture_batch(), &[]).unwrap();
    assert_eq!(out.items.len(), 2);
}

#[test]
fn an_endless_loop_hits_the_time_budget() {
    let limits = Limits {
        time: Duration::from_millis(200),
        ..Limits::default()
    };
    let engine = engine_with(limits, None);
    let m = misbehave(&engine);
    let started = std::time::Instant::now();
    let err = run(&m, Batch::default(), &mode("loop")).unwrap_err();
    assert!(
        matches!(err, ModuleError::Timeout { budget, .. } if budget == Duration::from_millis(200)),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "interrupted promptly: {:?}",
        started.elapsed()
    );
    assert_eq!(err.recovery(), Recovery::Transient);
}

#[test]
fn a_memory_bomb_hits_the_memory_limit() {
    let limits = Limits {
        memory: ByteSize::mib(16),
        ..Limits::default()
    };
    let engine = engine_with(limits, None);
    let m = misbehave(&engine);
    let err = run(&m, Batch::default(), &mode("memory")).unwrap_err();
    let ModuleError::MemoryLimit {
        requested, limit, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(limit, 16 << 20);
    assert!(requested > limit);
    assert_next_batch_works(&m);
}

#[test]
fn deep_recursion_hits_the_stack_limit() {
    let engine = engine_with(Limits::default(), None);
    let m = misbehave(&engine);
    let err = run(&m, Batch::default(), &mode("recursion")).unwrap_err();
    assert!(
        matches!(err, ModuleError::StackOverflow { limit, .. } if limit == 1 << 20),
        "{err:?}"
    );
    assert_next_batch_works(&m);
}

#[test]
fn output_beyond_the_limit_is_refused() {
    let limits = Limits {
        memory: ByteSize::mib(256),
        output: ByteSize::mib(8),
        ..Limits::default()
    };
    let engine = engine_with(limits, None);
    let m = misbehave(&engine);
    let err = run(&m, Batch::default(), &mode("huge-output")).unwrap_err();
    let ModuleError::OutputTooLarge { limit, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(limit, 8 << 20);
    assert_next_batch_works(&m);
}

#[test]
fn output_amplification_is_stopped_at_the_limit_while_it_is_copied() {
    // 4,096 attributes pointing at one 1 MiB string: 1 MiB in the module, 4 GiB if the host
    // copied each. The copy stops at the output limit, whatever the default, with a typed
    // error, and the next batch runs normally.
    let engine = engine_with(Limits::default(), None);
    let m = misbehave(&engine);
    let err = run(&m, Batch::default(), &mode("amplify")).unwrap_err();
    assert!(
        matches!(err, ModuleError::OutputTooLarge { limit, .. } if limit == 32 << 20),
        "{err:?}"
    );
    assert_next_batch_works(&m);
}

#[test]
fn an_8_mib_log_line_is_cut_and_the_batch_is_written() {
    let engine = engine_with(Limits::default(), None);
    let m = misbehave(&engine);
    let out = run(&m, fixture_batch(), &mode("log-bomb")).unwrap();
    assert_eq!(out.items.len(), 2);
}

#[test]
fn a_log_line_beyond_the_output_limit_is_not_copied_into_the_host() {
    let engine = engine_with(
        Limits {
            output: ByteSize::mib(4),
            ..Limits::default()
        },
        None,
    );
    let m = misbehave(&engine);
    let err = run(&m, fixture_batch(), &mode("log-bomb")).unwrap_err();
    assert!(
        matches!(err, ModuleError::OutputTooLarge { limit, .. } if limit == 4 << 20),
        "{err:?}"
    );
    assert_next_batch_works(&m);
}

#[test]
fn a_log_flood_is_capped_and_does_not_fail_the_batch() {
    let engine = engine_with(
        Limits {
            log_lines: 10,
            ..Limits::default()
        },
        None,
    );
    let m = misbehave(&engine);
    let out = run(&m, fixture_batch(), &mode("log-flood")).unwrap();
    assert_eq!(out.items.len(), 2);
}

fn config(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn failed_message(err: ModuleError) -> String {
    match err {
        ModuleError::Failed { message, .. } => message,
        other => panic!("expected the module's own failure, got {other:?}"),
    }
}

#[test]
fn a_module_that_sleeps_an_hour_returns_at_once_because_no_time_passes_inside() {
    let engine = engine_with(Limits::default(), None);
    let m = misbehave(&engine);
    let started = std::time::Instant::now();
    let out = run(&m, fixture_batch(), &mode("sleep")).unwrap();
    assert_eq!(out.items.len(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a sleep must not block the host: {:?}",
        started.elapsed()
    );
}

#[test]
fn a_module_waiting_for_its_clock_to_move_hits_the_time_budget() {
    let limits = Limits {
        time: Duration::from_millis(200),
        ..Limits::default()
    };
    let engine = engine_with(limits, None);
    let m = misbehave(&engine);
    let err = run(&m, Batch::default(), &mode("clock-spin")).unwrap_err();
    assert!(matches!(err, ModuleError::Timeout { .. }), "{err:?}");
    assert_next_batch_works(&m);
}

#[test]
fn a_module_cannot_open_a_tcp_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let engine = engine_with(Limits::default(), None);
    let m = misbehave(&engine);
    let err = run(
        &m,
        Batch::default(),
        &config(&[("mode", "connect"), ("port", &port)]),
    )
    .unwrap_err();
    let message = failed_message(err);
    assert!(
        message.starts_with("misbehave: connect failed: "),
        "{message}"
    );
    assert_eq!(
        listener.accept().unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "nothing connected"
    );
}

#[test]
fn a_module_cannot_read_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "secret").unwrap();
    let engine = engine_with(Limits::default(), None);
    let m = misbehave(&engine);
    let err = run(
        &m,
        Batch::default(),
        &config(&[("mode", "read-file"), ("path", secret.to_str().unwrap())]),
    )
    .unwrap_err();
    let message = failed_message(err);
    assert!(message.starts_with("misbehave: read failed: "), "{message}");
}

#[test]
fn a_module_flooding_stdout_and_stderr_is_capped_and_its_batch_succeeds() {
    let engine = engine_with(Limits::default(), None);
    let m = misbehave(&engine);
    let out = run(&m, fixture_batch(), &mode("stdio-flood")).unwrap();
    assert_eq!(out.items.len(), 2);
}

#[test]
fn module_reported_failures_keep_their_kind() {
    let engine = engine_with(Limits::default(), None);
    let m = misbehave(&engine);
    let err = run(&m, Batch::default(), &mode("fail")).unwrap_err();
    assert!(
        matches!(&err, ModuleError::Failed { message, .. } if message == "misbehave: asked to fail"),
        "{err:?}"
    );
    let err = run(&m, Batch::default(), &mode("nonsense")).unwrap_err();
    assert!(
        matches!(&err, ModuleError::InvalidConfig { message, .. } if message == "unknown mode `nonsense`"),
        "{err:?}"
    );
}

#[test]
fn one_engine_runs_modules_of_contracts_0_2_and_0_3_side_by_side_with_the_same_types() {
    let engine = engine_with(Limits::default(), None);
    let average = engine.load(&built("average"), "average.wasm").unwrap();
    let next = engine
        .load(&built("contract-next"), "contract-next.wasm")
        .unwrap();
    assert_eq!(average.contract(), "swapstream:analytics@0.2.0");
    assert_eq!(next.contract(), "swapstream:analytics@0.3.0");
    assert_eq!(
        next.label().name_version(),
        "contract-next@0.3.0",
        "info() answers through the 0.3 bindings"
    );
    // The same core batch goes into both and the same core item type comes out.
    let averaged = run(&average, fixture_batch(), &[]).unwrap();
    let counted = run(&next, fixture_batch(), &[]).unwrap();
    assert_eq!(averaged.items.len(), 2);
    let counts: Vec<String> = counted
        .items
        .iter()
        .map(|i| swapstream_core::item::dynamodb_json(i).to_string())
        .collect();
    assert_eq!(
        counts,
        vec![
            r#"{"partition":{"N":"0"},"records":{"N":"7"}}"#,
            r#"{"partition":{"N":"1"},"records":{"N":"5"}}"#
        ]
    );
    // 0.3's added function is reachable; a 0.2 module simply has none of it.
    assert_eq!(
        next.describe().unwrap(),
        vec![(
            "summary".to_owned(),
            "records per partition (contract 0.3 test module)".to_owned()
        )]
    );
    assert_eq!(average.describe().unwrap(), Vec::new());
}

#[test]
fn refuses_bytes_that_are_not_a_component_with_a_clear_reason() {
    let engine = engine_with(Limits::default(), None);
    let err = |bytes: &[u8]| engine.load(&ModuleBytes::new(bytes), "m.wasm").unwrap_err();
    assert!(matches!(err(b"hello"), LoadError::NotWasm { .. }));
    assert_eq!(
        err(b"\0asm\x01\0\0\0").to_string(),
        "m.wasm is a core WebAssembly module, not a component: build it for the wasm32-wasip2 \
         target (or wrap it with `wasm-tools component new`)"
    );
    // An empty component: valid, but it exports nothing of the contract.
    let e = err(b"\0asm\x0d\0\x01\0");
    assert!(matches!(e, LoadError::WrongWorld { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("m.wasm does not fit the swapstream:analytics@0.2.0 or 0.3.0 contract"),
        "{e}"
    );
}

#[test]
fn the_precompiled_cache_is_used_on_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = &ModuleBytes::new(swapstream::builtin::bytes("average").unwrap());
    let first = engine_with(Limits::default(), Some(dir.path().into()));
    assert_eq!(
        first.load(bytes, "a").unwrap().compiled_from(),
        CompiledFrom::Source
    );
    // A new engine, as after a restart.
    let second = engine_with(Limits::default(), Some(dir.path().into()));
    let module = second.load(bytes, "a").unwrap();
    assert_eq!(module.compiled_from(), CompiledFrom::Cache);
    assert_eq!(run(&module, fixture_batch(), &[]).unwrap().items.len(), 2);
}

#[test]
fn a_corrupted_cache_entry_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = &ModuleBytes::new(swapstream::builtin::bytes("average").unwrap());
    let engine = engine_with(Limits::default(), Some(dir.path().into()));
    let module = engine.load(bytes, "a").unwrap();
    let path = engine.cache().unwrap().path_for(&module.label().sha256);
    let mut entry = std::fs::read(&path).unwrap();
    let middle = entry.len() / 2;
    entry[middle] ^= 0xff;
    std::fs::write(&path, &entry).unwrap();

    let restarted = engine_with(Limits::default(), Some(dir.path().into()));
    let module = restarted.load(bytes, "a").unwrap();
    assert_eq!(module.compiled_from(), CompiledFrom::Source);
    assert_eq!(run(&module, fixture_batch(), &[]).unwrap().items.len(), 2);
    // …and the rebuilt entry is good again.
    let again = engine_with(Limits::default(), Some(dir.path().into()));
    assert_eq!(
        again.load(bytes, "a").unwrap().compiled_from(),
        CompiledFrom::Cache
    );
}

#[test]
fn a_cache_entry_from_another_engine_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = &ModuleBytes::new(swapstream::builtin::bytes("average").unwrap());
    let engine = engine_with(Limits::default(), Some(dir.path().into()));
    let sha = engine.load(bytes, "a").unwrap().label().sha256.clone();
    // Code precompiled by an engine with other settings, under this engine's file name and
    // with a valid digest: only the deserializer's own checks can tell.
    let mut other = wasmtime::Config::new();
    other.epoch_interruption(false);
    let foreign = wasmtime::Engine::new(&other)
        .unwrap()
        .precompile_component(bytes.bytes())
        .unwrap();
    let entry = engine.cache().unwrap().entry_contents(&foreign);
    std::fs::write(engine.cache().unwrap().path_for(&sha), entry).unwrap();

    let restarted = engine_with(Limits::default(), Some(dir.path().into()));
    assert_eq!(
        restarted.load(bytes, "a").unwrap().compiled_from(),
        CompiledFrom::Source
    );
}

#[test]
fn a_forged_cache_entry_is_recompiled_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let average = ModuleBytes::new(swapstream::builtin::bytes("average").unwrap());
    let stats = ModuleBytes::new(swapstream::builtin::bytes("stats").unwrap());
    let engine = engine_with(Limits::default(), Some(dir.path().into()));
    // `stats`'s real precompiled entry, taken from the cache…
    let stats_entry = {
        engine.load(&stats, "stats").unwrap();
        std::fs::read(engine.cache().unwrap().path_for(stats.sha256())).unwrap()
    };
    let stats_code = &stats_entry[32..];
    // …put under `average`'s name with the digest anyone can compute (BLAKE3 of the code, as
    // entries once carried), and with a MAC under a key of the forger's own.
    let average_path = engine.cache().unwrap().path_for(average.sha256());
    for forged_mac in [
        *blake3::hash(stats_code).as_bytes(),
        *blake3::keyed_hash(&[7; 32], stats_code).as_bytes(),
    ] {
        std::fs::write(&average_path, [&forged_mac[..], stats_code].concat()).unwrap();
        let restarted = engine_with(Limits::default(), Some(dir.path().into()));
        let module = restarted.load(&average, "average").unwrap();
        assert_eq!(module.compiled_from(), CompiledFrom::Source);
        assert_eq!(
            module.label().name,
            "average",
            "the forged code did not run"
        );
    }
}

#[test]
fn a_cache_entry_reached_through_a_symlink_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let average = ModuleBytes::new(swapstream::builtin::bytes("average").unwrap());
    let engine = engine_with(Limits::default(), Some(dir.path().into()));
    engine.load(&average, "average").unwrap();
    let path = engine.cache().unwrap().path_for(average.sha256());
    // A valid entry moved elsewhere, with a symlink in its place.
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("entry");
    std::fs::rename(&path, &target).unwrap();
    std::os::unix::fs::symlink(&target, &path).unwrap();

    let restarted = engine_with(Limits::default(), Some(dir.path().into()));
    assert_eq!(
        restarted.load(&average, "average").unwrap().compiled_from(),
        CompiledFrom::Source
    );
}

#[test]
fn the_cache_directory_is_made_private_and_its_entries_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let average = ModuleBytes::new(swapstream::builtin::bytes("average").unwrap());
    let engine = engine_with(Limits::default(), Some(cache.clone()));
    engine.load(&average, "average").unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&cache), 0o700);
    assert_eq!(mode(&cache.join("key")), 0o600);
    assert_eq!(
        mode(&engine.cache().unwrap().path_for(average.sha256())),
        0o600
    );
}

#[test]
fn a_cache_path_that_is_not_a_directory_turns_the_cache_off() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let engine = engine_with(Limits::default(), Some(file));
    assert!(engine.cache().is_none());
    let average = ModuleBytes::new(swapstream::builtin::bytes("average").unwrap());
    assert_eq!(
        engine.load(&average, "average").unwrap().compiled_from(),
        CompiledFrom::Source
    );
}
