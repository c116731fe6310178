//! Writes a reference-like Lambda Kafka event (`aws:kafka`, base64 values, one header per
//! record, 4 partitions) of about SIZE bytes, for measuring a whole invocation's peak memory:
//! `cargo run --release --example write_event -- 6MiB /tmp/event-6mb.json`.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../benches/support.rs"]
mod support;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(size), Some(path)) = (args.next(), args.next()) else {
        eprintln!("usage: write_event SIZE FILE   (e.g. 6MiB /tmp/event-6mb.json)");
        std::process::exit(2);
    };
    let size: bytesize::ByteSize = size.parse().unwrap();
    let records = support::records_for_event_size(size.as_u64() as usize);
    let event = support::lambda_event(records, 4);
    std::fs::write(&path, &event).unwrap();
    println!("{path}: {records} records, {} bytes", event.len());
}
