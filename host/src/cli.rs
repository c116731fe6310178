//! The command line: `swapstream <command>`. Parses, sets up logging and the runtime, and
//! hands off to the command's module.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands::lambda::LambdaArgs;
use crate::commands::module::ModuleCommandArgs;
use crate::commands::produce::ProduceArgs;
use crate::commands::replay::ReplayArgs;
use crate::commands::run::RunArgs;
use crate::commands::{lambda, module, produce, replay, run};
use crate::exit::Exit;
use crate::settings::{LogArgs, in_lambda};

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
            Command::Lambda(args) => lambda::run(args).await,
            Command::Replay(args) => replay::run(args).await,
            Command::Run(args) => run::run(*args).await,
            Command::Produce(args) => produce::run(*args).await,
            Command::Module(args) => module::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(exit) => report(exit),
    }
}

fn report(exit: Exit) -> ExitCode {
    eprintln!("error: {}", exit.message());
    ExitCode::from(exit.code())
}
