//! `mbx`: a command-line tool for the Binance Spot API.
//!
//! `main` parses the command line, runs one command and maps its outcome to
//! an exit code. Each command lives in `commands/` and only wires library
//! crates together and prints.

mod cli;
mod commands;
mod config;
mod context;
mod env;
mod exit;
mod output;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let status = commands::run(cli);
    status.into()
}
