//! The `swapstream` binary: parses the command line and hands off (see `swapstream::cli`).

fn main() -> std::process::ExitCode {
    swapstream::cli::run(swapstream::cli::Cli::parse_args(std::env::args_os()))
}
