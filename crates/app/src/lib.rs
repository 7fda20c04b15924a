//! `mbx`: a command-line tool for the Binance Spot API.
//!
//! `main` parses the command line, runs one command and maps its outcome to
//! an exit code. Each command lives in `commands/`: it parses, calls one
//! use-case of the libraries and prints through [`printer::Printer`].

mod cli;
mod commands;
mod context;
mod env;
mod error;
mod exit;
mod printer;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match cli::Cli::try_parse_from(&args) {
        Ok(cli) => commands::run(cli).into(),
        Err(err) => argument_error(&err, args.iter().any(|arg| arg == "--json")).into(),
    }
}

/// A clap error: help and `--version` print as clap prints them; a usage
/// error under `--json` is the same JSON error as any other, on stdout.
fn argument_error(err: &clap::Error, json: bool) -> exit::ExitStatus {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            exit::ExitStatus::Usage
        } else {
            exit::ExitStatus::Success
        };
    }
    if json {
        let message = err.kind().as_str().map_or_else(
            || {
                err.to_string()
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ")
                    .to_owned()
            },
            str::to_owned,
        );
        let detail = err
            .to_string()
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("error: ")
            .to_owned();
        let error = error::CliError::usage(
            if detail.is_empty() { message } else { detail },
            Some("run `mbx --help`, or `mbx COMMAND --help`, for the flags each command takes"),
        );
        return printer::Printer::new(true, false).error(&error);
    }
    let _ = err.print();
    exit::ExitStatus::Usage
}
