//! One module per subcommand. Each exposes its clap `Args` and a `run`.

pub mod api;
pub mod balances;
pub mod balances_watch;
pub mod doctor;
pub mod explain;
pub mod sandbox;
pub mod sign;
pub mod stream;
pub mod time;

use std::io;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;
use crate::output::{self, UserError};

/// Runs the parsed command line and returns how it ended.
pub fn run(cli: Cli) -> ExitStatus {
    let json = cli.global.json;
    let res = match cli.command {
        Command::Sign(args) => sign::run(&cli.global, args),
        Command::Balances(args) => balances::run(&cli.global, args),
        Command::Api(args) => api::run(&cli.global, args),
        Command::Time(args) => time::run(&cli.global, args),
        Command::Sandbox(args) => sandbox::run(&cli.global, args),
        Command::Stream(args) => stream::run(&cli.global, args),
        Command::UserStream(args) => stream::run_user_stream(&cli.global, args),
        Command::Explain(args) => match explain::run(&cli.global, args) {
            Ok(status) => return status,
            Err(err) => Err(err),
        },
        Command::Doctor(args) => match doctor::run(&cli.global, args) {
            Ok(status) => return status,
            Err(err) => Err(err),
        },
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
