//! Hot swap end to end: the real binary in Lambda mode under cargo-lambda's emulator and in
//! service mode on Tansu, its module in a real local S3 server (moto), its items in DynamoDB
//! Local.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use swapstream_tests::dynamodb::{DynamoDbLocal, text};
use swapstream_tests::kafka::{self, Tansu, eventually};
use swapstream_tests::lambda::LambdaFunction;
use swapstream_tests::readings::{self, Stream};
use swapstream_tests::s3::S3Local;
use swapstream_tests::service::{Host, HostConfig};

const BUCKET: &str = "modules";
const KEY: &str = "analytics/live.wasm";
/// The poll interval the functions run with; a check is due once it has passed.
const POLL: Duration = Duration::from_secs(1);

fn built(name: &str) -> Vec<u8> {
    std::fs::read(swapstream::builtin::built_modules_dir().join(format!("{name}.wasm"))).unwrap()
}

fn builtin(name: &str) -> Vec<u8> {
    swapstream::builtin::bytes(name).unwrap().to_vec()
}

fn fixture() -> PathBuf {
    swapstream_tests::workspace_root().join("tests/fixtures/msk-event.json")
}

fn sha256(bytes: &[u8]) -> String {
    swapstream_core::store::sha256_hex(bytes)
}

struct Stack {
    db: DynamoDbLocal,
    s3: S3Local,
    dir: tempfile::TempDir,
}

impl Stack {
    async fn start() -> Self {
        let (db, s3) = tokio::join!(DynamoDbLocal::start(), S3Local::start());
        db.create_items_table("readings").await;
        db.create_dead_letter_table("dead-letters").await;
        s3.create_bucket(BUCKET).await;
        Self {
            db,
            s3,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A function reading its module from s3://modules/analytics/live.wasm, with `extra`
    /// settings; logs under `name`, and one precompiled cache for all functions of the test.
    fn function(&self, name: &str, extra: &[(&str, &str)]) -> LambdaFunction {
        let mut env = self.db.env();
        env.extend(self.s3.env());
        for (k, v) in [
            ("SWAPSTREAM_TABLE", "readings"),
            ("SWAPSTREAM_DEAD_LETTER_TABLE", "dead-letters"),
            ("SWAPSTREAM_MODULE", "s3://modules/analytics/live.wasm"),
            ("SWAPSTREAM_MODULE_POLL_INTERVAL", "1s"),
        ] {
            env.push((k.into(), v.into()));
        }
        env.push((
            "SWAPSTREAM_CACHE_DIR".into(),
            self.dir.path().join("cache").display().to_string(),
        ));
        env.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
        let logs = self.dir.path().join(name);
        std::fs::create_dir_all(&logs).unwrap();
        LambdaFunction::start(&env, &logs)
    }

    /// The lineage on every item of the output table.
    async fn item_lineages(&self) -> Vec<String> {
        let mut got: Vec<String> = self
            .db
            .scan("readings")
            .await
            .iter()
            .map(|i| text(i, "module"))
            .collect();
        got.dedup();
        got
    }
}

/// Invokes with the fixture and returns the lineage the response reports.
fn invoke(function: &mut LambdaFunction, event: &Path) -> String {
    let invocation = function.invoke(event);
    assert!(
        invocation.ok,
        "{}\n{}",
        invocation.body,
        function.function_log()
    );
    let response: serde_json::Value = serde_json::from_str(invocation.body.trim()).unwrap();
    assert_eq!(response["records"], 12);
    assert_eq!(response["items"], 2);
    response["module"].as_str().unwrap().to_owned()
}

/// `swapstream module push FILE s3://modules/analytics/live.wasm`; returns its stdout.
fn push(s3: &S3Local, file: &Path) -> String {
    let out = std::process::Command::new(swapstream_tests::swapstream_bin())
        .args(["module", "push"])
        .arg(file)
        .arg(format!("s3://{BUCKET}/{KEY}"))
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env("SWAPSTREAM_NO_CACHE", "true")
        .envs(s3.env())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn lineage(bytes: &[u8]) -> String {
    use swapstream_core::module::Module;
    let engine =
        swapstream_engine::Engine::new(swapstream_engine::EngineConfig::default()).unwrap();
    let module = swapstream_core::store::ModuleBytes::new(bytes);
    engine.load(&module, "m").unwrap().label().lineage()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_warm_lambda_picks_up_a_new_s3_module_without_a_restart_and_rolls_back() {
    let stack = Stack::start().await;
    let (average, stats) = (builtin("average"), builtin("stats"));
    // As a plain `aws s3 cp` would: no SHA-256 checksum on the object.
    stack.s3.put(BUCKET, KEY, average.clone()).await;
    let mut function = stack.function("swap", &[]);
    let pid = function.pid();
    let event = fixture();

    assert_eq!(invoke(&mut function, &event), lineage(&average));
    assert_eq!(stack.item_lineages().await, [lineage(&average)]);

    stack.s3.put(BUCKET, KEY, stats.clone()).await;
    tokio::time::sleep(POLL + Duration::from_millis(100)).await;
    assert_eq!(invoke(&mut function, &event), lineage(&stats));
    let items = stack.db.scan("readings").await;
    assert_eq!(stack.item_lineages().await, [lineage(&stats)]);
    assert_eq!(
        items
            .iter()
            .find(|i| text(i, "device_id") == "1")
            .map(|i| text(i, "mean_temp")),
        Some("33.5".to_owned()),
        "stats' attributes are written"
    );

    // Rollback = publishing the old module again, with `swapstream module push` (which
    // uploads with S3's SHA-256 checksum): the host recognises it from the HEAD and swaps
    // from memory.
    let file = stack.dir.path().join("average.wasm");
    std::fs::write(&file, &average).unwrap();
    let pushed = push(&stack.s3, &file);
    assert!(
        pushed.contains(&format!("SWAPSTREAM_MODULE_SHA256={}", sha256(&average))),
        "{pushed}"
    );
    tokio::time::sleep(POLL + Duration::from_millis(100)).await;
    assert_eq!(invoke(&mut function, &event), lineage(&average));
    assert_eq!(stack.item_lineages().await, [lineage(&average)]);

    assert_eq!(function.pid(), pid, "the same process all along");
    let log = function.function_log();
    assert_eq!(log.matches("module swapped").count(), 2, "{log}");
    assert!(log.contains(r#""source":"memory""#), "{log}");
    // Within one interval nothing is checked: a poll is not a download either.
    assert_eq!(
        stack
            .s3
            .log()
            .matches("GET /modules/analytics/live.wasm")
            .count(),
        2,
        "one download at start-up, one for stats; none for the rollback:\n{}",
        stack.s3.log()
    );
    assert_eq!(stack.s3.get(BUCKET, KEY).await, average, "push uploaded it");
}

/// Extra environment of a function.
type Settings<'a> = Vec<(&'a str, &'a str)>;
/// What is published, what it is, and the refusal reason expected.
type Case = (&'static str, Vec<u8>, &'static str);

/// Each bad version published to S3 is refused — with its reason in the log — and the
/// invocation runs on the version that was live, whose items keep landing in DynamoDB. The
/// functions share a precompiled cache, so each after the first starts without compiling.
#[tokio::test(flavor = "multi_thread")]
async fn bad_modules_published_to_s3_are_refused_while_the_lambda_keeps_processing() {
    let stack = Stack::start().await;
    let average = builtin("average");
    let live = lineage(&average);
    let event = fixture();

    // One function per module configuration: misbehave's mode comes from its (scoped)
    // configuration, which the running `average` never sees.
    let groups: Vec<(&str, Settings, Vec<Case>)> = vec![
        (
            "structural",
            vec![("SWAPSTREAM_MODULE_CONFIG", "misbehave/mode=trap")],
            vec![
                (
                    "not wasm",
                    b"<html>not a module</html>".to_vec(),
                    "not_wasm",
                ),
                ("a core module", b"\0asm\x01\0\0\0".to_vec(), "core_module"),
                (
                    "another world",
                    b"\0asm\x0d\0\x01\0".to_vec(),
                    "wrong_world",
                ),
                ("contract 1.0.0", built("contract-v1"), "contract_version"),
                ("a trap", built("misbehave"), "canary_trap"),
            ],
        ),
        (
            "loop",
            vec![
                ("SWAPSTREAM_MODULE_CONFIG", "misbehave/mode=loop"),
                ("SWAPSTREAM_BATCH_TIMEOUT", "1s"),
            ],
            vec![("an endless loop", built("misbehave"), "canary_timeout")],
        ),
        (
            "memory",
            vec![("SWAPSTREAM_MODULE_CONFIG", "misbehave/mode=memory")],
            vec![("a memory bomb", built("misbehave"), "canary_memory")],
        ),
        (
            "recursion",
            vec![("SWAPSTREAM_MODULE_CONFIG", "misbehave/mode=recursion")],
            vec![("deep recursion", built("misbehave"), "canary_stack")],
        ),
        (
            "huge-output",
            vec![
                ("SWAPSTREAM_MODULE_CONFIG", "misbehave/mode=huge-output"),
                ("SWAPSTREAM_MEMORY_LIMIT", "256MiB"),
            ],
            vec![(
                "100 MB of output",
                built("misbehave"),
                "canary_output_too_large",
            )],
        ),
        (
            "pinned",
            vec![],
            vec![("an unpinned hash", builtin("stats"), "sha256_mismatch")],
        ),
    ];
    let pin = sha256(&average);
    for (index, (name, settings, cases)) in groups.into_iter().enumerate() {
        let mut settings = settings;
        if name == "pinned" {
            settings.push(("SWAPSTREAM_MODULE_SHA256", &pin));
        }
        stack.s3.put(BUCKET, KEY, average.clone()).await;
        let mut function = stack.function(name, &settings);
        assert_eq!(
            invoke(&mut function, &event),
            live,
            "{name}: starts on average"
        );
        // Every function shares one cache directory: the first compiles average, each later
        // one (a new process, like a new execution environment) loads it precompiled.
        let log = function.function_log();
        let loaded = log
            .lines()
            .find(|l| l.contains("module loaded"))
            .unwrap_or_else(|| panic!("{name}: no load logged:\n{log}"));
        let from = if index == 0 { "Source" } else { "Cache" };
        assert!(
            loaded.contains(&format!(r#""from":"{from}""#)),
            "{name}: {loaded}"
        );
        for (what, bytes, reason) in cases {
            stack.s3.put(BUCKET, KEY, bytes).await;
            tokio::time::sleep(POLL + Duration::from_millis(100)).await;
            assert_eq!(
                invoke(&mut function, &event),
                live,
                "{what}: the invocation ran on the old version"
            );
            assert_eq!(
                stack.item_lineages().await,
                std::slice::from_ref(&live),
                "{what}"
            );
            let log = function.function_log();
            let refusal = log
                .lines()
                .rfind(|l| l.contains("new module version refused"))
                .unwrap_or_else(|| panic!("{what}: no refusal logged:\n{log}"));
            assert!(
                refusal.contains(&format!(r#""reason":"{reason}""#)),
                "{what}: {refusal}"
            );
            assert!(refusal.contains(r#""level":"ERROR""#), "{refusal}");
        }
        assert!(function.is_running(), "{name}: the host never went down");
    }
}

/// One `batch done` line of a service host's JSON log: the offset range of each partition
/// the batch held, and the module version it ran on.
#[derive(Debug)]
struct BatchRun {
    ranges: Vec<(i32, i64, i64)>,
    lineage: String,
}

/// Every batch the host finished, in order (JSON log lines `batch done`, whose span names the
/// batch as `topic/partition@first..last,…` and the module version).
fn batch_runs(log: &str) -> Vec<BatchRun> {
    log.lines()
        .filter(|l| l.contains(r#""message":"batch done""#))
        .map(|l| {
            let line: serde_json::Value = serde_json::from_str(l).unwrap();
            let span = &line["span"];
            let ranges = span["batch"]
                .as_str()
                .unwrap()
                .split(',')
                .map(|s| {
                    let (tp, range) = s.split_once('@').unwrap();
                    let (first, last) = range.split_once("..").unwrap();
                    let partition = tp.rsplit_once('/').unwrap().1.parse().unwrap();
                    (partition, first.parse().unwrap(), last.parse().unwrap())
                })
                .collect();
            BatchRun {
                ranges,
                lineage: span["module"].as_str().unwrap().to_owned(),
            }
        })
        .collect()
}

/// Publishes `bytes` and waits until the host finishes a batch on it; returns how long that
/// took.
async fn swap_to(stack: &Stack, host: &Host, bytes: &[u8]) -> Duration {
    let want = lineage(bytes);
    let before = batch_runs(&host.log()).len();
    let published = std::time::Instant::now();
    stack.s3.put(BUCKET, KEY, bytes.to_vec()).await;
    eventually(
        "a batch on the new version",
        Duration::from_secs(60),
        async || {
            batch_runs(&host.log())[before..]
                .iter()
                .any(|b| b.lineage == want)
                .then_some(())
        },
    )
    .await;
    published.elapsed()
}

/// Service mode under continuous load: average → stats → average, each published to S3 while
/// records keep arriving. Nothing is lost, every batch runs on one version (its items all
/// carry that version), and each swap is live within the poll interval plus one batch (plus
/// the compile and canary of a version not seen before).
#[tokio::test(flavor = "multi_thread")]
async fn service_mode_under_load_swaps_average_stats_average_without_losing_or_mixing() {
    const TOPIC: &str = "readings";
    let stack = Stack::start().await;
    let tansu = Tansu::start();
    tansu.create_topic(TOPIC, 3);
    let (average, stats) = (builtin("average"), builtin("stats"));
    stack.s3.put(BUCKET, KEY, average.clone()).await;

    let mut env = stack.db.env();
    env.extend(stack.s3.env());
    let config = HostConfig::new(&tansu.bootstrap(), TOPIC, "swap", env, stack.dir.path())
        .env("SWAPSTREAM_MODULE", &format!("s3://{BUCKET}/{KEY}"))
        .env("SWAPSTREAM_MODULE_POLL_INTERVAL", "1s")
        .env("SWAPSTREAM_BATCH_MAX_RECORDS", "100")
        .env("SWAPSTREAM_BATCH_MAX_WAIT", "200ms")
        .env("SWAPSTREAM_LOG_FORMAT", "json");
    let host = Host::start(&config, "host");

    // Continuous load: 300 records every ~100 ms until told to stop.
    let stream = readings::generate(12, 3, 120_000, 0, 7);
    let stop = Arc::new(AtomicBool::new(false));
    let producer = {
        let (bootstrap, records, stop) = (tansu.bootstrap(), stream.records.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut coordinates = Vec::new();
            for chunk in records.chunks(300) {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                coordinates.extend(kafka::produce_batched(&bootstrap, TOPIC, chunk).coordinates);
                std::thread::sleep(Duration::from_millis(100));
            }
            coordinates
        })
    };

    eventually("a first batch", Duration::from_secs(60), async || {
        (!batch_runs(&host.log()).is_empty()).then_some(())
    })
    .await;
    let to_stats = swap_to(&stack, &host, &stats).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let back = swap_to(&stack, &host, &average).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    let coordinates = producer.join().unwrap();
    let produced = coordinates.len();
    assert!(
        produced < stream.records.len(),
        "the load outlasted the swaps"
    );
    let stream = Stream {
        records: stream.records[..produced].to_vec(),
        readings: stream.readings[..produced].to_vec(),
        partitions: stream.partitions,
    };

    // Nothing lost, nothing processed twice.
    crate::service::all_covered(&stack.db, &stream, Duration::from_secs(120), &host).await;
    let items = stack.db.scan("readings").await;
    let accounting = stream.account(&items);
    assert_eq!(accounting.counted, produced);

    // The versions ran in the order published, each for at least one batch.
    let runs = batch_runs(&host.log());
    let mut order: Vec<&str> = runs.iter().map(|b| b.lineage.as_str()).collect();
    order.dedup();
    assert_eq!(
        order,
        [lineage(&average), lineage(&stats), lineage(&average)]
    );

    // Every item carries the version of the one batch that held all its readings.
    let mut by_device: BTreeMap<i64, Vec<(String, usize)>> = BTreeMap::new();
    for (i, r) in stream.readings.iter().enumerate() {
        let r = r.as_ref().unwrap();
        by_device
            .entry(r.device)
            .or_default()
            .push((r.timestamp.clone(), i));
    }
    for item in &items {
        let readings = &by_device[&text(item, "device_id").parse::<i64>().unwrap()];
        let (start, stop) = (text(item, "window_start"), text(item, "window_stop"));
        let from = readings.partition_point(|(t, _)| *t < start);
        let to = readings.partition_point(|(t, _)| *t <= stop);
        let at: Vec<(i32, i64)> = readings[from..to]
            .iter()
            .map(|(_, i)| coordinates[*i])
            .collect();
        let run = runs
            .iter()
            .find(|b| {
                at.iter().all(|(p, o)| {
                    b.ranges
                        .iter()
                        .any(|(bp, first, last)| bp == p && first <= o && o <= last)
                })
            })
            .unwrap_or_else(|| panic!("no one batch holds the readings of {item:?}"));
        assert_eq!(text(item, "module"), run.lineage, "{item:?}");
    }

    // Live within the poll interval plus one batch, plus compiling stats the first time; going
    // back needs no compile (the old version is kept in memory). Generous for shared machines.
    let log = host.log();
    assert!(
        to_stats < POLL + Duration::from_secs(5),
        "took {to_stats:?}"
    );
    assert!(back < POLL + Duration::from_secs(3), "took {back:?}");
    assert!(log.contains(r#""source":"memory""#), "{log}");
    eprintln!("swap to stats live after {to_stats:?}, back to average after {back:?}");
}
