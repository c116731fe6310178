//! The command line: `swapstream <command>`. Parses, sets up logging and the runtime, and
//! hands off to the command's module.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{LogArgs, in_lambda};
use crate::lambda::LambdaArgs;
use crate::module_cmd::ModuleCommandArgs;
use crate::produce::ProduceArgs;
use crate::replay::ReplayArgs;
use crate::service::RunArgs;

/// Runs hot-swappable WebAssembly analytics modules over Kafka batches and writes the results
/// to DynamoDB.
///
/// Every option can also be set by the environment variable shown with it. Inside AWS Lambda
/// (when AWS_LAMBDA_RUNTIME_API is set) and without a command, `lambda` is assumed.
#[derive(Debug, Parser)]
#[command(name = "swapstream", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub log: LogArgs,
    #[command(subcommand)]
    #[allow(missing_docs)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a Kafka event source mapping as an AWS Lambda function (the default in Lambda).
    Lambda(LambdaArgs),
    /// Run a Lambda-format Kafka event file through a module and print the items (no AWS).
    Replay(ReplayArgs),
    /// Consume Kafka topics as a member of a consumer group and write the results (service
    /// mode), with /metrics and /healthz.
    Run(Box<RunArgs>),
    /// Write reference-like telemetry to a Kafka topic (a load generator).
    Produce(Box<ProduceArgs>),
    /// Check, compare and publish modules: `module check|diff|push`.
    Module(ModuleCommandArgs),
}

impl Command {
    /// Commands that print their results keep the terminal for them.
    fn default_log_filter(&self) -> &'static str {
        match self {
            Command::Replay(_) | Command::Module(_) => "warn",
            Command::Lambda(_) | Command::Run(_) | Command::Produce(_) => "info",
        }
    }
}

/// How a command ended badly, and with which exit code.
#[derive(Debug)]
pub enum Exit {
    /// Bad configuration, found before anything was processed: exit code 2.
    Config(String),
    /// A failure while working: exit code 1.
    Failure(String),
}

impl Cli {
    /// Parses `args`; with no command inside Lambda, `lambda` is implied. `--help` and
    /// `--version` print and exit 0; a usage error prints one line and exits 2.
    pub fn parse_args<I, T>(args: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        if args.len() <= 1 && in_lambda() {
            args.push("lambda".into());
        }
        match Cli::try_parse_from(args) {
            Ok(cli) => cli,
            Err(e) if !e.use_stderr() => e.exit(),
            Err(e) => {
                // clap's message is the first line; the usage block after it is noise in
                // logs (Lambda init errors, service supervisors).
                let text = e.to_string();
                let first = text
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("invalid arguments");
                let first = first.strip_prefix("error: ").unwrap_or(first);
                eprintln!("error: {first} (see `swapstream --help`)");
                std::process::exit(2);
            }
        }
    }
}

/// Runs the parsed command line to completion.
pub fn run(cli: Cli) -> ExitCode {
    let Some(command) = cli.command else {
        eprintln!("error: no command given; see `swapstream --help`");
        return ExitCode::from(2);
    };
    if let Err(e) = crate::logging::init(&cli.log, command.default_log_filter()) {
        return report(Exit::Config(e.to_string()));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return report(Exit::Failure(format!(
                "cannot start the async runtime: {e}"
            )));
        }
    };
    let result = runtime.block_on(async {
        match command {
            Command::Lambda(args) => crate::lambda::run(args).await,
            Command::Replay(args) => crate::replay::run(args).await,
            Command::Run(args) => crate::service::run(*args).await,
            Command::Produce(args) => crate::produce::run(*args).await,
            Command::Module(args) => crate::module_cmd::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(exit) => report(exit),
    }
}

fn report(exit: Exit) -> ExitCode {
    match exit {
        Exit::Config(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Exit::Failure(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}
