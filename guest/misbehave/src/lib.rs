//! `misbehave`: a module for testing the host's sandbox. Its `mode` configuration key picks
//! the misbehaviour; without it, it behaves and returns one item per partition with the
//! record count.
//!
//! Modes: `trap` (panics), `loop` (never returns), `memory` (allocates without bound),
//! `recursion` (recurses without bound), `huge-output` (returns ~100 MB of items),
//! `log-flood` (logs 100,000 lines), `fail` (returns `error::failed`), `sleep` (sleeps an
//! hour), `clock-spin` (waits in a loop for the clock to move), `connect` (opens a TCP
//! connection to `127.0.0.1:<port>`, the `port` key), `read-file` (opens `path`),
//! `stdio-flood` (writes 1 MiB to stdout and to stderr), `amplify` (returns 4,096
//! attributes whose strings all point at one 1 MiB string in its memory: 4 GiB once copied
//! into the host), `log-bomb` (logs one 8 MiB line), `many-items` (returns 2,000,000 empty
//! items).

use swapstream_guest::{Error, Guest, ItemBuilder, ModuleInfo, Output, PartitionBatch};

/// The exported module.
pub struct Misbehave;

impl Guest for Misbehave {
    fn info() -> ModuleInfo {
        ModuleInfo {
            name: "misbehave".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    fn aggregate(
        batch: Vec<PartitionBatch>,
        config: Vec<(String, String)>,
    ) -> Result<Output, Error> {
        let mode = config
            .iter()
            .find(|(k, _)| k == "mode")
            .map_or("behave", |(_, v)| v.as_str());
        run(mode, &batch, &config)
    }
}

/// Does what `mode` says (other keys of `config` are the mode's parameters).
pub fn run(
    mode: &str,
    batch: &[PartitionBatch],
    config: &[(String, String)],
) -> Result<Output, Error> {
    match mode {
        "behave" => Ok(count(batch)),
        "trap" => panic!("misbehave: asked to trap"),
        "loop" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "memory" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                // Zeroed: fresh pages from `memory.grow` need no writing, so the bomb reaches
                // any limit in milliseconds, well inside any time budget a test sets.
                hoard.push(std::hint::black_box(vec![0u8; 1 << 20]));
            }
        }
        "recursion" => {
            std::hint::black_box(recurse(1));
            Ok(count(batch))
        }
        "huge-output" => {
            let big = "x".repeat(1 << 20);
            let items = (0..100)
                .map(|i| {
                    ItemBuilder::new()
                        .number("id", i)
                        .string("blob", big.clone())
                        .build()
                })
                .collect();
            Ok(Output {
                items,
                rejected: Vec::new(),
            })
        }
        "log-flood" => {
            for i in 0..100_000 {
                swapstream_guest::log::info(&format!("line {i}"));
            }
            Ok(count(batch))
        }
        "fail" => Err(Error::Failed("misbehave: asked to fail".to_owned())),
        "sleep" => {
            std::thread::sleep(std::time::Duration::from_secs(3600));
            Ok(count(batch))
        }
        "clock-spin" => {
            let start = std::time::Instant::now();
            while start.elapsed() < std::time::Duration::from_secs(1) {
                std::hint::spin_loop();
            }
            Ok(count(batch))
        }
        "connect" => {
            let port = setting(config, "port").unwrap_or("9");
            match std::net::TcpStream::connect(format!("127.0.0.1:{port}")) {
                Ok(_) => Err(Error::Failed("misbehave: connected".to_owned())),
                Err(e) => Err(Error::Failed(format!("misbehave: connect failed: {e}"))),
            }
        }
        "read-file" => {
            let path = setting(config, "path").unwrap_or("/etc/passwd");
            match std::fs::read(path) {
                Ok(bytes) => Err(Error::Failed(format!(
                    "misbehave: read {} bytes",
                    bytes.len()
                ))),
                Err(e) => Err(Error::Failed(format!("misbehave: read failed: {e}"))),
            }
        }
        "stdio-flood" => {
            // `println!` and `eprintln!` panic when a write fails, as most modules' output would.
            let line = "x".repeat(1023);
            for _ in 0..1024 {
                println!("{line}");
                eprintln!("{line}");
            }
            Ok(count(batch))
        }
        "amplify" => Ok(amplified()),
        "many-items" => Ok(Output {
            items: (0..2_000_000).map(|_| ItemBuilder::new().build()).collect(),
            rejected: Vec::new(),
        }),
        "log-bomb" => {
            swapstream_guest::log::info(&"x".repeat(8 << 20));
            Ok(count(batch))
        }
        other => Err(Error::InvalidConfig(format!("unknown mode `{other}`"))),
    }
}

fn setting<'a>(config: &'a [(String, String)], key: &str) -> Option<&'a str> {
    config
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn count(batch: &[PartitionBatch]) -> Output {
    let items = batch
        .iter()
        .map(|p| {
            ItemBuilder::new()
                .string("source", format!("{}/{}", p.topic, p.partition))
                .number("records", p.offsets.len())
                .build()
        })
        .collect();
    Output {
        items,
        rejected: Vec::new(),
    }
}

fn recurse(depth: u64) -> u64 {
    // black_box keeps the optimiser from turning this into a loop; the guard never triggers,
    // it only shows the compiler a way out.
    if std::hint::black_box(depth) == 0 {
        return 0;
    }
    depth + recurse(depth + 1)
}

#[cfg(target_arch = "wasm32")]
swapstream_guest::export_module!(Misbehave);

/// One item of 4,096 attributes whose values are the same 1 MiB string: the canonical ABI
/// passes each string as a pointer and a length, so the guest needs 1 MiB while a host that
/// copies each one needs 4 GiB.
#[allow(unsafe_code)]
fn amplified() -> Output {
    let mut big = std::mem::ManuallyDrop::new("x".repeat(1 << 20).into_bytes());
    let (ptr, len, capacity) = (big.as_mut_ptr(), big.len(), big.capacity());
    let mut item = ItemBuilder::new();
    for i in 0..4096 {
        // SAFETY: not safe, on purpose: every alias owns the same buffer. The module only hands
        // them to the host, which reads them before the instance is thrown away; what the host
        // does with them is what this mode tests.
        let alias = unsafe { String::from_utf8_unchecked(Vec::from_raw_parts(ptr, len, capacity)) };
        item = item.string(&format!("a{i}"), alias);
    }
    Output {
        items: vec![item.build()],
        rejected: Vec::new(),
    }
}
