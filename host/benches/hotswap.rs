//! Hot-swap figures for BENCHMARKS.md: what a swap costs and how long a published version
//! takes to reach batches.
//!
//! `cargo bench -p swapstream --bench hotswap` prints a Markdown table. Everything runs in
//! process against a file module store in a temporary directory (no network); an S3 store adds
//! one `HeadObject` per poll and one `GetObject` per new version to the figures below.
//!
//! * the cost of a check — nothing new (a `stat`), and a new version swapped in after a compile,
//!   from the precompiled disk cache, or from memory (a rollback) — fetch, validation with the
//!   canary, swap;
//! * a 10,000-record batch of the `average` module: steady state (the baseline), the first batch
//!   on a version just swapped in, and a batch running while another version compiles (the
//!   validation of a swap competing for the CPU);
//! * publish → first batch on the new version, with batches running back to back and a
//!   background watcher polling every 100 ms, as in service mode.
//!
//! Versions with new content are made by appending a custom section to a module (a valid
//! component with another sha256), so each "compiled" figure really compiles.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use swapstream::hotswap::{Canary, CheckOutcome, Reloader, SwapSource, Validator};
use swapstream_core::batch::{Batch, BatchBuilder, RecordRef};
use swapstream_core::module::Module;
use swapstream_core::store::{FileStore, ModuleBytes, sha256_hex};
use swapstream_engine::{Engine, EngineConfig, Limits};

const RECORDS: usize = 10_000;

fn main() {
    // `cargo bench` passes `--bench`; anything else (e.g. a test filter) is ignored.
    let dir = tempfile::tempdir().unwrap();
    let batch = Arc::new(batch(RECORDS));
    let mut rows: Vec<(String, Stats, String)> = Vec::new();

    let (poll, compiled, precompiled, memory) = check_costs(dir.path());
    rows.push(("check, nothing new (stat)".into(), poll, String::new()));
    rows.push((
        "check → swap, compiled (fetch, compile, canary)".into(),
        compiled,
        String::new(),
    ));
    rows.push((
        "check → swap, from the precompiled cache".into(),
        precompiled,
        String::new(),
    ));
    rows.push((
        "check → swap, from memory (rollback)".into(),
        memory,
        String::new(),
    ));

    let (steady, after_compiled, after_memory, during_compile) = batch_costs(&batch);
    let ratio = |s: &Stats| format!("{:.2}× baseline", s.median / steady.median);
    rows.push((
        format!("batch of {RECORDS}, steady state (baseline)"),
        steady,
        String::new(),
    ));
    let r = ratio(&after_compiled);
    rows.push((
        "first batch after a swap to a compiled version".into(),
        after_compiled,
        r,
    ));
    let r = ratio(&after_memory);
    rows.push((
        "first batch after a swap from memory".into(),
        after_memory,
        r,
    ));
    let r = ratio(&during_compile);
    rows.push((
        "batch while another version compiles".into(),
        during_compile,
        r,
    ));

    let interval = Duration::from_millis(100);
    let (live_compiled, live_memory) = publish_to_live(dir.path(), &batch, interval);
    rows.push((
        "publish → first batch done on it, new version (poll 100 ms)".into(),
        live_compiled,
        String::new(),
    ));
    rows.push((
        "publish → first batch done on it, rollback (poll 100 ms)".into(),
        live_memory,
        String::new(),
    ));

    println!("| measurement | n | median | p95 | min | max | note |");
    println!("|---|---|---|---|---|---|---|");
    for (name, s, note) in rows {
        println!(
            "| {name} | {} | {} | {} | {} | {} | {note} |",
            s.n,
            ms(s.median),
            ms(s.p95),
            ms(s.min),
            ms(s.max)
        );
    }
}

/// Summary of durations, in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Stats {
    n: usize,
    median: f64,
    p95: f64,
    min: f64,
    max: f64,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i].as_secs_f64() * 1e3
    };
    Stats {
        n: samples.len(),
        median: at(0.5),
        p95: at(0.95),
        min: at(0.0),
        max: at(1.0),
    }
}

fn ms(x: f64) -> String {
    if x < 1.0 {
        format!("{:.0} µs", x * 1e3)
    } else {
        format!("{x:.1} ms")
    }
}

fn builtin(name: &str) -> Vec<u8> {
    swapstream::builtin::bytes(name).unwrap().to_vec()
}

/// `module` with a custom section appended: a valid component with a new sha256.
fn variant(module: &[u8], tag: &str) -> Vec<u8> {
    let name = b"swapstream-bench";
    let mut payload = vec![name.len() as u8];
    payload.extend_from_slice(name);
    payload.extend_from_slice(tag.as_bytes());
    let mut out = module.to_vec();
    out.push(0); // custom section
    let mut len = payload.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(&payload);
    out
}

fn publish(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("publishing");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn engine(cache: Option<PathBuf>) -> Engine {
    Engine::new(EngineConfig {
        limits: Limits::default(),
        cache_dir: cache,
    })
    .unwrap()
}

fn validator(engine: &Engine) -> Validator {
    Validator::new(
        engine.clone(),
        Arc::new(Canary::load(None).unwrap()),
        Vec::new(),
        None,
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn reloader(path: &Path, engine: &Engine, interval: Option<Duration>) -> Reloader<FileStore> {
    Reloader::start(
        FileStore::new(path.to_path_buf()),
        validator(engine),
        interval,
    )
    .await
    .unwrap()
}

fn expect_swap(outcome: CheckOutcome, source: SwapSource) {
    match outcome {
        CheckOutcome::Swapped(swap) => assert_eq!(swap.source, source),
        other => panic!("expected a {source:?} swap, got {other:?}"),
    }
}

fn check_costs(dir: &Path) -> (Stats, Stats, Stats, Stats) {
    let rt = runtime();
    rt.block_on(async {
        let path = dir.join("checks.wasm");
        publish(&path, &builtin("average"));
        let no_cache = engine(None);
        let r = reloader(&path, &no_cache, None).await;

        let mut poll = Vec::new();
        for _ in 0..1000 {
            let t = Instant::now();
            assert!(matches!(r.check_now().await, CheckOutcome::Unchanged));
            poll.push(t.elapsed());
        }

        let mut compiled = Vec::new();
        for i in 0..10 {
            publish(&path, &variant(&builtin("stats"), &format!("compiled-{i}")));
            let t = Instant::now();
            expect_swap(r.check_now().await, SwapSource::Compiled);
            compiled.push(t.elapsed());
        }

        // The precompiled cache: variants compiled once by another engine into the cache dir,
        // then swapped in by a fresh host sharing it (as after a restart).
        let cache = dir.join("cache");
        let warm = engine(Some(cache.clone()));
        let tags: Vec<Vec<u8>> = (0..10)
            .map(|i| variant(&builtin("stats"), &format!("cached-{i}")))
            .collect();
        for bytes in &tags {
            warm.load(&ModuleBytes::new(bytes.as_slice()), "warm-up")
                .unwrap();
        }
        let cached_engine = engine(Some(cache));
        let r = reloader(&path, &cached_engine, None).await;
        let mut precompiled = Vec::new();
        for bytes in &tags {
            publish(&path, bytes);
            let t = Instant::now();
            expect_swap(r.check_now().await, SwapSource::PrecompiledCache);
            precompiled.push(t.elapsed());
        }

        // Rollbacks: alternate between two versions both kept in memory.
        let (a, b) = (builtin("average"), builtin("stats"));
        publish(&path, &a);
        r.check_now().await;
        publish(&path, &b);
        r.check_now().await;
        let mut memory = Vec::new();
        for i in 0..50 {
            publish(&path, if i % 2 == 0 { &a } else { &b });
            let t = Instant::now();
            expect_swap(r.check_now().await, SwapSource::Memory);
            memory.push(t.elapsed());
        }
        (
            stats(poll),
            stats(compiled),
            stats(precompiled),
            stats(memory),
        )
    })
}

fn batch_costs(batch: &Arc<Batch>) -> (Stats, Stats, Stats, Stats) {
    let rt = runtime();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batches.wasm");
        publish(&path, &builtin("average"));
        let e = engine(None);
        let r = reloader(&path, &e, None).await;
        // The batch goes into each run and comes back, as in production (no copy).
        let mut slot = Some((**batch).clone());
        let mut run = |r: &Reloader<FileStore>| {
            let module = r.registry().current();
            let t = Instant::now();
            let ran = module.aggregate(slot.take().unwrap(), &[]);
            let elapsed = t.elapsed();
            slot = Some(ran.batch);
            assert!(!ran.output.unwrap().items.is_empty());
            elapsed
        };
        for _ in 0..5 {
            run(&r); // warm-up
        }
        let steady: Vec<Duration> = (0..50).map(|_| run(&r)).collect();

        let mut after_compiled = Vec::new();
        for i in 0..10 {
            publish(&path, &variant(&builtin("average"), &format!("first-{i}")));
            expect_swap(r.check_now().await, SwapSource::Compiled);
            after_compiled.push(run(&r));
        }

        let mut after_memory = Vec::new();
        let (a, b) = (
            variant(&builtin("average"), "memory-a"),
            variant(&builtin("average"), "memory-b"),
        );
        for bytes in [&a, &b] {
            publish(&path, bytes);
            r.check_now().await;
        }
        for i in 0..20 {
            publish(&path, if i % 2 == 0 { &a } else { &b });
            expect_swap(r.check_now().await, SwapSource::Memory);
            after_memory.push(run(&r));
        }

        // A batch while a validation compiles another version on another thread.
        let mut during = Vec::new();
        for i in 0..10 {
            let bytes = variant(&builtin("stats"), &format!("busy-{i}"));
            let other = engine(None);
            let compiling =
                std::thread::spawn(move || other.load(&ModuleBytes::new(bytes), "busy").unwrap());
            std::thread::sleep(Duration::from_millis(5));
            during.push(run(&r));
            compiling.join().unwrap();
        }
        (
            stats(steady),
            stats(after_compiled),
            stats(after_memory),
            stats(during),
        )
    })
}

/// Batches back to back on one thread, a watcher polling in the background; for each
/// publication, the time until a batch that started on the new version has finished.
fn publish_to_live(dir: &Path, batch: &Arc<Batch>, interval: Duration) -> (Stats, Stats) {
    let rt = runtime();
    rt.block_on(async {
        let path = dir.join("live.wasm");
        publish(&path, &builtin("average"));
        let e = engine(None);
        let r = Arc::new(reloader(&path, &e, Some(interval)).await);
        let _watcher = r.spawn();

        let stop = Arc::new(AtomicBool::new(false));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
        let worker = {
            let (r, batch, stop) = (Arc::clone(&r), Arc::clone(batch), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut batch = (*batch).clone();
                while !stop.load(Ordering::Relaxed) {
                    let module = r.registry().current();
                    let ran = module.aggregate(batch, &[]);
                    batch = ran.batch;
                    ran.output.unwrap();
                    let _ = tx.send((module.label().sha256.clone(), Instant::now()));
                }
            })
        };
        let mut compiled = Vec::new();
        for i in 0..20 {
            let bytes = variant(&builtin("average"), &format!("live-{i}"));
            // Publish at a random point of the poll cycle, as an operator would.
            tokio::time::sleep(Duration::from_millis(37 * (i % 7))).await;
            compiled.push(publish_and_wait(&path, &bytes, &mut rx).await);
        }
        let (a, b) = (
            variant(&builtin("average"), "live-a"),
            variant(&builtin("average"), "live-b"),
        );
        for bytes in [&a, &b] {
            publish_and_wait(&path, bytes, &mut rx).await;
        }
        let mut memory = Vec::new();
        for i in 0..20 {
            let bytes = if i % 2 == 0 { &a } else { &b };
            tokio::time::sleep(Duration::from_millis(37 * (i % 7))).await;
            memory.push(publish_and_wait(&path, bytes, &mut rx).await);
        }
        stop.store(true, Ordering::Relaxed);
        worker.join().unwrap();
        (stats(compiled), stats(memory))
    })
}

/// Publishes `bytes` and waits until a batch that started on them has finished; returns the
/// time from the publication.
async fn publish_and_wait(
    path: &Path,
    bytes: &[u8],
    done: &mut tokio::sync::mpsc::UnboundedReceiver<(String, Instant)>,
) -> Duration {
    let sha = sha256_hex(bytes);
    while done.try_recv().is_ok() {} // batches finished before the publication
    let published = Instant::now();
    publish(path, bytes);
    loop {
        let (module, at) = done.recv().await.unwrap();
        if module == sha {
            return at - published;
        }
    }
}

/// A batch like the reference producer's traffic: `records` readings of 100 devices over 4
/// partitions.
fn batch(records: usize) -> Batch {
    let mut b = BatchBuilder::new();
    for i in 0..records {
        let device = i % 100 + 1;
        let value = format!(
            r#"{{"device_id": {device}, "timestamp": "2026-11-25T12:{:02}:{:02}.{:06}", "temperature": {}}}"#,
            (i / 60) % 60,
            i % 60,
            i * 37 % 1_000_000,
            25 + (i * 7) % 11
        );
        b.push(
            "sensors",
            (i % 4) as i32,
            RecordRef {
                offset: i as i64,
                timestamp_ms: 1_764_072_000_000 + i as i64,
                key: None,
                value: Some(value.as_bytes()),
            },
            [],
        )
        .unwrap();
    }
    b.build()
}
