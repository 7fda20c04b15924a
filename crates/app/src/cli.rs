//! The command line, as clap structs. Each subcommand's arguments live next
//! to its implementation in `commands/`; the connection flags are in
//! [`crate::context`] and appear only on the commands that connect.

use clap::{Parser, Subcommand};

use crate::commands;

const AFTER_HELP: &str = "\
Exit status:
  0  success
  1  Binance API error (the server answered with an error code), or an order
     whose outcome is unknown (look it up before sending it again)
  2  usage or configuration error (bad flags, missing or malformed credentials)
  3  network error (the server could not be reached or did not answer)

Environment:
  BINANCE_API_KEY           the API key, sent in the `X-MBX-APIKEY` header
  BINANCE_API_SECRET        the HMAC secret (never pass a secret as an argument)
  BINANCE_PRIVATE_KEY_FILE  a PEM file with an Ed25519 or RSA private key
  MBX_PROFILE, MBX_CONFIG   the profile to use and the profile file
  NO_COLOR                  no colour in any output

Credentials come from `--profile NAME`, else the environment, else the default
profile; `mbx config` shows what is used. Shell completion: `mbx completions
SHELL`; man pages: `cargo xtask man` in the source tree (see the README).";

/// A toolkit for the Binance Spot API: balances, signed calls, a signer for
/// curl and other languages, a doctor, streams, and a local sandbox exchange.
#[derive(Debug, Parser)]
#[command(name = "mbx", version = crate::VERSION, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Print machine-readable JSON on stdout (errors too, as
    /// `{"code","msg","hint","category","retryable"}`).
    #[arg(long, global = true)]
    pub json: bool,

    /// More logging on stderr (`-v` info, naming each request instead of
    /// showing a spinner; `-vv` debug); secrets are redacted.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// No notices, warnings or spinner on stderr (errors still print).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Sign(commands::sign::SignArgs),
    Balances(commands::balances::BalancesArgs),
    Api(commands::api::ApiArgs),
    Order(commands::order::OrderArgs),
    Orders(commands::orders::OrdersArgs),
    Trades(commands::orders::TradesArgs),
    Time(commands::time::TimeArgs),
    Doctor(commands::doctor::DoctorArgs),
    Config(commands::config::ConfigArgs),
    Explain(commands::explain::ExplainArgs),
    Sandbox(commands::sandbox::SandboxArgs),
    Stream(commands::stream::StreamArgs),
    Book(commands::book::BookArgs),
    UserStream(commands::stream::UserStreamArgs),
    Record(commands::record::RecordArgs),
    Replay(commands::record::ReplayArgs),
    Completions(commands::completions::CompletionsArgs),
}
