//! One module per subcommand. Each exposes its clap `Args` and a `run`.

pub mod sign;

use std::io;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;
use crate::output::{self, UserError};

/// Runs the parsed command line and returns how it ended.
pub fn run(cli: Cli) -> ExitStatus {
    let json = cli.global.json;
    let res = match cli.command {
        Command::Sign(args) => sign::run(&cli.global, args),
    };
    match res {
        Ok(()) => ExitStatus::Success,
        Err(err) => output::report_error(&err, json),
    }
}

/// Turns a failed write to stdout into an outcome: a closed pipe ends the
/// command quietly with success.
pub fn stdout_result(res: io::Result<()>) -> Result<(), UserError> {
    match res {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(UserError::usage(
            format!("cannot write to stdout: {err}"),
            None,
        )),
    }
}
