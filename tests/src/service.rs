//! The real `swapstream` binary in service mode (`swapstream run`), with its `/metrics` and
//! `/healthz` read over plain HTTP.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::Running;
use crate::{LOOPBACK, free_port, swapstream_bin};

/// How to start a host.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// `host:port` of the broker.
    pub brokers: String,
    /// Topic.
    pub topic: String,
    /// Consumer group.
    pub group: String,
    /// Environment (AWS endpoint and credentials, tables, batching…), passed as is.
    pub env: Vec<(String, String)>,
    /// Extra command-line arguments.
    pub args: Vec<String>,
    /// Directory for logs and the module cache.
    pub dir: PathBuf,
}

impl HostConfig {
    /// A host reading `topic` as `group`, writing to the tables `readings` and `dead-letters`
    /// of the DynamoDB Local whose environment is `db_env`.
    pub fn new(
        brokers: &str,
        topic: &str,
        group: &str,
        db_env: Vec<(String, String)>,
        dir: &Path,
    ) -> Self {
        let mut env = db_env;
        env.push(("SWAPSTREAM_TABLE".into(), "readings".into()));
        env.push(("SWAPSTREAM_DEAD_LETTER_TABLE".into(), "dead-letters".into()));
        env.push(("SWAPSTREAM_LOG".into(), "info,librdkafka=warn".into()));
        Self {
            brokers: brokers.to_owned(),
            topic: topic.to_owned(),
            group: group.to_owned(),
            env,
            args: Vec::new(),
            dir: dir.to_path_buf(),
        }
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Adds a raw librdkafka option.
    pub fn kafka_option(mut self, option: &str) -> Self {
        self.args.push("--kafka-option".into());
        self.args.push(option.to_owned());
        self
    }
}

/// A running `swapstream run`.
pub struct Host {
    /// The process.
    pub process: Running,
    /// Port of `/metrics` and `/healthz`.
    pub http_port: u16,
}

impl Host {
    /// Starts a host named `name` (its log is `<dir>/<name>.log`) and waits until its HTTP
    /// server answers.
    pub fn start(config: &HostConfig, name: &str) -> Self {
        let http_port = free_port();
        let mut cmd = Command::new(swapstream_bin());
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::var_os("HOME").unwrap_or_default())
            .env("SWAPSTREAM_CACHE_DIR", config.dir.join("module-cache"))
            .env("SWAPSTREAM_METRICS_ADDR", format!("{LOOPBACK}:{http_port}"))
            .envs(config.env.iter().map(|(k, v)| (k, v)))
            .args([
                "run",
                "--brokers",
                &config.brokers,
                "--topic",
                &config.topic,
                "--group",
                &config.group,
            ])
            // Group joins take ~23 s on Tansu with the librdkafka defaults, ~3 s with this.
            .args(["--kafka-option", "session.timeout.ms=6000"])
            .args(&config.args);
        let mut process = Running::spawn(name, cmd, &config.dir.join(format!("{name}.log")));
        let started = Instant::now();
        while TcpStream::connect((LOOPBACK, http_port)).is_err() {
            assert!(
                process.is_running(),
                "{name} exited at start:\n{}",
                process.output()
            );
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "{name} did not serve /healthz within 120 s:\n{}",
                process.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { process, http_port }
    }

    /// `GET path` on the host's HTTP server: status code and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(self.http_port, path)
    }

    /// Whether `/healthz` answers 200.
    pub fn healthy(&self) -> bool {
        self.get("/healthz").0 == 200
    }

    /// The value of a metric sample, e.g. `swapstream_records_in_total` or
    /// `swapstream_stored_offset{partition="0",topic="t"}` (labels in the exporter's order);
    /// 0 when absent.
    pub fn metric(&self, sample: &str) -> f64 {
        metric_value(&self.get("/metrics").1, sample)
    }

    /// The host's log.
    pub fn log(&self) -> String {
        self.process.output()
    }

    /// SIGTERM; returns the exit code and how long the host took to exit.
    pub fn terminate(&mut self) -> (Option<i32>, Duration) {
        let started = Instant::now();
        let code = self.process.terminate();
        (code, started.elapsed())
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        self.process.kill();
    }
}

/// The value of `sample` in a Prometheus text exposition; 0 when absent.
pub fn metric_value(exposition: &str, sample: &str) -> f64 {
    exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            (name == sample).then(|| value.parse().ok())?
        })
        .unwrap_or(0.0)
}

/// A bare HTTP/1.1 GET on the loopback interface.
pub fn http_get(port: u16, path: &str) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect((LOOPBACK, port)) else {
        return (0, String::new());
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
