//! `mbx sandbox`: run a local Binance-compatible Spot exchange.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use mbx_sandbox::{
    AccountConfig, ApiKeyConfig, Credential, DEMO_API_KEY, DEMO_API_SECRET, Permissions,
    RateLimitConfig, Sandbox, SandboxConfig,
};
use serde::Deserialize;

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
///
/// Ctrl-C stops it.
///
/// Examples:
///
///   mbx sandbox --port 9900
///
///   mbx sandbox --port 0 --balances BTC=2,USDT=50000 --seed 42
///
///   MBX_SANDBOX_API_SECRET=test-secret mbx sandbox --api-key testKey --read-only
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

    /// The failure for `--fail-next`: 429, 418, 5xx or timeout
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
}

fn parse_fault(text: &str) -> Result<mbx_sandbox::Fault, String> {
    mbx_sandbox::admin::parse_fault(text)
        .ok_or_else(|| format!("unknown fault `{text}` (use 429, 418, 5xx or timeout)"))
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
    crate::context::init_tracing(global.verbose);
    let (config, lines) = resolve(args)?;
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
        written(Printer::new(global.json, global.quiet).line(&text))?;
        stop.await;
        eprintln!("mbx sandbox: shutting down");
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    port: Option<u16>,
    seed: Option<u64>,
    clock_offset_ms: Option<i64>,
    limits: Option<FileLimits>,
    #[serde(default)]
    accounts: Vec<FileAccount>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    request_weight_per_minute: Option<u32>,
    orders_per_10s: Option<u32>,
    orders_per_day: Option<u32>,
    raw_requests_per_5m: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAccount {
    uid: u64,
    #[serde(default)]
    balances: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    api_keys: Vec<FileKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileKey {
    api_key: String,
    secret: Option<String>,
    public_key_file: Option<PathBuf>,
    #[serde(default)]
    read_only: bool,
}

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileKey")
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

/// Turns flags (and the config file) into a configuration and the lines
/// that tell the user which credentials work.
fn resolve(args: SandboxArgs) -> Result<(SandboxConfig, Vec<String>), UserError> {
    let file = match &args.config {
        Some(path) => read_config(path)?,
        None => FileConfig::default(),
    };
    let mut config = SandboxConfig::demo();
    let port = args.port.or(file.port).unwrap_or(0);
    config.bind = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    config.seed = args.seed.or(file.seed).unwrap_or(config.seed);
    config.clock_offset_ms = args.clock_offset_ms.or(file.clock_offset_ms).unwrap_or(0);
    if let Some(limits) = &file.limits {
        let defaults = RateLimitConfig::binance();
        config.limits = RateLimitConfig {
            request_weight_per_minute: limits
                .request_weight_per_minute
                .unwrap_or(defaults.request_weight_per_minute),
            orders_per_10s: limits.orders_per_10s.unwrap_or(defaults.orders_per_10s),
            orders_per_day: limits.orders_per_day.unwrap_or(defaults.orders_per_day),
            raw_requests_per_5m: limits
                .raw_requests_per_5m
                .unwrap_or(defaults.raw_requests_per_5m),
        };
    }
    let permissions = if args.read_only {
        Permissions::read_only()
    } else {
        Permissions::trading()
    };
    let mut lines = Vec::new();
    if !file.accounts.is_empty() {
        config.accounts.clear();
        for account in &file.accounts {
            let mut keys = Vec::new();
            for key in &account.api_keys {
                let credential = match (&key.secret, &key.public_key_file) {
                    (Some(secret), None) => Credential::HmacSecret(secret.clone()),
                    (None, Some(path)) => Credential::PublicKeyPem(read_file(path)?),
                    _ => {
                        return Err(UserError::usage(
                            format!(
                                "key {} needs exactly one of `secret` and `public_key_file`",
                                key.api_key
                            ),
                            Some(
                                "give each `[[accounts.api_keys]]` either `secret = \"...\"` or `public_key_file = \"ed25519.pub.pem\"`",
                            ),
                        ));
                    }
                };
                let key_permissions = if key.read_only || args.read_only {
                    Permissions::read_only()
                } else {
                    Permissions::trading()
                };
                lines.push(format!(
                    "API key    {}  (uid {}, {})",
                    key.api_key,
                    account.uid,
                    describe(&credential, key_permissions)
                ));
                keys.push(ApiKeyConfig {
                    api_key: key.api_key.clone(),
                    credential,
                    permissions: key_permissions,
                });
            }
            config.accounts.push(AccountConfig {
                uid: account.uid,
                api_keys: keys,
                balances: account
                    .balances
                    .iter()
                    .map(|(asset, amount)| (asset.clone(), amount.clone()))
                    .collect(),
            });
        }
    }
    let flag_keys = flag_keys(&args, permissions)?;
    let account = config.accounts.first_mut().ok_or_else(|| {
        UserError::usage(
            "the config file has no account",
            Some("add an `[[accounts]]` table with `uid`, `balances` and `[[accounts.api_keys]]`"),
        )
    })?;
    if !flag_keys.is_empty() {
        account.api_keys = flag_keys;
    } else if file.accounts.is_empty() {
        for key in &mut account.api_keys {
            key.permissions = permissions;
        }
    }
    if !flag_keys_given(&args) && file.accounts.is_empty() {
        lines.push(format!("API key    {DEMO_API_KEY}"));
        lines.push(format!(
            "secret     {DEMO_API_SECRET}  (HMAC, throwaway demo secret)"
        ));
        lines.push(format!("permissions {}", permission_text(permissions)));
    } else if flag_keys_given(&args) {
        for key in &account.api_keys {
            lines.push(format!(
                "API key    {}  ({})",
                key.api_key,
                describe(&key.credential, key.permissions)
            ));
        }
    }
    if let Some(text) = &args.balances {
        account.balances = parse_balances(text)?;
    }
    let uid = account.uid;
    let balances: Vec<String> = account
        .balances
        .iter()
        .map(|(asset, amount)| format!("{asset}={amount}"))
        .collect();
    lines.push(format!("account    uid {uid}: {}", balances.join(", ")));
    lines.push(format!("seed       {}", config.seed));
    if config.clock_offset_ms != 0 {
        lines.push(format!(
            "clock      system clock {:+} ms",
            config.clock_offset_ms
        ));
    }
    Ok((config, lines))
}

fn flag_keys_given(args: &SandboxArgs) -> bool {
    args.api_key.is_some()
        || args.api_secret.is_some()
        || args.ed25519_public_key_file.is_some()
        || args.rsa_public_key_file.is_some()
}

fn flag_keys(args: &SandboxArgs, permissions: Permissions) -> Result<Vec<ApiKeyConfig>, UserError> {
    let mut keys = Vec::new();
    let base_key = args
        .api_key
        .clone()
        .unwrap_or_else(|| DEMO_API_KEY.to_owned());
    if !base_key.bytes().all(|b| b.is_ascii_alphanumeric()) || base_key.is_empty() {
        return Err(UserError::usage(
            "`--api-key` must be letters and digits only",
            Some("Binance API keys are alphanumeric; pick one such as `sandboxKey1`"),
        ));
    }
    if let Some(secret) = &args.api_secret {
        keys.push(ApiKeyConfig {
            api_key: base_key.clone(),
            credential: Credential::HmacSecret(secret.trim().to_owned()),
            permissions,
        });
    } else if args.api_key.is_some()
        && args.ed25519_public_key_file.is_none()
        && args.rsa_public_key_file.is_none()
    {
        return Err(UserError::usage(
            "`--api-key` needs a credential",
            Some(
                "set `MBX_SANDBOX_API_SECRET` (or `--api-secret`), or pass `--ed25519-public-key-file`",
            ),
        ));
    }
    for (path, suffix) in [
        (&args.ed25519_public_key_file, "Ed25519"),
        (&args.rsa_public_key_file, "Rsa"),
    ] {
        if let Some(path) = path {
            let pem = read_file(path)?;
            mbx_signing::Verifier::from_public_key_pem(&pem).map_err(|err| {
                UserError::usage(
                    format!("{}: {err}", path.display()),
                    Some("register the public key (`openssl pkey -in key.pem -pubout`), not the private key"),
                )
            })?;
            let api_key = if keys.is_empty() {
                base_key.clone()
            } else {
                format!("{base_key}{suffix}")
            };
            keys.push(ApiKeyConfig {
                api_key,
                credential: Credential::PublicKeyPem(pem),
                permissions,
            });
        }
    }
    Ok(keys)
}

fn describe(credential: &Credential, permissions: Permissions) -> String {
    let kind = match credential {
        Credential::HmacSecret(_) => "HMAC".to_owned(),
        Credential::PublicKeyPem(pem) => match mbx_signing::Verifier::from_public_key_pem(pem) {
            Ok(verifier) => format!("{:?}", verifier.kind()),
            Err(_) => "public key".to_owned(),
        },
    };
    format!("{kind}, {}", permission_text(permissions))
}

fn permission_text(permissions: Permissions) -> &'static str {
    if permissions.enable_spot_and_margin_trading {
        "reading + spot trading"
    } else {
        "read-only"
    }
}

fn parse_balances(text: &str) -> Result<Vec<(String, String)>, UserError> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (asset, amount) = part.split_once('=').ok_or_else(|| bad_balances(part))?;
            let asset = asset.trim().to_ascii_uppercase();
            let amount = amount.trim();
            let valid_amount = amount
                .parse::<rust_decimal::Decimal>()
                .is_ok_and(|d| d >= rust_decimal::Decimal::ZERO);
            if asset.is_empty()
                || !asset.bytes().all(|b| b.is_ascii_alphanumeric())
                || !valid_amount
            {
                return Err(bad_balances(part));
            }
            Ok((asset, amount.to_owned()))
        })
        .collect()
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
        mbx_sandbox::Error::BadBalance { .. } => {
            "write each balance as a decimal string, e.g. `balances = { BTC = \"1.5\" }` in `--config`, or `--balances BTC=1.5`"
        }
        _ => "run `mbx sandbox --help` for the flags and the `--config` file format",
    }
}

fn bad_balances(part: &str) -> UserError {
    UserError::usage(
        format!("cannot read balance `{part}`"),
        Some("write `--balances BTC=1.5,USDT=10000`"),
    )
}

fn read_config(path: &Path) -> Result<FileConfig, UserError> {
    let text = read_file(path)?;
    toml::from_str(&text).map_err(|err| {
        UserError::usage(
            format!("{}: {}", path.display(), err.message()),
            Some("`mbx sandbox --help` shows the `--config` file format"),
        )
    })
}

fn read_file(path: &Path) -> Result<String, UserError> {
    std::fs::read_to_string(path)
        .map_err(|err| UserError::usage(format!("cannot read {}: {err}", path.display()), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_flag() {
        let balances = parse_balances("btc=1.5, USDT=10000").unwrap();
        assert_eq!(
            balances,
            vec![
                ("BTC".to_owned(), "1.5".to_owned()),
                ("USDT".to_owned(), "10000".to_owned())
            ]
        );
        assert!(parse_balances("BTC").is_err());
        assert!(parse_balances("BTC=-1").is_err());
    }
}
