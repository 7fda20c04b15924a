//! One module per subcommand. Each exposes its clap `Args` and a `run` that
//! resolves the context, calls one use-case and prints.

pub mod api;
pub mod balances;
pub mod book;
pub mod completions;
pub mod config;
pub mod doctor;
pub mod explain;
pub mod order;
pub mod order_list;
pub mod orders;
pub mod record;
pub mod sandbox;
pub mod sign;
pub mod stream;
pub mod time;

use crate::cli::{Cli, Command};
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::printer::Printer;

/// Runs the parsed command line and returns how it ended.
pub fn run(cli: Cli) -> ExitStatus {
    let global = cli.global;
    let res = match cli.command {
        Command::Sign(args) => sign::run(&global, args),
        Command::Balances(args) => balances::run(&global, args),
        Command::Api(args) => api::run(&global, args),
        Command::Order(args) => order::run(&global, args),
        Command::Orders(args) => orders::run(&global, args),
        Command::Trades(args) => orders::run_trades(&global, args),
        Command::Time(args) => time::run(&global, args),
        Command::Config(args) => config::run(&global, args),
        Command::Sandbox(args) => sandbox::run(&global, args),
        Command::Stream(args) => stream::run(&global, args),
        Command::Book(args) => book::run(&global, args),
        Command::UserStream(args) => stream::run_user_stream(&global, args),
        Command::Record(args) => record::run(&global, args),
        Command::Replay(args) => record::run_replay(&global, args),
        Command::Completions(args) => completions::run(&global, args),
        Command::Explain(args) => match explain::run(&global, args) {
            Ok(status) => return status,
            Err(err) => Err(err),
        },
        Command::Doctor(args) => match doctor::run(&global, args) {
            Ok(status) => return status,
            Err(err) => Err(err),
        },
    };
    match res {
        Ok(()) => ExitStatus::Success,
        Err(err) => report(&global, &err),
    }
}

fn report(global: &crate::cli::GlobalArgs, err: &CliError) -> ExitStatus {
    Printer::new(global.json, global.quiet).error(err)
}

/// Parses `500ms`, `30s`, `5m`, `1h`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` needs a unit: ms, s, m or h"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a number"))?;
    let millis = match unit {
        "ms" => Some(number),
        "s" => number.checked_mul(1000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`; use ms, s, m or h"
            ));
        }
    };
    millis
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is too long"))
}

/// Ctrl-C, as the stop signal of a live use-case.
pub async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handler: run until the other limits end it.
        std::future::pending::<()>().await;
    }
}
