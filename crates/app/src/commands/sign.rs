//! `mbx sign`: signatures and ready-to-run curl commands.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use mbx_adapters_rest::{ApiKey, Environment, check_base_url};
use mbx_signing::payload::{self, Payload};
use mbx_signing::{HmacKey, Signer};
use zeroize::Zeroizing;

use crate::cli::GlobalArgs;
use crate::commands::stdout_result;
use crate::context::{self, ConnectArgs};
use crate::env;
use crate::output::{UserError, print_data};

/// Sign a payload, or print a signed curl command.
///
/// The HMAC secret is read from `BINANCE_API_SECRET` or `--secret-file`;
/// `--key-file` (or `BINANCE_PRIVATE_KEY_FILE`) signs with an Ed25519 or RSA
/// private key, its type read from the PEM. A secret is never taken as an
/// argument, so it never lands in shell history, and it is never printed.
///
/// With `--payload`, the exact bytes given are signed: for REST that is the
/// query string followed by the body, non-ASCII values percent-encoded, no
/// `signature` pair. HMAC signatures are hex; Ed25519 and RSA are base64.
///
/// With `--curl METHOD PATH`, mbx adds `timestamp` (and `recvWindow` if
/// given) after your `-p` parameters, signs, appends `signature` last, and
/// prints a curl command with the API key (`BINANCE_API_KEY`) in the
/// `X-MBX-APIKEY` header, never in the URL.
///
/// Examples:
///
///   BINANCE_API_SECRET=... mbx sign --payload 'symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559'
///
///   mbx sign --curl GET /api/v3/account -p omitZeroBalances=true | sh
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["payload", "curl"])))]
pub struct SignArgs {
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

    /// Use this timestamp (milliseconds) instead of the current time, for
    /// `--curl`.
    #[arg(long, value_name = "MS", requires = "curl")]
    timestamp: Option<u64>,

    /// Read the HMAC secret from this file (trailing newline ignored).
    #[arg(long, value_name = "FILE", conflicts_with = "key_file")]
    secret_file: Option<PathBuf>,

    /// Sign with the Ed25519 or RSA private key in this PEM file.
    #[arg(long, value_name = "PEM")]
    key_file: Option<PathBuf>,
}

pub fn run(global: &GlobalArgs, args: SignArgs) -> Result<(), UserError> {
    let (signer, profile_api_key) = load_signer(global, &args)?;
    if let Some(curl) = &args.curl {
        let (method, path) = (curl[0].as_str(), curl[1].as_str());
        return sign_curl(global, &args, &signer, profile_api_key, method, path);
    }
    let text = match args.payload.as_deref() {
        Some("-") => read_stdin()?,
        Some(text) => text.to_owned(),
        None => unreachable!("clap requires --payload or --curl"),
    };
    if payload::split_signature(&text).1.is_some() {
        return Err(UserError::usage(
            "the payload already contains a `signature=` parameter",
            Some(
                "remove `signature=...` from the payload: the signature is computed over everything else and appended last",
            ),
        ));
    }
    if !text.is_ascii() {
        eprintln!(
            "warning: the payload has non-ASCII characters; Binance REST verifies the percent-encoded text (e.g. `%EF%BC%91`), so encode values before signing unless this is a WebSocket API payload"
        );
    }
    let signature = signer.sign(text.as_bytes());
    let out = if global.json {
        serde_json::json!({
            "payload": text,
            "signature": signature.as_str(),
            "keyType": signer.kind().to_string(),
        })
        .to_string()
    } else {
        signature.as_str().to_owned()
    };
    stdout_result(print_data(&out))
}

fn sign_curl(
    global: &GlobalArgs,
    args: &SignArgs,
    signer: &Signer,
    profile_api_key: Option<ApiKey>,
    method: &str,
    path: &str,
) -> Result<(), UserError> {
    let method = method.to_ascii_uppercase();
    if !matches!(method.as_str(), "GET" | "POST" | "PUT" | "DELETE") {
        return Err(UserError::usage(
            format!("unsupported HTTP method `{method}`"),
            Some("use one of `GET`, `POST`, `PUT` or `DELETE`"),
        ));
    }
    if !path.starts_with('/') {
        return Err(UserError::usage(
            format!("the path `{path}` must start with `/`"),
            Some("give the endpoint path, e.g. `/api/v3/account`"),
        ));
    }
    let base_url = curl_base_url(&global.connect)?;
    let api_key = match profile_api_key {
        Some(key) => key,
        None => api_key_from_env()?,
    };
    let api_key = api_key.as_str();

    let mut query = Payload::new();
    for param in &args.params {
        let Some((name, value)) = param.split_once('=') else {
            return Err(UserError::usage(
                format!("parameter `{param}` is not KEY=VALUE"),
                Some("write each parameter as `-p name=value`, e.g. `-p symbol=BTCUSDT`"),
            ));
        };
        if matches!(name, "signature" | "timestamp") {
            return Err(UserError::usage(
                format!("`{name}` is added by mbx sign; do not pass it with -p"),
                None,
            ));
        }
        query.push(name, value);
    }
    if let Some(recv_window) = global.connect.recv_window {
        query.push("recvWindow", &recv_window.to_string());
    }
    let timestamp = args.timestamp.unwrap_or_else(now_millis);
    query.push("timestamp", &timestamp.to_string());
    let signature = signer.sign(query.as_bytes());
    query.push_signature(&signature);

    let url = format!("{base_url}{path}?{query}");
    let header = format!("X-MBX-APIKEY: {api_key}");
    let command = format!(
        "curl -sS -X {method} -H {} {}",
        shell_quote(&header),
        shell_quote(&url)
    );
    let out = if global.json {
        serde_json::json!({
            "method": method,
            "url": url,
            "headers": { "X-MBX-APIKEY": api_key },
            "signature": signature.as_str(),
            "keyType": signer.kind().to_string(),
            "curl": command,
        })
        .to_string()
    } else {
        command
    };
    stdout_result(print_data(&out))
}

/// The signer and, when known, the API key that goes with it. Flags win over
/// the environment, the environment over a profile.
fn load_signer(
    global: &GlobalArgs,
    args: &SignArgs,
) -> Result<(Signer, Option<ApiKey>), UserError> {
    load_signer_from(global, args.key_file.as_deref(), args.secret_file.as_deref())?.ok_or_else(
        || {
            UserError::usage(
                "no secret configured",
                Some(
                    "set `BINANCE_API_SECRET` (HMAC), or pass `--secret-file FILE` or `--key-file PEM` (Ed25519 or RSA); never pass a secret as an argument",
                ),
            )
        },
    )
}

/// The signer from `--key-file`, `--secret-file`, `BINANCE_PRIVATE_KEY_FILE`,
/// `BINANCE_API_SECRET` or the profile, in that order, with the profile's
/// API key when it came from a profile; `None` when none is configured.
/// Shared with `mbx explain`.
pub(crate) fn load_signer_from(
    global: &GlobalArgs,
    key_file: Option<&Path>,
    secret_file: Option<&Path>,
) -> Result<Option<(Signer, Option<ApiKey>)>, UserError> {
    if let Some(path) = key_file {
        return Ok(Some((context::signer_from_pem_file(path)?, None)));
    }
    if let Some(path) = secret_file {
        let text = context::read_secret_file(path)?;
        let key = HmacKey::from_secret_text(&text)
            .map_err(|err| context::secret_error(&err, path.display()))?;
        return Ok(Some((Signer::Hmac(key), None)));
    }
    if let Some(path) = std::env::var_os(env::BINANCE_PRIVATE_KEY_FILE) {
        return Ok(Some((
            context::signer_from_pem_file(Path::new(&path))?,
            None,
        )));
    }
    if let Ok(secret) = std::env::var(env::BINANCE_API_SECRET) {
        let secret = Zeroizing::new(secret);
        let key = HmacKey::from_secret_text(&secret)
            .map_err(|err| context::secret_error(&err, format!("`{}`", env::BINANCE_API_SECRET)))?;
        return Ok(Some((Signer::Hmac(key), None)));
    }
    if let Some(profile) = context::select_profile(global.connect.profile.as_deref())? {
        let (credentials, _) = context::load_credentials(Some(&profile))?;
        return Ok(Some((
            credentials.signer().clone(),
            Some(credentials.api_key().clone()),
        )));
    }
    Ok(None)
}

pub(crate) fn api_key_from_env() -> Result<ApiKey, UserError> {
    let key = std::env::var(env::BINANCE_API_KEY).map_err(|_| {
        UserError::usage(
            "no API key configured",
            Some(
                "set `BINANCE_API_KEY`; it is sent in the `X-MBX-APIKEY` header, never in the URL",
            ),
        )
    })?;
    ApiKey::new(&key).map_err(|err| {
        UserError::usage(
            format!("`{}`: {err}", env::BINANCE_API_KEY),
            Some(
                "copy the API key again from API Management, without quotes, spaces or line breaks",
            ),
        )
    })
}

/// The REST base URL from the global flags: `--base-url`, `--testnet`,
/// `--demo`, or production.
fn curl_base_url(connect: &ConnectArgs) -> Result<String, UserError> {
    if connect.sandbox {
        return Err(UserError::usage(
            "`--sandbox` cannot be used with `sign --curl`: the embedded sandbox stops when mbx exits",
            Some(
                "start `mbx sandbox --port 9900` in another terminal and pass `--base-url http://127.0.0.1:9900`",
            ),
        ));
    }
    let environment = if let Some(url) = &connect.base_url {
        Environment::Custom(url.clone())
    } else if connect.testnet {
        Environment::Testnet
    } else if connect.demo {
        Environment::Demo
    } else {
        Environment::Production
    };
    let base_url = environment.base_url();
    check_base_url(&base_url).map_err(|err| {
        UserError::usage(
            err.to_string(),
            Some("use an `https://` URL, or `http://127.0.0.1:PORT` for a local sandbox"),
        )
    })?;
    Ok(base_url.trim_end_matches('/').to_owned())
}

fn read_stdin() -> Result<String, UserError> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|err| {
        UserError::usage(format!("cannot read the payload from stdin: {err}"), None)
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
