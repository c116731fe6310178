//! Checks of the repository itself: the docs name only paths and `make` targets that exist,
//! no code comment or WIT doc quotes a measurement (figures live in BENCHMARKS.md), and the
//! core crate stays free of wasmtime, rdkafka and the AWS SDK.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Files under the repository, skipping what is not source (build output, dependencies).
fn files(extensions: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !["target", "node_modules", "dist", ".terraform"].contains(&name.as_str())
                    && !name.starts_with('.')
                {
                    walk(&path, extensions, out);
                }
            } else if extensions.iter().any(|e| name.ends_with(e)) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    let root = repo_root();
    walk(&root, extensions, &mut out);
    // Dot-directories hold configuration that is source too.
    for dot in [".cargo", ".ci"] {
        if root.join(dot).is_dir() {
            walk(&root.join(dot), extensions, &mut out);
        }
    }
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap()
        .display()
        .to_string()
}

/// The Markdown outside fenced code blocks, line by line (commands in code blocks may name
/// files the reader creates).
fn prose(markdown: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    markdown
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .map(|(i, line)| (i + 1, line))
        .collect()
}

/// `code` spans and link targets of a line.
fn references(line: &str) -> Vec<String> {
    let mut refs = Vec::new();
    for (i, span) in line.split('`').enumerate() {
        if i % 2 == 1 {
            refs.push(span.to_owned());
        }
    }
    let mut rest = line;
    while let Some(start) = rest.find("](") {
        rest = &rest[start + 2..];
        if let Some(end) = rest.find(')') {
            refs.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    refs
}

/// Whether a reference names a path in this repository (rather than a command, a value, a
/// URL, a path on the user's machine or a placeholder).
/// Directories builds make: the docs name files in them that exist only after a given build.
const BUILD_OUTPUTS: [&str; 2] = ["target", "dist"];

fn as_repository_path(reference: &str, tops: &BTreeSet<String>) -> Option<String> {
    let r = reference.split('#').next().unwrap_or_default();
    if r.is_empty()
        || r.contains("://")
        || r.contains(' ')
        || r.contains(['<', '>', '*', '{', '}', '…', '$', '~', '=', ':', '|'])
        || r.starts_with('/')
        || r.starts_with('-')
    {
        return None;
    }
    let first = r.split('/').next().unwrap_or_default();
    (tops.contains(first) && (r.contains('/') || r.contains('.'))).then(|| r.to_owned())
}

#[test]
fn every_repository_path_named_in_the_docs_exists() {
    let root = repo_root();
    let tops: BTreeSet<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !BUILD_OUTPUTS.contains(&n.as_str()))
        .collect();
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in files(&[".md"]) {
        let text = std::fs::read_to_string(&doc).unwrap();
        let dir = doc.parent().unwrap();
        // A doc below the root names paths relative to itself, or to the root.
        let local: BTreeSet<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !BUILD_OUTPUTS.contains(&n.as_str()))
            .collect();
        for (line_no, line) in prose(&text) {
            for reference in references(line) {
                let Some(path) =
                    as_repository_path(&reference, &tops.union(&local).cloned().collect())
                else {
                    continue;
                };
                checked += 1;
                if !root.join(&path).exists() && !dir.join(&path).exists() {
                    missing.push(format!("{}:{line_no}: {path}", relative(&doc)));
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} paths found: is the scan broken?"
    );
    assert!(
        missing.is_empty(),
        "paths named in docs that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_make_target_named_in_the_docs_exists() {
    let root = repo_root();
    let makefile = std::fs::read_to_string(root.join("Makefile")).unwrap();
    let targets: BTreeSet<&str> = makefile
        .lines()
        .filter_map(|l| l.split_once(':').map(|(t, _)| t))
        .filter(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .collect();
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in files(&[".md"]) {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (i, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("make ") {
                let before = rest[..at].chars().last();
                rest = &rest[at + 5..];
                if before.is_some_and(|c| c.is_alphanumeric()) {
                    continue;
                }
                let target: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '-' || *c == '_')
                    .collect();
                if target.is_empty() {
                    continue;
                }
                checked += 1;
                if !targets.contains(target.as_str()) {
                    missing.push(format!("{}:{}: make {target}", relative(&doc), i + 1));
                }
            }
        }
    }
    assert!(
        checked >= 3,
        "only {checked} make targets found: is the scan broken?"
    );
    assert!(
        missing.is_empty(),
        "make targets named in docs that the Makefile lacks:\n{}",
        missing.join("\n")
    );
}

/// A comment line, for the languages of the repository.
fn comment(path: &Path, line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    let name = path.to_string_lossy();
    let marker = if name.ends_with(".rs") || name.ends_with(".wit") {
        line.find("//")?
    } else {
        line.find('#').filter(|_| !trimmed.is_empty())?
    };
    Some(line[marker..].to_owned())
}

/// Whether a comment quotes a measurement: a percentage, a "×" ratio or the word "measured".
fn quotes_a_measurement(comment: &str) -> bool {
    let lower = comment.to_lowercase();
    if lower.contains("measured") || comment.contains('×') {
        return true;
    }
    let bytes = comment.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'%' && (bytes[..i].iter().rev().find(|c| **c != b' ')).is_some_and(u8::is_ascii_digit)
    })
}

#[test]
fn no_comment_or_wit_doc_quotes_a_measurement() {
    let mut found = Vec::new();
    // This file's own examples of what the check catches are not measurements.
    let this = Path::new(file!()).file_name().unwrap();
    for path in files(&[".rs", ".wit", ".toml", ".sh", ".tf"]) {
        if relative(&path).starts_with("tests/checks") && path.file_name() == Some(this) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some(c) = comment(&path, line)
                && quotes_a_measurement(&c)
            {
                found.push(format!("{}:{}: {}", relative(&path), i + 1, c.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "comments quoting measurements (figures belong in BENCHMARKS.md):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_measurement_check_catches_what_it_is_for() {
    assert!(quotes_a_measurement("// inlining made it 18% faster"));
    assert!(quotes_a_measurement("/// which measured as 5 % of a batch"));
    assert!(quotes_a_measurement("# 1.4× the native build"));
    assert!(!quotes_a_measurement(
        "// rounds half to even, as Python does"
    ));
    assert!(!quotes_a_measurement(
        "// 100 records or 500 ms, whichever first"
    ));
}

/// Every package in Cargo.lock with the packages it depends on (by name).
fn lock_graph() -> BTreeMap<String, Vec<String>> {
    let lock = std::fs::read_to_string(repo_root().join("Cargo.lock")).unwrap();
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock.split("[[package]]").skip(1) {
        let name = package
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .unwrap()
            .trim_matches('"')
            .to_owned();
        let mut deps = Vec::new();
        if let Some(list) = package.split("dependencies = [").nth(1) {
            for line in list.lines() {
                let line = line.trim();
                if line == "]" {
                    break;
                }
                let dep = line.trim_matches(|c| c == '"' || c == ',');
                if let Some(name) = dep.split(' ').next().filter(|n| !n.is_empty()) {
                    deps.push(name.to_owned());
                }
            }
        }
        graph.entry(name).or_default().extend(deps);
    }
    graph
}

#[test]
fn the_core_crate_depends_on_no_webassembly_runtime_kafka_client_or_aws_sdk() {
    let graph = lock_graph();
    let mut seen = BTreeSet::new();
    let mut pending = vec!["swapstream-core".to_owned()];
    while let Some(name) = pending.pop() {
        if seen.insert(name.clone()) {
            pending.extend(graph.get(&name).cloned().unwrap_or_default());
        }
    }
    assert!(
        seen.contains("tokio"),
        "the closure was not computed: {seen:?}"
    );
    let vendor: Vec<&String> = seen
        .iter()
        .filter(|n| {
            n.starts_with("wasmtime")
                || n.starts_with("rdkafka")
                || n.starts_with("aws-")
                || n.starts_with("lambda_runtime")
                || n.starts_with("swapstream-") && n.as_str() != "swapstream-core"
        })
        .collect();
    assert!(vendor.is_empty(), "swapstream-core depends on {vendor:?}");
}

/// Rust sources of the crates that log what the alarms read.
fn host_sources() -> String {
    files(&[".rs"])
        .into_iter()
        .filter(|p| {
            let r = relative(p);
            r.starts_with("core/src") || r.starts_with("host/src") || r.starts_with("adapters/")
        })
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn every_log_message_the_alarms_read_is_one_the_host_logs() {
    let monitoring =
        std::fs::read_to_string(repo_root().join("terraform/consumer/monitoring.tf")).unwrap();
    let messages: BTreeSet<&str> = monitoring
        .split("$.message = \\\"")
        .skip(1)
        .filter_map(|rest| rest.split("\\\"").next())
        .collect();
    assert!(
        messages.len() >= 4,
        "the metric filters name {messages:?}: is the scan broken?"
    );
    let sources = host_sources();
    let silent: Vec<&&str> = messages
        .iter()
        .filter(|m| !sources.contains(&format!("\"{m}\"")))
        .collect();
    assert!(
        silent.is_empty(),
        "terraform/consumer/monitoring.tf filters on messages the host never logs: {silent:?}"
    );
}
