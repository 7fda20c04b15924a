//! `mbx`: a command-line tool for the Binance Spot API.
//!
//! [`main`] parses the command line, runs one command and maps its outcome
//! to an exit code. Each command lives in `commands/`: it parses, calls one
//! use-case of the libraries and prints through the one printer.
//!
//! This library target exists so that what is generated from the clap
//! definitions (the man pages of `cargo xtask man`, the help examples the
//! end-to-end tests run) reads the very definitions the binary parses:
//! [`command`] is the clap command tree, [`man_pages`] renders it. It is not
//! an API for embedders; they use `mbx-client` and the adapters.

mod cli;
mod commands;
mod context;
mod env;
mod error;
mod exit;
mod printer;
mod progress;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};

/// `mbx 0.1.0 (1a2b3c4)`: the version and the commit it was built from
/// (`unknown` when built outside a git checkout), as `mbx --version` prints
/// it.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("MBX_COMMIT"), ")");

/// The whole command tree, as clap builds it from the definitions in
/// `cli.rs` and `commands/`.
pub fn command() -> clap::Command {
    cli::Cli::command()
}

/// One man page: its file name (`mbx.1`, `mbx-balances.1`,
/// `mbx-config-init.1`) and its roff source.
#[derive(Debug, Clone)]
pub struct ManPage {
    /// The file name, section included.
    pub file_name: String,
    /// The page, in roff.
    pub roff: Vec<u8>,
}

/// A man page for `mbx` and one for every subcommand, nested ones included,
/// generated from [`command`].
pub fn man_pages() -> Vec<ManPage> {
    let mut root = command().disable_help_subcommand(true);
    root.build();
    let mut pages = Vec::new();
    collect_man_pages(root, &mut pages);
    pages
}

fn collect_man_pages(command: clap::Command, pages: &mut Vec<ManPage>) {
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        collect_man_pages(sub.clone(), pages);
    }
    let man = clap_mangen::Man::new(command).manual("mbx manual");
    let mut roff = Vec::new();
    // Rendering into a Vec cannot fail: the writer never refuses bytes.
    if man.render(&mut roff).is_ok() {
        pages.push(ManPage {
            file_name: man.get_filename(),
            roff: name_the_notes(roff),
        });
    }
}

/// clap_mangen puts the text after the options (`after_help`: exit status,
/// environment) under `EXTRA`; man pages call that `NOTES`.
fn name_the_notes(roff: Vec<u8>) -> Vec<u8> {
    match String::from_utf8(roff) {
        Ok(text) => text.replace("\n.SH EXTRA\n", "\n.SH NOTES\n").into_bytes(),
        Err(err) => err.into_bytes(),
    }
}

/// Runs `mbx` with the process's arguments.
pub fn main() -> ExitCode {
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
