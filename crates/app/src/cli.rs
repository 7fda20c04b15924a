//! The command line, as clap structs. Each subcommand's arguments live next
//! to its implementation in `commands/`.

use clap::{Parser, Subcommand};

use crate::commands;

const AFTER_HELP: &str = "\
Exit status:
  0  success
  1  Binance API error (the server answered with an error code)
  2  usage or configuration error (bad flags, missing or malformed credentials)
  3  network error (the server could not be reached or did not answer)

Environment:
  BINANCE_API_KEY           the API key, sent in the `X-MBX-APIKEY` header
  BINANCE_API_SECRET        the HMAC secret (never pass a secret as an argument)
  BINANCE_PRIVATE_KEY_FILE  a PEM file with an Ed25519 or RSA private key";

/// A toolkit for the Binance Spot API: balances, signed calls, a signer for
/// curl and other languages, a doctor, streams, and a local sandbox exchange.
#[derive(Debug, Parser)]
#[command(name = "mbx", version, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Print machine-readable JSON on stdout (errors too, as
    /// `{"code":..,"msg":..,"hint":..}`).
    #[arg(long, global = true)]
    pub json: bool,

    /// More logging on stderr (`-v` info, `-vv` debug); secrets are redacted.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(flatten)]
    pub connect: crate::context::ConnectArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Sign(commands::sign::SignArgs),
    Balances(commands::balances::BalancesArgs),
    Api(commands::api::ApiArgs),
    Time(commands::time::TimeArgs),
    Doctor(commands::doctor::DoctorArgs),
    Explain(commands::explain::ExplainArgs),
    Sandbox(commands::sandbox::SandboxArgs),
    Stream(commands::stream::StreamArgs),
    UserStream(commands::stream::UserStreamArgs),
}
