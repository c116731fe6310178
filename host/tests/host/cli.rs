//! The `swapstream` binary's command line: replay output, exit codes, one-line errors.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> String {
    format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn swapstream(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_swapstream"))
        .args(args)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env("SWAPSTREAM_NO_CACHE", "true")
        .output()
        .unwrap()
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// The four attributes the reference Lambda writes.
fn reference_attributes(item: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for name in ["device_id", "window_start", "window_stop", "avg_temp"] {
        out.insert(name.to_owned(), item[name].clone());
    }
    Value::Object(out)
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn replay_of_the_msk_fixture_gives_exactly_the_reference_items() {
    let out = swapstream(&["replay", "--event", &fixture("msk-event.json")]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let items: Vec<Value> = lines(&out.stdout)
        .iter()
        .map(reference_attributes)
        .collect();
    let expected = lines(&std::fs::read(fixture("msk-event.expected.jsonl")).unwrap());
    assert_eq!(items, expected);
    let item = &lines(&out.stdout)[0];
    assert_eq!(item["reading_count"], serde_json::json!({"N": "6"}));
    assert!(
        item["module"]["S"]
            .as_str()
            .unwrap()
            .starts_with("average@1.0.0#")
    );
}

#[test]
fn replay_prints_each_rejection_with_its_coordinates_on_stderr() {
    let out = swapstream(&["replay", "--event", &fixture("msk-event.json")]);
    let rejections = lines(&out.stderr);
    let coordinates: Vec<_> = rejections
        .iter()
        .map(|r| {
            (
                r["topic"].as_str().unwrap().to_owned(),
                r["partition"].as_i64().unwrap(),
                r["offset"].as_i64().unwrap(),
            )
        })
        .collect();
    let topic = "cross-account-msk-data-streaming".to_owned();
    assert_eq!(
        coordinates,
        vec![(topic.clone(), 0, 1003), (topic, 1, 1003)]
    );
    assert_eq!(
        rejections[1]["reason"],
        "not a reading: invalid type: string \"x\", expected an integer device_id at line 1 column 16"
    );
}

#[test]
fn replay_reads_self_managed_kafka_events_across_every_partition() {
    let out = swapstream(&[
        "replay",
        "--event",
        &fixture("self-managed-kafka-event.json"),
        "--lineage-attribute",
        "",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    // By hand from the fixture: device 1 has 29,29,28,28,29,29 over sensors-0..2 (172/6 ->
    // 29); device 2 has 26,27 (26.5 -> 26, half to even).
    let expected = [
        r#"{"device_id":{"N":"1"},"window_start":{"S":"2026-11-25T12:01:32.285142"},"window_stop":{"S":"2026-11-25T12:09:35.398922"},"avg_temp":{"N":"29"},"reading_count":{"N":"6"}}"#,
        r#"{"device_id":{"N":"2"},"window_start":{"S":"2026-11-25T12:02:12.931336"},"window_stop":{"S":"2026-11-25T12:08:06.603020"},"avg_temp":{"N":"26"},"reading_count":{"N":"2"}}"#,
    ];
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .collect::<Vec<_>>(),
        expected
    );
    assert!(out.stderr.is_empty(), "{}", stderr_of(&out));
}

#[test]
fn replay_runs_another_module_from_a_file() {
    let stats = swapstream::builtin::built_modules_dir().join("stats.wasm");
    let out = swapstream(&[
        "replay",
        "--event",
        &fixture("msk-event.json"),
        "--module",
        stats.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let items = lines(&out.stdout);
    assert_eq!(items[0]["mean_temp"], serde_json::json!({"N": "33.5"}));
    assert!(
        items[0]["module"]["S"]
            .as_str()
            .unwrap()
            .starts_with("stats@1.0.0#")
    );
}

fn assert_one_line_error(out: &Output, code: i32, starts_with: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", stderr_of(out));
    let stderr = stderr_of(out);
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line: {stderr}");
    assert!(lines[0].starts_with(starts_with), "{stderr}");
}

#[test]
fn a_malformed_event_file_exits_1_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("not-json.json", "this is not json"),
        ("no-records.json", r#"{"eventSource":"aws:kafka"}"#),
        (
            "bad-offset.json",
            r#"{"records":{"t-0":[{"partition":0,"offset":"x","timestamp":1}]}}"#,
        ),
    ];
    for (name, contents) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        let out = swapstream(&["replay", "--event", path.to_str().unwrap()]);
        assert_one_line_error(
            &out,
            1,
            &format!("error: {} is not a Kafka event: ", path.display()),
        );
    }
    let out = swapstream(&["replay", "--event", "/nonexistent/event.json"]);
    assert_one_line_error(
        &out,
        1,
        "error: cannot read event file /nonexistent/event.json: ",
    );
}

#[test]
fn bad_configuration_exits_2_with_one_line_before_anything_runs() {
    let event = fixture("msk-event.json");
    let out = swapstream(&["replay", "--event", &event, "--module", "builtin:nope"]);
    assert_one_line_error(
        &out,
        2,
        "error: invalid value 'builtin:nope' for '--module <LOCATION>': no built-in module `nope`",
    );
    let out = swapstream(&["replay", "--event", &event, "--batch-timeout", "soon"]);
    assert_one_line_error(
        &out,
        2,
        "error: invalid value 'soon' for '--batch-timeout <DURATION>'",
    );
    let out = swapstream(&["replay", "--event", &event, "--memory-limit", "1KiB"]);
    assert_one_line_error(
        &out,
        2,
        "error: --memory-limit 1.0 KiB is too small (at least 1MiB)",
    );
    let out = swapstream(&[
        "replay",
        "--event",
        &event,
        "--module-sha256",
        &"0".repeat(64),
    ]);
    assert_one_line_error(&out, 2, "error: module builtin:average has sha256 ");
    let out = swapstream(&["replay", "--event", &event, "--log", "=="]);
    assert_one_line_error(&out, 2, "error: bad log filter `==`");
    let out = swapstream(&["lambda"]);
    assert_one_line_error(
        &out,
        2,
        "error: no output table: set --table or SWAPSTREAM_TABLE",
    );
}

#[test]
fn a_module_file_that_is_not_wasm_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("module.wasm");
    std::fs::write(&path, "definitely not wasm").unwrap();
    let out = swapstream(&[
        "replay",
        "--event",
        &fixture("msk-event.json"),
        "--module",
        path.to_str().unwrap(),
    ]);
    assert_one_line_error(
        &out,
        2,
        &format!("error: file://{} is not a WebAssembly file", path.display()),
    );
    let _ = Path::new(&path);
}

#[test]
fn help_lists_the_commands_and_exits_0() {
    let out = swapstream(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["lambda", "replay"] {
        assert!(help.contains(word), "{help}");
    }
}

/// The consumer stack's alarms count JSON log lines by their message and fields
/// (terraform/consumer/monitoring.tf): the line every batch logs must keep that shape.
#[test]
fn every_batch_logs_one_json_line_with_its_counts_for_the_alarms() {
    let out = swapstream(&[
        "replay",
        "--event",
        &fixture("msk-event.json"),
        "--log",
        "info",
        "--log-format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let logged: Vec<Value> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|l: &Value| l["message"] == "batch done")
        .collect();
    assert_eq!(logged.len(), 1, "{}", stderr_of(&out));
    let line = &logged[0];
    assert_eq!(
        (&line["records"], &line["items"], &line["rejected"]),
        (
            &serde_json::json!(12),
            &serde_json::json!(2),
            &serde_json::json!(2)
        ),
        "{line}"
    );
}
