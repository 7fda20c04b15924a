//! `mbx sandbox`: run a local Binance-compatible Spot exchange.

use std::path::PathBuf;

use mbx_sandbox::{ConfigFile, Overrides, Sandbox};

use crate::cli::GlobalArgs;
use crate::env;
use crate::error::CliError as UserError;
use crate::printer::{Printer, written};

/// Run a local Binance-compatible Spot exchange (REST, WebSocket Streams, WebSocket API) for offline testing.
///
/// Serves `/api/v3/...` and `/sapi/...` on one port with Binance's URLs,
/// signature rules (HMAC, Ed25519, RSA), timestamp checks, error codes, rate
/// limits and a deterministic moving market (same `--seed`, same prices).
/// Point any Binance client's base URL at the printed address.
///
/// With no flags it creates a demo account with realistic balances and
/// prints a demo API key and secret. `--api-key` with `--api-secret` (or
/// `MBX_SANDBOX_API_SECRET`) registers your own HMAC key instead; the
/// secret flag exists only for throwaway sandbox secrets, never pass a real
/// Binance secret on a command line. `--ed25519-public-key-file` and
/// `--rsa-public-key-file` register public keys (SPKI PEM) for signing with
/// the matching private key.
///
/// `--config FILE` reads a TOML file; flags given on the command line win:
///
///   port = 9900
///   seed = 7
///   clock_offset_ms = 0
///   [limits]
///   request_weight_per_minute = 6000
///   [[accounts]]
///   uid = 1
///   balances = { BTC = "1.5", USDT = "10000" }
///   [[accounts.api_keys]]
///   api_key = "myKey1"
///   secret = "mySecret1"            # or public_key_file = "ed25519.pub.pem"
///   read_only = false
///   [replay]                        # as --replay, --speed, --loop, --start-now
///   dir = "rec"
///   speed = "max"                   # or 1, 10
///   loop = false
///   start_now = false
///
/// `--replay DIR` drives the market by a recording of `mbx record`
/// instead of the seeded walk: the recorded trades (same IDs, prices and
/// quantities) and the recorded book (snapshots, then diffs), with depth,
/// tickers and klines derived from them, over REST and every stream;
/// orders match against the recorded book, the same way every time. The
/// replay clock starts when the first market-data client subscribes (so
/// nothing is missed at `--speed max`), or at launch with `--start-now`;
/// `--loop` plays it again at the end. A recorded symbol the sandbox does
/// not list is added with loose rules (steps of 0.00000001).
///
/// Ctrl-C (or SIGTERM) stops it; `--duration 30m` stops it after that long,
/// for a CI job that must not leave a server behind. The usual session is
/// `mbx sandbox --port 9900` in one terminal and any Binance client pointed
/// at `http://127.0.0.1:9900` in another, with the printed key and secret.
///
/// Examples:
///
///   mbx sandbox --port 0 --duration 1s
///
///   mbx sandbox --port 0 --balances BTC=2,USDT=50000 --seed 42 --json --duration 1s
///
///   MBX_SANDBOX_API_SECRET=test-secret mbx sandbox --port 0 --api-key testKey --read-only --duration 1s
///
///   mbx record btcusdt@trade btcusdt@depth --out rec --sandbox --duration 3s 2>/dev/null && mbx sandbox --port 0 --replay rec --speed max --start-now --duration 2s
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct SandboxArgs {
    /// TCP port on 127.0.0.1 (0 picks a free one) [default: 0]
    #[arg(long, value_name = "P")]
    port: Option<u16>,

    /// The API key clients send in `X-MBX-APIKEY` [default: the demo key]
    #[arg(long, value_name = "K")]
    api_key: Option<String>,

    /// The HMAC secret for `--api-key` (throwaway sandbox secrets only)
    #[arg(long, value_name = "S", env = env::MBX_SANDBOX_API_SECRET, hide_env_values = true)]
    api_secret: Option<String>,

    /// Register an Ed25519 public key (SPKI PEM file)
    #[arg(long, value_name = "F")]
    ed25519_public_key_file: Option<PathBuf>,

    /// Register an RSA public key (SPKI PEM file)
    #[arg(long, value_name = "F")]
    rsa_public_key_file: Option<PathBuf>,

    /// Keys may read but not trade (orders answer -2015)
    #[arg(long)]
    read_only: bool,

    /// Starting balances, e.g. `BTC=1.5,USDT=10000`
    #[arg(long, value_name = "ASSET=AMOUNT,...")]
    balances: Option<String>,

    /// Seed of the price walk [default: 1]
    #[arg(long, value_name = "N")]
    seed: Option<u64>,

    /// Sandbox clock = system clock + MS milliseconds [default: 0]
    #[arg(long, value_name = "MS", allow_hyphen_values = true)]
    clock_offset_ms: Option<i64>,

    /// Read settings from a TOML file (see above)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Fault injection: delay every REST request and WebSocket API response
    #[arg(long, value_name = "MS")]
    latency_ms: Option<u64>,

    /// Fault injection: the first N requests fail with `--fail-with`
    #[arg(long, value_name = "N", requires = "fail_with")]
    fail_next: Option<u32>,

    /// The failure for `--fail-next`: 429, 418, 5xx, timeout or lost-answer
    #[arg(long, value_name = "FAULT", value_parser = parse_fault)]
    fail_with: Option<mbx_sandbox::Fault>,

    /// WebSocket server ping interval [default: 20000]
    #[arg(long, value_name = "MS")]
    ws_ping_interval_ms: Option<u64>,

    /// Close a WebSocket whose pong is this late [default: 60000]
    #[arg(long, value_name = "MS")]
    ws_pong_timeout_ms: Option<u64>,

    /// Close WebSocket connections after this many seconds [default: 86400]
    #[arg(long, value_name = "S")]
    ws_lifetime_secs: Option<u64>,

    /// Stop after this long, as Ctrl-C would, e.g. `30s`, `30m`, `2h`
    #[arg(long, value_name = "DURATION", value_parser = crate::commands::parse_duration)]
    duration: Option<std::time::Duration>,

    /// Drive the market by this recording (`mbx record --out DIR`)
    #[arg(long, value_name = "DIR")]
    replay: Option<PathBuf>,

    /// Replay speed: a multiple of real time (1, 10) or `max` [default: 1]
    #[arg(long, value_name = "SPEED")]
    speed: Option<mbx_sandbox::replay::Speed>,

    /// Play the recording again from the start when it ends
    #[arg(long = "loop")]
    looped: bool,

    /// Start the replay clock at launch, not at the first subscriber
    #[arg(long)]
    start_now: bool,
}

fn parse_fault(text: &str) -> Result<mbx_sandbox::Fault, String> {
    mbx_sandbox::admin::parse_fault(text).ok_or_else(|| {
        format!(
            "unknown fault `{text}` (use {})",
            mbx_sandbox::admin::FAULT_NAMES
        )
    })
}

/// Applies the fault-injection and WebSocket flags to a started sandbox.
fn apply_live_flags(sandbox: &Sandbox, live: &LiveFlags) {
    let mut timing = mbx_sandbox::ws::WsTiming::default();
    if let Some(ms) = live.ws_ping_interval_ms {
        timing.ping_interval = std::time::Duration::from_millis(ms);
    }
    if let Some(ms) = live.ws_pong_timeout_ms {
        timing.pong_timeout = std::time::Duration::from_millis(ms);
    }
    if let Some(secs) = live.ws_lifetime_secs {
        timing.max_lifetime = std::time::Duration::from_secs(secs);
    }
    sandbox.set_ws_timing(timing);
    if let Some(ms) = live.latency_ms {
        sandbox.set_latency(std::time::Duration::from_millis(ms));
    }
    if let (Some(n), Some(fault)) = (live.fail_next, live.fail_with) {
        sandbox.fail_next(n, fault);
    }
}

/// The flags that act on the running sandbox rather than its configuration.
#[derive(Debug, Clone, Copy)]
struct LiveFlags {
    latency_ms: Option<u64>,
    fail_next: Option<u32>,
    fail_with: Option<mbx_sandbox::Fault>,
    ws_ping_interval_ms: Option<u64>,
    ws_pong_timeout_ms: Option<u64>,
    ws_lifetime_secs: Option<u64>,
}

/// Runs `mbx sandbox` until Ctrl-C.
pub fn run(global: &GlobalArgs, args: SandboxArgs) -> Result<(), UserError> {
    let live = LiveFlags {
        latency_ms: args.latency_ms,
        fail_next: args.fail_next,
        fail_with: args.fail_with,
        ws_ping_interval_ms: args.ws_ping_interval_ms,
        ws_pong_timeout_ms: args.ws_pong_timeout_ms,
        ws_lifetime_secs: args.ws_lifetime_secs,
    };
    crate::context::init_tracing(global);
    let printer = Printer::new(global.json, global.quiet);
    let duration = args.duration;
    let file = match &args.config {
        Some(path) => ConfigFile::read(path).map_err(config_error)?,
        None => ConfigFile::default(),
    };
    let resolved = file.resolve(&overrides(args)).map_err(config_error)?;
    let (config, lines) = (resolved.config, resolved.summary);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| UserError::usage(format!("cannot start the runtime: {err}"), None))?;
    runtime.block_on(async move {
        let sandbox = Sandbox::start(config)
            .await
            .map_err(|err| UserError::usage(err.to_string(), Some(start_hint(&err))))?;
        apply_live_flags(&sandbox, &live);
        // Listen for Ctrl-C (and SIGTERM) before telling anyone where we are,
        // so that a signal sent right after the URL appears stops us cleanly.
        let stop = stop_signal()?;
        let url = sandbox.rest_url();
        let text = if global.json {
            serde_json::json!({
                "rest_url": url,
                "ws_stream_url": sandbox.ws_stream_url(),
                "ws_api_url": sandbox.ws_api_url(),
                "admin_url": format!("{url}/sandbox"),
                "credentials": lines,
            })
            .to_string()
        } else {
            let mut text = format!("mbx sandbox: Binance Spot REST at {url}\n");
            text.push_str(&format!("  base URL   {url}  (/api/v3/..., /sapi/...)\n"));
            text.push_str(&format!(
                "  streams    {}  (/ws/<stream>, /stream?streams=a/b)\n",
                sandbox.ws_stream_url()
            ));
            text.push_str(&format!("  ws api     {}\n", sandbox.ws_api_url()));
            text.push_str(&format!(
                "  admin      {url}/sandbox  (fault injection, request log)\n"
            ));
            for line in &lines {
                text.push_str(&format!("  {line}\n"));
            }
            text.push_str("Press Ctrl-C to stop.");
            text
        };
        written(printer.line(&text))?;
        match duration {
            Some(duration) => {
                tokio::select! {
                    () = stop => {}
                    () = tokio::time::sleep(duration) => {}
                }
            }
            None => stop.await,
        }
        printer.notice("mbx sandbox: shutting down");
        sandbox.shutdown().await;
        Ok(())
    })
}

/// A future that completes on Ctrl-C (or SIGTERM on Unix), registered now.
fn stop_signal() -> Result<impl std::future::Future<Output = ()>, UserError> {
    let failed =
        |err: std::io::Error| UserError::usage(format!("cannot listen for Ctrl-C: {err}"), None);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).map_err(failed)?;
        let mut terminate = signal(SignalKind::terminate()).map_err(failed)?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        let _ = failed;
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// The flags that set the sandbox's configuration over the `--config` file
/// (the merge rules are `mbx_sandbox::config_file`'s).
fn overrides(args: SandboxArgs) -> Overrides {
    Overrides {
        port: args.port,
        seed: args.seed,
        clock_offset_ms: args.clock_offset_ms,
        api_key: args.api_key,
        api_secret: args.api_secret,
        ed25519_public_key_file: args.ed25519_public_key_file,
        rsa_public_key_file: args.rsa_public_key_file,
        read_only: args.read_only,
        balances: args.balances,
        replay: args.replay,
        speed: args.speed,
        looped: args.looped,
        start_now: args.start_now,
    }
}

/// A configuration mistake, in the flags' words, with what to do.
fn config_error(err: mbx_sandbox::Error) -> UserError {
    use mbx_sandbox::Error;
    let (msg, hint) = match &err {
        Error::ConfigSyntax { .. } => (
            err.to_string(),
            Some("`mbx sandbox --help` shows the `--config` file format"),
        ),
        Error::KeyCredential { .. } => (
            err.to_string(),
            Some(
                "give each `[[accounts.api_keys]]` either `secret = \"...\"` or `public_key_file = \"ed25519.pub.pem\"`",
            ),
        ),
        Error::NoAccount => (
            "the config file has no account".to_owned(),
            Some("add an `[[accounts]]` table with `uid`, `balances` and `[[accounts.api_keys]]`"),
        ),
        Error::ApiKeySyntax => (
            "`--api-key` must be letters and digits only".to_owned(),
            Some("Binance API keys are alphanumeric; pick one such as `sandboxKey1`"),
        ),
        Error::MissingCredential => (
            "`--api-key` needs a credential".to_owned(),
            Some(
                "set `MBX_SANDBOX_API_SECRET` (or `--api-secret`), or pass `--ed25519-public-key-file`",
            ),
        ),
        Error::PublicKey { .. } => (
            err.to_string(),
            Some(
                "register the public key (`openssl pkey -in key.pem -pubout`), not the private key",
            ),
        ),
        Error::BalancesSyntax { .. } => (
            err.to_string(),
            Some("write `--balances BTC=1.5,USDT=10000`"),
        ),
        _ => (err.to_string(), None),
    };
    UserError::usage(msg, hint)
}

/// What to do when the sandbox cannot start: the hint depends on why.
fn start_hint(err: &mbx_sandbox::Error) -> &'static str {
    match err {
        mbx_sandbox::Error::Bind { .. } => {
            "choose another port with `--port`, or `--port 0` for a free one"
        }
        mbx_sandbox::Error::BadKey { .. } => {
            "register the public key as SPKI PEM (`openssl pkey -in key.pem -pubout`), not the private key"
        }
        mbx_sandbox::Error::Replay { .. } => {
            "give `--replay` the directory `mbx record --out` wrote (it holds manifest.json)"
        }
        mbx_sandbox::Error::BadBalance { .. } => {
            "write each balance as a decimal string, e.g. `balances = { BTC = \"1.5\" }` in `--config`, or `--balances BTC=1.5`"
        }
        _ => "run `mbx sandbox --help` for the flags and the `--config` file format",
    }
}
