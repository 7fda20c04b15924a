//! `mbx sign`: signatures and ready-to-run curl commands.

use std::io::Read as _;
use std::time::{SystemTime, UNIX_EPOCH};

use mbx_adapters_rest::{ClientConfig, RestClient};
use mbx_client::config::Resolved;
use mbx_domain::ports::ServerClock as _;
use mbx_signing::payload::{self, Payload};

use crate::cli::GlobalArgs;
use crate::context::{self, TargetArgs};
use crate::error::CliError;
use crate::printer::{Printer, written};

/// Sign a payload, or print a signed curl command.
///
/// The HMAC secret is read from `BINANCE_API_SECRET` or `--secret-file`;
/// `--key-file` (or `BINANCE_PRIVATE_KEY_FILE`) signs with an Ed25519 or RSA
/// private key, its type read from the PEM. A secret is never taken as an
/// argument, so it never lands in shell history, and it is never printed.
/// Credentials follow the same order as every command: `--profile`, then
/// the environment, then the default profile (`mbx config` shows it).
///
/// With `--payload`, the exact bytes given are signed: for REST that is the
/// query string followed by the body, non-ASCII values percent-encoded, no
/// `signature` pair. HMAC signatures are hex; Ed25519 and RSA are base64. A
/// `timestamp` in the payload that looks like seconds, or that is further
/// from now than `recvWindow`, gets a warning on stderr.
///
/// With `--curl METHOD PATH`, mbx asks the server's time first (one
/// `GET /api/v3/time`), so the command works on a machine whose clock is off;
/// `--local-time` signs with the local clock instead. It adds `timestamp`
/// (and `recvWindow` if given) after your `-p` parameters, signs, appends
/// `signature` last, and prints a curl command with the API key
/// (`BINANCE_API_KEY`) in the `X-MBX-APIKEY` header, never in the URL. Run
/// it within `recvWindow` (5 s by default), e.g. with
/// `mbx sign --curl GET /api/v3/account | sh`.
///
/// The first example signs the Binance docs' example order with the docs'
/// demo secret and prints the signature the docs give (`c8db5682…bd6b71`);
/// the others take the key and secret from the environment.
///
/// Examples:
///
///   BINANCE_API_SECRET=NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j mbx sign --payload 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559'
///
///   mbx sign --curl GET /api/v3/account -p omitZeroBalances=true --local-time
///
///   mbx sign --curl POST /api/v3/order/test -p symbol=BTCUSDT -p side=BUY -p type=MARKET -p quantity=0.001 --local-time --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["payload", "curl"])))]
pub struct SignArgs {
    #[command(flatten)]
    target: TargetArgs,

    /// The exact payload to sign; `-` reads it from stdin.
    #[arg(long, value_name = "TEXT")]
    payload: Option<String>,

    /// Print a signed curl command for METHOD and PATH (e.g. `GET /api/v3/account`).
    #[arg(long, num_args = 2, value_names = ["METHOD", "PATH"], conflicts_with = "payload")]
    curl: Option<Vec<String>>,

    /// A request parameter for `--curl`, in order (repeatable).
    #[arg(
        short = 'p',
        long = "param",
        value_name = "KEY=VALUE",
        requires = "curl"
    )]
    params: Vec<String>,

    /// Use this timestamp (milliseconds) instead of the server's time, for
    /// `--curl`.
    #[arg(
        long,
        value_name = "MS",
        requires = "curl",
        conflicts_with = "local_time"
    )]
    timestamp: Option<u64>,

    /// With `--curl`: sign with this machine's clock instead of asking the
    /// server's time first.
    #[arg(long, requires = "curl")]
    local_time: bool,
}

pub fn run(global: &GlobalArgs, args: SignArgs) -> Result<(), CliError> {
    let printer = Printer::new(global.json, global.quiet);
    context::init_tracing(global);
    let resolved = args.target.resolve(&printer)?;
    if let Some(curl) = &args.curl {
        let (method, path) = (curl[0].as_str(), curl[1].as_str());
        return context::block_on(sign_curl(&printer, &args, &resolved, method, path));
    }
    let signer = resolved.signer.clone()?.signer;
    let text = match args.payload.as_deref() {
        Some("-") => read_stdin()?,
        Some(text) => text.to_owned(),
        None => {
            return Err(CliError::usage(
                "give `--payload TEXT` or `--curl METHOD PATH`",
                None,
            ));
        }
    };
    if payload::split_signature(&text).1.is_some() {
        return Err(CliError::usage(
            "the payload already contains a `signature=` parameter",
            Some(
                "remove `signature=...` from the payload: the signature is computed over everything else and appended last",
            ),
        ));
    }
    if !text.is_ascii() {
        printer.warn(
            "the payload has non-ASCII characters; Binance REST verifies the percent-encoded text (e.g. `%EF%BC%91`), so encode values before signing unless this is a WebSocket API payload",
        );
    }
    if let Some(warning) =
        timestamp_warning(&text, resolved.recv_window_ms.unwrap_or(5000), now_millis())
    {
        printer.warn(&warning);
    }
    let signature = signer.sign(text.as_bytes());
    if printer.is_json() {
        return written(printer.json(&serde_json::json!({
            "payload": text,
            "signature": signature.as_str(),
            "keyType": signer.kind().to_string(),
        })));
    }
    written(printer.line(signature.as_str()))
}

async fn sign_curl(
    printer: &Printer,
    args: &SignArgs,
    resolved: &Resolved,
    method: &str,
    path: &str,
) -> Result<(), CliError> {
    let method = method.to_ascii_uppercase();
    if !matches!(method.as_str(), "GET" | "POST" | "PUT" | "DELETE") {
        return Err(CliError::usage(
            format!("unsupported HTTP method `{method}`"),
            Some("use one of `GET`, `POST`, `PUT` or `DELETE`"),
        ));
    }
    if !path.starts_with('/') {
        return Err(CliError::usage(
            format!("the path `{path}` must start with `/`"),
            Some("give the endpoint path, e.g. `/api/v3/account`"),
        ));
    }
    let credentials = resolved.credentials()?;
    let base_url = resolved.environment.rest_url();

    let mut query = Payload::new();
    for param in &args.params {
        let Some((name, value)) = param.split_once('=') else {
            return Err(CliError::usage(
                format!("parameter `{param}` is not KEY=VALUE"),
                Some("write each parameter as `-p name=value`, e.g. `-p symbol=BTCUSDT`"),
            ));
        };
        if matches!(name, "signature" | "timestamp") {
            return Err(CliError::usage(
                format!("`{name}` is added by mbx sign; do not pass it with -p"),
                Some("drop it; `--timestamp MS` sets a fixed timestamp"),
            ));
        }
        query.push(name, value);
    }
    if let Some(recv_window) = resolved.recv_window_ms {
        query.push("recvWindow", &recv_window.to_string());
    }
    let timestamp = match (args.timestamp, args.local_time) {
        (Some(timestamp), _) => timestamp,
        (None, true) => now_millis(),
        (None, false) => server_time(&base_url).await?,
    };
    query.push("timestamp", &timestamp.to_string());
    let signature = credentials.signer().sign(query.as_bytes());
    query.push_signature(&signature);

    let api_key = credentials.api_key().as_str();
    let url = format!("{base_url}{path}?{query}");
    let header = format!("X-MBX-APIKEY: {api_key}");
    let command = format!(
        "curl -sS -X {method} -H {} {}",
        shell_quote(&header),
        shell_quote(&url)
    );
    if printer.is_json() {
        return written(printer.json(&serde_json::json!({
            "method": method,
            "url": url,
            "headers": { "X-MBX-APIKEY": api_key },
            "signature": signature.as_str(),
            "keyType": credentials.signer().kind().to_string(),
            "curl": command,
        })));
    }
    written(printer.line(&command))
}

/// The server's time, from one `GET /api/v3/time` (plus the half round
/// trip, so the timestamp is the server's now).
async fn server_time(base_url: &str) -> Result<u64, CliError> {
    let client = RestClient::new(ClientConfig::new(base_url)?, None)?;
    let sent = now_millis();
    let server = client.server_time().await.map_err(|err| {
        CliError::from(err).with_hint(
            "check the network and the base URL, or sign with this machine's clock with `--local-time`",
        )
    })?;
    let half_trip = now_millis().saturating_sub(sent) / 2;
    Ok(u64::try_from(server).unwrap_or(0) + half_trip)
}

/// A warning when the payload's `timestamp` looks like seconds or is
/// further from `now_ms` than `recv_window_ms`.
fn timestamp_warning(text: &str, recv_window_ms: u32, now_ms: u64) -> Option<String> {
    let value = text
        .split('&')
        .find_map(|pair| pair.strip_prefix("timestamp="))?;
    let timestamp: u64 = value.parse().ok()?;
    if timestamp < 100_000_000_000 {
        return Some(format!(
            "`timestamp={timestamp}` looks like seconds; Binance wants milliseconds (e.g. `$(date +%s%3N)`), and answers -1021 otherwise"
        ));
    }
    // Microseconds are accepted too.
    let millis = if timestamp >= 100_000_000_000_000 {
        timestamp / 1000
    } else {
        timestamp
    };
    let distance = now_ms.abs_diff(millis);
    (distance > u64::from(recv_window_ms)).then(|| {
        format!(
            "`timestamp` is {} s from now, outside recvWindow ({} ms): the server will answer -1021 unless this is a known vector",
            distance / 1000,
            recv_window_ms
        )
    })
}

fn read_stdin() -> Result<String, CliError> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|err| {
        CliError::usage(format!("cannot read the payload from stdin: {err}"), None)
    })?;
    while text.ends_with('\n') || text.ends_with('\r') {
        text.pop();
    }
    Ok(text)
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_seconds_or_far_away_are_warned_about() {
        let now = 1_764_100_000_000;
        assert!(
            timestamp_warning("symbol=X&timestamp=1764100000", 5000, now)
                .unwrap()
                .contains("seconds")
        );
        assert!(
            timestamp_warning("timestamp=1764099990000", 5000, now)
                .unwrap()
                .contains("10 s from now")
        );
        assert_eq!(
            timestamp_warning("timestamp=1764099999000", 5000, now),
            None
        );
        assert_eq!(
            timestamp_warning("timestamp=1764099999000000", 5000, now),
            None
        );
        assert_eq!(timestamp_warning("symbol=X", 5000, now), None);
    }
}
