//! cargo-lambda's Runtime API emulator (`cargo lambda watch --only-lambda-apis`), the
//! `swapstream` binary running against it as a Lambda function would, and `cargo lambda invoke`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::Running;
use crate::{LOOPBACK, free_port, swapstream_bin, wait_for_port, workspace_root};

/// How long an invocation may take.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(120);

/// The emulator plus one function process.
pub struct LambdaFunction {
    port: u16,
    emulator: Running,
    function: Running,
}

/// What an invocation returned.
#[derive(Debug)]
pub struct Invocation {
    /// Whether `cargo lambda invoke` succeeded (the function returned a response).
    pub ok: bool,
    /// The response (or error) body.
    pub body: String,
}

impl LambdaFunction {
    /// Starts the emulator, then `swapstream` with `env` and the variables the emulator
    /// prescribes, and waits until both are up. Logs go to `logs`.
    pub fn start(env: &[(String, String)], logs: &Path) -> Self {
        let port = free_port();
        let mut watch = Command::new("cargo");
        watch
            .current_dir(workspace_root())
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "--invoke-address",
                LOOPBACK,
                "--invoke-port",
            ])
            .arg(port.to_string());
        let emulator = Running::spawn(
            "cargo lambda watch",
            watch,
            &logs.join("lambda-emulator.log"),
        );
        wait_for_port(port, "cargo lambda watch", Duration::from_secs(120));

        let mut function = Command::new(swapstream_bin());
        function
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://{LOOPBACK}:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
            .env("SWAPSTREAM_CACHE_DIR", logs.join("module-cache"))
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut function =
            Running::spawn("swapstream (lambda)", function, &logs.join("function.log"));
        // Ready once the tables are checked and the runtime loop is about to poll.
        let started = Instant::now();
        while !function.output().contains("ready for invocations") {
            assert!(
                function.is_running(),
                "the function exited during start-up: {}",
                function.output()
            );
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the function did not start: {}",
                function.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            port,
            emulator,
            function,
        }
    }

    /// Invokes the function with the event in `event_file` through `cargo lambda invoke`.
    pub fn invoke(&mut self, event_file: &Path) -> Invocation {
        assert!(
            self.function.is_running(),
            "the function exited: {}",
            self.function.output()
        );
        let mut child = Command::new("cargo")
            .current_dir(workspace_root())
            .args([
                "lambda",
                "invoke",
                "_",
                "--invoke-address",
                LOOPBACK,
                "--invoke-port",
            ])
            .arg(self.port.to_string())
            .arg("--data-file")
            .arg(event_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cargo lambda invoke runs");
        // The emulator waits for a response forever if the function died; don't.
        let started = Instant::now();
        while child
            .try_wait()
            .expect("waiting for cargo lambda invoke")
            .is_none()
        {
            if started.elapsed() > INVOKE_TIMEOUT || !self.function.is_running() {
                let _ = child.kill();
                panic!(
                    "no response within {INVOKE_TIMEOUT:?}; function log:\n{}",
                    self.function.output()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child
            .wait_with_output()
            .expect("cargo lambda invoke output");
        let body = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Invocation {
            ok: out.status.success(),
            body,
        }
    }

    /// The function process's id (unchanged while the same process serves invocations).
    pub fn pid(&self) -> u32 {
        self.function.pid()
    }

    /// Whether the function process is still running.
    pub fn is_running(&mut self) -> bool {
        self.function.is_running()
    }

    /// The function's log so far.
    pub fn function_log(&self) -> String {
        self.function.output()
    }

    /// The emulator's log so far.
    pub fn emulator_log(&self) -> String {
        self.emulator.output()
    }
}
