//! Hot swap in process: a file module store, the validator, the reloader and the pipeline.
//! (The same against S3 and the real binary in Lambda mode is in `tests/e2e/hotswap.rs`.)

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytesize::ByteSize;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use swapstream::hotswap::{Canary, CheckOutcome, Reloader, StartError, SwapSource, Validator};
use swapstream_core::item::{Item, Value};
use swapstream_core::module::Module;
use swapstream_core::pipeline::{Pipeline, PipelineSettings};
use swapstream_core::sink::{DeadLetter, DeadLetterSink, ItemSink, SinkError, WriteStats};
use swapstream_core::store::{
    FileStore, ModuleBytes, ModuleLocation, ModuleStore, Sha256Hex, sha256_hex,
};
use swapstream_engine::{CompiledFrom, Engine, EngineConfig, Limits, WasmModule};
use swapstream_lambda_event as event;

fn built(name: &str) -> Vec<u8> {
    std::fs::read(swapstream::builtin::built_modules_dir().join(format!("{name}.wasm"))).unwrap()
}

fn average() -> Vec<u8> {
    swapstream::builtin::bytes("average").unwrap().to_vec()
}

fn stats() -> Vec<u8> {
    swapstream::builtin::bytes("stats").unwrap().to_vec()
}

type TestPipeline = Pipeline<WasmModule, Capture, Capture>;

/// Publishes like an operator would: write aside, rename over (a new inode every time).
fn publish(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("publishing");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Limits roomy enough for the 100 MB-output module to reach the output limit (not the memory
/// limit first), and a short time budget so the endless loop is refused quickly.
fn engine() -> Engine {
    Engine::new(EngineConfig {
        limits: Limits {
            memory: ByteSize::mib(256),
            time: Duration::from_millis(500),
            ..Limits::default()
        },
        cache_dir: None,
    })
    .unwrap()
}

fn validator(engine: &Engine, config: &[(&str, &str)], pin: Option<&[u8]>) -> Validator {
    Validator::new(
        engine.clone(),
        Arc::new(Canary::load(None).unwrap()),
        config
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        pin.map(|bytes| Sha256Hex(sha256_hex(bytes))),
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    reloader: Arc<Reloader<FileStore>>,
}

async fn start_with(
    initial: &[u8],
    config: &[(&str, &str)],
    pin: Option<&[u8]>,
    interval: Option<Duration>,
) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("module.wasm");
    publish(&path, initial);
    let reloader = Reloader::start(
        FileStore::new(path.clone()),
        validator(&engine(), config, pin),
        interval,
    )
    .await
    .unwrap();
    Fixture {
        _dir: dir,
        path,
        reloader: Arc::new(reloader),
    }
}

/// Collects what the pipeline writes.
#[derive(Default, Clone)]
struct Capture {
    items: Arc<Mutex<Vec<Item>>>,
}

impl ItemSink for Capture {
    async fn write(&self, items: Vec<Item>) -> Result<WriteStats, SinkError> {
        let n = items.len();
        self.items.lock().unwrap().extend(items);
        Ok(WriteStats {
            written: n,
            ..WriteStats::default()
        })
    }
}

impl DeadLetterSink for Capture {
    async fn write(&self, letters: Vec<DeadLetter>) -> Result<WriteStats, SinkError> {
        Ok(WriteStats {
            written: letters.len(),
            ..WriteStats::default()
        })
    }
}

fn pipeline(reloader: &Reloader<FileStore>, config: &[(&str, &str)]) -> (TestPipeline, Capture) {
    let capture = Capture::default();
    let pipeline = Pipeline::new(
        reloader.registry().clone(),
        capture.clone(),
        capture.clone(),
        PipelineSettings {
            module_config: config
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..PipelineSettings::default()
        },
    );
    (pipeline, capture)
}

/// Runs the fixture batch through the pipeline; returns the lineage of each item it wrote.
async fn batch_lineages(pipeline: &TestPipeline, capture: &Capture) -> Vec<String> {
    let json = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/msk-event.json"
    ))
    .unwrap();
    let event = event::decode(&json).unwrap();
    capture.items.lock().unwrap().clear();
    let report = pipeline.process(event.into_delivery()).await.unwrap();
    assert_eq!(report.items, 2);
    let items = capture.items.lock().unwrap();
    items.iter().map(|i| attribute(i, "module")).collect()
}

fn attribute(item: &Item, name: &str) -> String {
    item.attributes
        .iter()
        .find(|a| a.name == name)
        .map(|a| match &a.value {
            Value::S(s) | Value::N(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .unwrap_or_default()
}

fn label_of(bytes: &[u8]) -> String {
    let module = engine().load(&ModuleBytes::new(bytes), "m").unwrap();
    module.label().lineage()
}

/// One global recorder for the binary: counters only grow, so tests assert on labels only
/// they produce.
fn metrics() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().unwrap();
        snapshotter
    })
}

fn counter(name: &str, label: (&str, &str)) -> u64 {
    metrics()
        .snapshot()
        .into_vec()
        .into_iter()
        .filter(|(key, _, _, _)| {
            key.key().name() == name
                && key
                    .key()
                    .labels()
                    .any(|l| l.key() == label.0 && l.value() == label.1)
        })
        .map(|(_, _, _, value)| match value {
            DebugValue::Counter(n) => n,
            _ => 0,
        })
        .sum()
}

fn swapped(outcome: CheckOutcome) -> swapstream::hotswap::Swap {
    match outcome {
        CheckOutcome::Swapped(swap) => swap,
        other => panic!("expected a swap, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_published_version_goes_live_on_the_next_check_and_the_next_batch_runs_it() {
    metrics();
    let f = start_with(&average(), &[], None, None).await;
    let (pipeline, capture) = pipeline(&f.reloader, &[]);
    let (avg, sta) = (label_of(&average()), label_of(&stats()));
    assert_eq!(
        batch_lineages(&pipeline, &capture).await,
        [avg.as_str(), avg.as_str()]
    );
    assert!(matches!(
        f.reloader.check_now().await,
        CheckOutcome::Unchanged
    ));

    publish(&f.path, &stats());
    let swap = swapped(f.reloader.check_now().await);
    assert_eq!(
        (swap.from.lineage(), swap.to.lineage()),
        (avg.clone(), sta.clone())
    );
    assert_eq!(swap.source, SwapSource::Compiled);
    assert_eq!(
        batch_lineages(&pipeline, &capture).await,
        [sta.as_str(), sta.as_str()]
    );
    assert!(counter("swapstream_module_swaps_total", ("source", "compiled")) >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_module_of_contract_0_3_replaces_a_0_2_module_and_back_in_a_running_host() {
    let f = start_with(&average(), &[], None, None).await;
    let (pipeline, capture) = pipeline(&f.reloader, &[]);
    let next = label_of(&built("contract-next"));
    publish(&f.path, &built("contract-next"));
    let swap = swapped(f.reloader.check_now().await);
    assert_eq!(swap.to.lineage(), next);
    assert_eq!(
        f.reloader.registry().current().contract(),
        "swapstream:analytics@0.3.0"
    );
    // The next batch runs on the 0.3 module: one item per partition, with its lineage.
    let json = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/msk-event.json"
    ))
    .unwrap();
    capture.items.lock().unwrap().clear();
    let report = pipeline
        .process(event::decode(&json).unwrap().into_delivery())
        .await
        .unwrap();
    assert_eq!((report.records, report.items), (12, 2));
    assert_eq!(
        capture
            .items
            .lock()
            .unwrap()
            .iter()
            .map(|i| (attribute(i, "records"), attribute(i, "module")))
            .collect::<Vec<_>>(),
        vec![
            ("7".to_owned(), next.clone()),
            ("5".to_owned(), next.clone())
        ]
    );
    // …and back to the 0.2 module, from memory.
    publish(&f.path, &average());
    let back = swapped(f.reloader.check_now().await);
    assert_eq!(back.source, SwapSource::Memory);
    assert_eq!(
        f.reloader.registry().current().contract(),
        "swapstream:analytics@0.2.0"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn publishing_the_old_module_again_rolls_back_from_memory_without_compiling() {
    let f = start_with(&average(), &[], None, None).await;
    publish(&f.path, &stats());
    swapped(f.reloader.check_now().await);
    assert_eq!(f.reloader.recent_versions().await, [sha256_hex(&average())]);

    publish(&f.path, &average());
    let back = swapped(f.reloader.check_now().await);
    assert_eq!(back.source, SwapSource::Memory);
    assert_eq!(back.to.lineage(), label_of(&average()));
    assert!(
        back.took < Duration::from_millis(50),
        "no compile, no canary: {:?}",
        back.took
    );
    // …and forward again, the same way.
    publish(&f.path, &stats());
    assert_eq!(
        swapped(f.reloader.check_now().await).source,
        SwapSource::Memory
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_in_flight_finishes_on_the_version_it_started_with() {
    let f = start_with(&average(), &[], None, None).await;
    // What `Pipeline::process` does at the start of a batch.
    let in_flight = f.reloader.registry().current();
    publish(&f.path, &stats());
    swapped(f.reloader.check_now().await);
    let batch = event::decode(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/msk-event.json"
        ))
        .unwrap(),
    )
    .unwrap()
    .batch;
    let output = in_flight.aggregate(batch, &[]).output.unwrap();
    assert_eq!(in_flight.label().name, "average");
    assert!(
        output
            .items
            .iter()
            .all(|i| attribute(i, "mean_temp").is_empty()),
        "average's items, not stats'"
    );
    assert_eq!(f.reloader.registry().current().label().name, "stats");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_content_published_again_is_not_a_swap() {
    let f = start_with(&average(), &[], None, None).await;
    publish(&f.path, &average());
    assert!(matches!(
        f.reloader.check_now().await,
        CheckOutcome::SameContent
    ));
    assert!(matches!(
        f.reloader.check_now().await,
        CheckOutcome::Unchanged
    ));
}

/// Every kind of bad version: refused with its reason, counted, the running version keeps
/// processing, and the refused revision is not fetched again until something new is published.
#[tokio::test(flavor = "multi_thread")]
async fn each_bad_version_is_refused_and_the_running_version_keeps_processing() {
    // Scoped keys reach only `misbehave`: `average`, which refuses any key, gets none.
    let modes = ["trap", "loop", "memory", "recursion", "huge-output"];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not wasm", b"definitely not wasm".to_vec(), "not_wasm"),
        ("a core module", b"\0asm\x01\0\0\0".to_vec(), "core_module"),
        (
            "a component of another world",
            b"\0asm\x0d\0\x01\0".to_vec(),
            "wrong_world",
        ),
        ("contract 1.0.0", built("contract-v1"), "contract_version"),
    ];
    for (what, bytes, reason) in cases {
        let f = start_with(&average(), &[], None, None).await;
        let (pipeline, capture) = pipeline(&f.reloader, &[]);
        assert_refused(&f, &pipeline, &capture, what, &bytes, reason).await;
    }
    for mode in modes {
        let config = [("misbehave/mode", mode)];
        let f = start_with(&average(), &config, None, None).await;
        let (pipeline, capture) = pipeline(&f.reloader, &config);
        let reason = match mode {
            "trap" => "canary_trap",
            "loop" => "canary_timeout",
            "memory" => "canary_memory",
            "recursion" => "canary_stack",
            _ => "canary_output_too_large",
        };
        assert_refused(&f, &pipeline, &capture, mode, &built("misbehave"), reason).await;
    }
}

async fn assert_refused(
    f: &Fixture,
    pipeline: &TestPipeline,
    capture: &Capture,
    what: &str,
    bytes: &[u8],
    reason: &str,
) {
    let before = counter("swapstream_module_refused_total", ("reason", reason));
    publish(&f.path, bytes);
    let started = Instant::now();
    match f.reloader.check_now().await {
        CheckOutcome::Refused(refusal) => {
            assert_eq!(refusal.reason(), reason, "{what}: {refusal}");
        }
        other => panic!("{what}: expected a refusal, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{what}: refused promptly"
    );
    assert_eq!(
        counter("swapstream_module_refused_total", ("reason", reason)),
        before + 1,
        "{what}: counted"
    );
    let avg = label_of(&average());
    assert_eq!(
        batch_lineages(pipeline, capture).await,
        [avg.as_str(), avg.as_str()],
        "{what}: still processing on the old version"
    );
    assert!(
        matches!(f.reloader.check_now().await, CheckOutcome::Unchanged),
        "{what}: refused once, not re-fetched on every poll"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_whose_sha256_differs_from_the_pin_is_refused() {
    let f = start_with(&average(), &[], Some(&average()), None).await;
    publish(&f.path, &stats());
    match f.reloader.check_now().await {
        CheckOutcome::Refused(refusal) => {
            assert_eq!(refusal.reason(), "sha256_mismatch");
            assert!(
                refusal
                    .to_string()
                    .contains(&format!("but {} is pinned", sha256_hex(&average()))),
                "{refusal}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f.reloader.registry().current().label().name, "average");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_module_refused_at_start_up_is_a_start_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wasm");
    publish(&path, &built("misbehave"));
    let err = Reloader::start(
        FileStore::new(path),
        validator(&engine(), &[("misbehave/mode", "trap")], None),
        None,
    )
    .await
    .err()
    .unwrap();
    let StartError::Refused(refusal) = err else {
        panic!("{err}")
    };
    assert_eq!(refusal.reason(), "canary_trap");
    assert!(
        refusal.to_string().starts_with(
            "refused on the canary batch (reference fixture): module misbehave@0.0.1#"
        ),
        "{refusal}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vanished_module_leaves_the_running_version_and_is_retried() {
    let f = start_with(&average(), &[], None, None).await;
    std::fs::remove_file(&f.path).unwrap();
    assert!(matches!(
        f.reloader.check_now().await,
        CheckOutcome::Unavailable(_)
    ));
    assert_eq!(f.reloader.registry().current().label().name, "average");
    publish(&f.path, &stats());
    swapped(f.reloader.check_now().await);
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_style_checks_run_at_most_once_per_interval() {
    // Long enough that a loaded machine still checks "right after start-up" within it.
    let interval = Duration::from_secs(2);
    let f = start_with(&average(), &[], None, Some(interval)).await;
    publish(&f.path, &stats());
    assert!(
        f.reloader.check_if_due().await.is_none(),
        "not due right after start-up"
    );
    tokio::time::sleep(interval + Duration::from_millis(50)).await;
    swapped(f.reloader.check_if_due().await.unwrap());
    assert!(f.reloader.check_if_due().await.is_none(), "just checked");

    let off = start_with(&average(), &[], None, None).await;
    assert!(off.reloader.check_if_due().await.is_none(), "checking off");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_background_watcher_swaps_within_the_poll_interval() {
    let f = start_with(&average(), &[], None, Some(Duration::from_millis(100))).await;
    let watcher = f.reloader.spawn();
    assert!(watcher.is_polling());
    publish(&f.path, &stats());
    let published = Instant::now();
    while f.reloader.registry().current().label().name != "stats" {
        assert!(
            published.elapsed() < Duration::from_secs(10),
            "not swapped within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    watcher.stop().await;
    // Stopped: nothing changes any more.
    publish(&f.path, &average());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(f.reloader.registry().current().label().name, "stats");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_builtin_module_is_never_polled() {
    let store = swapstream::stores::AnyStore::open(&ModuleLocation::Builtin("average".into()))
        .await
        .unwrap();
    assert!(!store.can_change());
    let reloader = Arc::new(
        Reloader::start(
            store,
            validator(&engine(), &[], None),
            Some(Duration::from_millis(10)),
        )
        .await
        .unwrap(),
    );
    assert!(!reloader.spawn().is_polling());
}

/// The precompiled cache across restarts of a host that swaps: a version compiled once is
/// loaded from disk by the next process — at start-up and when swapped to — and an entry that
/// is damaged or was written by an engine with other settings is rebuilt, not trusted.
#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_host_swaps_from_the_precompiled_cache_and_rebuilds_bad_entries() {
    let cache = tempfile::tempdir().unwrap();
    let cached_engine = || {
        Engine::new(EngineConfig {
            limits: Limits::default(),
            cache_dir: Some(cache.path().into()),
        })
        .unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("module.wasm");
    // A new process: a new engine and a new reloader over the same cache directory.
    let restart = || async {
        Reloader::start(
            FileStore::new(path.clone()),
            validator(&cached_engine(), &[], None),
            None,
        )
        .await
        .unwrap()
    };
    let live_from = |r: &Reloader<FileStore>| r.registry().current().compiled_from();

    publish(&path, &average());
    let first = restart().await;
    assert_eq!(live_from(&first), CompiledFrom::Source);
    publish(&path, &stats());
    assert_eq!(
        swapped(first.check_now().await).source,
        SwapSource::Compiled
    );
    drop(first);

    let second = restart().await;
    assert_eq!(live_from(&second), CompiledFrom::Cache, "stats, from disk");
    publish(&path, &average());
    assert_eq!(
        swapped(second.check_now().await).source,
        SwapSource::PrecompiledCache,
        "not in this process's memory, but on disk"
    );
    drop(second);

    // Damage stats' entry: the next swap to stats compiles (and the batch runs) instead of
    // failing or loading it; the rebuilt entry serves the restart after.
    let stats_entry = cached_engine()
        .cache()
        .unwrap()
        .path_for(&sha256_hex(&stats()));
    let mut entry = std::fs::read(&stats_entry).unwrap();
    let middle = entry.len() / 2;
    entry[middle] ^= 0xff;
    std::fs::write(&stats_entry, &entry).unwrap();
    let third = restart().await;
    assert_eq!(
        live_from(&third),
        CompiledFrom::Cache,
        "average's entry is fine"
    );
    let (pipeline3, capture3) = pipeline(&third, &[]);
    publish(&path, &stats());
    assert_eq!(
        swapped(third.check_now().await).source,
        SwapSource::Compiled
    );
    let sta = label_of(&stats());
    assert_eq!(
        batch_lineages(&pipeline3, &capture3).await,
        [sta.as_str(), sta.as_str()]
    );
    drop((pipeline3, third));
    assert_eq!(live_from(&restart().await), CompiledFrom::Cache, "rebuilt");

    // Code precompiled by an engine with other settings, under this engine's name and with a
    // valid digest (a foreign entry): only the deserializer's own check can tell, and it does.
    let average_entry = cached_engine()
        .cache()
        .unwrap()
        .path_for(&sha256_hex(&average()));
    let mut other = wasmtime::Config::new();
    other.epoch_interruption(false);
    let foreign = wasmtime::Engine::new(&other)
        .unwrap()
        .precompile_component(&average())
        .unwrap();
    let forged = cached_engine().cache().unwrap().entry_contents(&foreign);
    std::fs::write(&average_entry, forged).unwrap();
    let fourth = restart().await;
    publish(&path, &average());
    assert_eq!(
        swapped(fourth.check_now().await).source,
        SwapSource::Compiled
    );
    drop(fourth);
    publish(&path, &average());
    assert_eq!(live_from(&restart().await), CompiledFrom::Cache, "rebuilt");
}

/// Records what the pipeline writes, per record: the lineage each item and dead letter carries.
#[derive(Default, Clone)]
struct Ledger {
    /// (device_id, lineage) of every item written.
    items: Arc<Mutex<Vec<(i64, String)>>>,
    /// (offset, lineage) of every dead letter written.
    letters: Arc<Mutex<Vec<(i64, String)>>>,
}

impl ItemSink for Ledger {
    async fn write(&self, items: Vec<Item>) -> Result<WriteStats, SinkError> {
        let n = items.len();
        self.items.lock().unwrap().extend(items.iter().map(|i| {
            (
                attribute(i, "device_id").parse().unwrap(),
                attribute(i, "module"),
            )
        }));
        Ok(WriteStats {
            written: n,
            ..WriteStats::default()
        })
    }
}

impl DeadLetterSink for Ledger {
    async fn write(&self, letters: Vec<DeadLetter>) -> Result<WriteStats, SinkError> {
        let n = letters.len();
        self.letters.lock().unwrap().extend(
            letters
                .into_iter()
                .map(|l| (l.coordinates.offset, l.module.unwrap_or_default())),
        );
        Ok(WriteStats {
            written: n,
            ..WriteStats::default()
        })
    }
}

/// Records per batch in the load test, plus one that does not parse.
const LOAD_RECORDS: i64 = 100;

/// Batch `k`: readings of devices `k*1000+1 ..= k*1000+100` (one item each), then one record
/// that is not JSON (one dead letter), at offsets `k*1000 ..= k*1000+100`.
fn load_batch(k: i64) -> swapstream_core::batch::Batch {
    use swapstream_core::batch::{BatchBuilder, RecordRef};
    let mut b = BatchBuilder::new();
    let partition = i32::try_from(k % 4).unwrap();
    for i in 0..=LOAD_RECORDS {
        let value = if i == LOAD_RECORDS {
            "not json".to_owned()
        } else {
            format!(
                r#"{{"device_id": {}, "timestamp": "2026-11-25T12:00:{:02}", "temperature": {}}}"#,
                k * 1000 + i + 1,
                i % 60,
                20 + i % 7
            )
        };
        b.push(
            "sensors",
            partition,
            RecordRef {
                offset: k * 1000 + i,
                timestamp_ms: 1_764_072_000_000 + k,
                key: None,
                value: Some(value.as_bytes()),
            },
            [],
        )
        .unwrap();
    }
    b.build()
}

/// One batch as the load test saw it.
struct Ran {
    k: i64,
    started: Instant,
    ended: Instant,
    lineage: String,
}

/// Service mode's hot swap in process, started with the one call service mode makes
/// (`startup::start_hot_swap`, background polling): two workers run batches back to back
/// (as `--max-in-flight` does) while `average` → `stats` → `average` is published. No record is
/// lost, no batch mixes versions (its items and dead letters all carry the version it
/// reported), and each version goes live within the poll interval (plus its validation) and
/// runs from the next batch on.
#[tokio::test(flavor = "multi_thread")]
async fn under_continuous_load_average_stats_average_swap_without_loss_or_mixed_batches() {
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
    use swapstream::settings::{CanaryArgs, EngineArgs, HotSwapArgs, ModuleArgs};

    const POLL: Duration = Duration::from_millis(250);
    // Fetch, compile and canary run of a new version (BENCHMARKS.md, hot swap), with room
    // for a shared 2-core CI machine.
    const VALIDATION: Duration = Duration::from_secs(3);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.wasm");
    publish(&path, &average());
    let live = swapstream::startup::start_hot_swap(
        &ModuleArgs {
            module: ModuleLocation::File(path.clone()),
            module_sha256: None,
            module_config: Vec::new(),
            lineage_attribute: "module".into(),
        },
        &EngineArgs {
            memory_limit: ByteSize::mib(128),
            batch_timeout: Duration::from_secs(10),
            stack_limit: ByteSize::mib(1),
            max_output: ByteSize::mib(32),
            cache_dir: Some(dir.path().join("cache")),
            no_cache: false,
        },
        &HotSwapArgs {
            module_poll_interval: POLL,
            canary: CanaryArgs::default(),
        },
    )
    .await
    .unwrap();
    assert!(live.is_polling());
    let ledger = Ledger::default();
    let pipeline = Arc::new(Pipeline::new(
        live.registry(),
        ledger.clone(),
        ledger.clone(),
        PipelineSettings::default(),
    ));

    let next = Arc::new(AtomicI64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (pipeline, next, stop) = (pipeline.clone(), next.clone(), stop.clone());
            tokio::spawn(async move {
                let mut ran = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let batch = load_batch(k);
                    let started = Instant::now();
                    let report = pipeline
                        .process(swapstream_core::batch::Delivery::from(batch))
                        .await
                        .unwrap();
                    let ended = Instant::now();
                    assert_eq!(
                        (report.records, report.items, report.rejected),
                        (101, 100, 1)
                    );
                    ran.push(Ran {
                        k,
                        started,
                        ended,
                        lineage: report.module.lineage(),
                    });
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                ran
            })
        })
        .collect();

    let (avg, sta) = (label_of(&average()), label_of(&stats()));
    // Publishes a version and returns (published, seen live): the latter a little after the
    // swap, so every batch starting after it runs the new version.
    let registry = live.registry();
    let swap_to = |bytes: Vec<u8>, lineage: String| {
        let registry = registry.clone();
        let path = path.clone();
        async move {
            let published = Instant::now();
            publish(&path, &bytes);
            while registry.current().label().lineage() != lineage {
                assert!(
                    published.elapsed() < Duration::from_secs(60),
                    "no swap to {lineage}"
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            (published, Instant::now(), lineage)
        }
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut swaps = vec![swap_to(stats(), sta.clone()).await];
    tokio::time::sleep(Duration::from_secs(1)).await;
    swaps.push(swap_to(average(), avg.clone()).await);
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let mut ran = Vec::new();
    for worker in workers {
        ran.extend(worker.await.unwrap());
    }
    live.stop().await;
    ran.sort_by_key(|r| r.started);

    // No record lost: every reading became an item, every bad record a dead letter, once.
    let batches = next.load(Ordering::Relaxed);
    assert_eq!(i64::try_from(ran.len()).unwrap(), batches);
    let items = ledger.items.lock().unwrap();
    let letters = ledger.letters.lock().unwrap();
    let mut devices: Vec<i64> = items.iter().map(|(d, _)| *d).collect();
    devices.sort_unstable();
    let expected: Vec<i64> = (0..batches)
        .flat_map(|k| (1..=LOAD_RECORDS).map(move |i| k * 1000 + i))
        .collect();
    assert_eq!(devices, expected);
    let mut offsets: Vec<i64> = letters.iter().map(|(o, _)| *o).collect();
    offsets.sort_unstable();
    let expected: Vec<i64> = (0..batches).map(|k| k * 1000 + LOAD_RECORDS).collect();
    assert_eq!(offsets, expected);

    // No batch with mixed lineage: its items and its dead letter carry the version it ran on.
    let lineage_of_batch: std::collections::HashMap<i64, &str> =
        ran.iter().map(|r| (r.k, r.lineage.as_str())).collect();
    for (device, lineage) in items.iter() {
        assert_eq!(
            lineage,
            lineage_of_batch[&((device - 1) / 1000)],
            "device {device}"
        );
    }
    for (offset, lineage) in letters.iter() {
        assert_eq!(
            lineage,
            lineage_of_batch[&(offset / 1000)],
            "offset {offset}"
        );
    }

    // Each swap live within the poll interval (+ validation), and the next batch on it: every
    // batch that started after the swap ran the new version, every batch that ended before the
    // publication the old one; in between, a batch runs either (whichever it took at its start).
    let longest = ran.iter().map(|r| r.ended - r.started).max().unwrap();
    let mut phases = vec![(None, None, avg.clone())];
    phases.extend(
        swaps
            .iter()
            .map(|(p, s, l)| (Some(*p), Some(*s), l.clone())),
    );
    for (i, (published, live_at, lineage)) in phases.iter().enumerate() {
        let next_published = phases.get(i + 1).and_then(|(p, _, _)| *p);
        let in_phase: Vec<&Ran> = ran
            .iter()
            .filter(|r| live_at.is_none_or(|at| r.started > at))
            .filter(|r| next_published.is_none_or(|at| r.ended < at))
            .collect();
        assert!(in_phase.len() >= 10, "batches ran on {lineage}");
        for r in in_phase {
            assert_eq!(&r.lineage, lineage, "batch {}", r.k);
        }
        if let (Some(published), Some(live_at)) = (published, live_at) {
            let live_after = *live_at - *published;
            let first = ran
                .iter()
                .filter(|r| r.started >= *published && &r.lineage == lineage)
                .map(|r| r.started - *published)
                .min()
                .unwrap();
            eprintln!(
                "swap to {lineage}: live {live_after:?} after publishing, first batch on it \
                 started after {first:?} (poll {POLL:?}, longest batch {longest:?})"
            );
            assert!(live_after <= POLL + VALIDATION, "{lineage}: {live_after:?}");
            // The 5 ms is the pause each worker makes between batches.
            assert!(
                first <= POLL + VALIDATION + longest + Duration::from_millis(5),
                "{lineage}: {first:?}"
            );
        }
    }
}
