//! `mbx explain`: why a hand-made request fails, and the request corrected.
//! The diagnosis is `mbx_client::explain`; this file reads flags and prints.

use std::io::Read as _;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use mbx_adapters_rest::{ClientConfig, Request, RestClient, Security};
use mbx_client::config::{self as loader, ProcessVars, Sources};
use mbx_client::explain::{
    self, Answer, Context, CorrectedRequest, Finding, HandMadeRequest, KeyMaterial,
};
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::{ConfigError, Error};
use mbx_signing::{Signer, Verifier};

use crate::cli::GlobalArgs;
use crate::context;
use crate::error::CliError as UserError;
use crate::exit::ExitStatus;
use crate::printer::{Printer, written};

/// Say why a hand-made Binance request fails, and print it corrected.
///
/// Give the request as you wrote it: a curl command (one quoted argument,
/// or its words after `--`), `METHOD URL` with `-H` headers and `-d` body,
/// a raw HTTP request on stdin (`-`), or just the signed text and the
/// signature (`--payload P --signature S`). Shell variables and `$(...)` are
/// not expanded: paste the command as it ran, e.g. the `+ curl ...` line
/// that `bash -x script.sh` prints.
///
/// mbx checks what Binance checks, in Binance's order: the host, the
/// endpoint and its security type, the API key in `X-MBX-APIKEY`,
/// `timestamp` (milliseconds, fresh), `recvWindow`, and the signature.
/// With the secret (`BINANCE_API_SECRET`, `--secret-file`, `--key-file`,
/// `BINANCE_PRIVATE_KEY_FILE`, or a profile, as `mbx sign` reads them) it
/// finds which text was signed instead: values not percent-encoded, another
/// order, the body signed as part of the query, a trailing newline from
/// `echo`, the WebSocket API's sorted form, and more. `--error` takes
/// Binance's answer and ranks the causes it points to first. Secrets are
/// never printed.
///
/// Each finding says what is wrong, the evidence and the fix, most likely
/// cause first; then comes the corrected curl command: signed now when the
/// key can sign (send it within `recvWindow`), otherwise a short script that
/// signs with openssl when run. Nothing goes over the network unless
/// `--server-time` (asks the request's host for `GET /api/v3/time`) or
/// `--send` (sends the corrected request and prints the answer) is given.
///
/// With `--json`: `{"findings": [{"cause", "severity", "likelihood", "what",
/// "evidence", "fix"}, ...], "signatureMatches": true|false|null,
/// "corrected": {...}|null}`, plus `"answer"` with `--send`. Fields may be
/// added.
///
/// A script that fails: `bash -x order.sh 2>&1 | grep '^+ curl' | mbx
/// explain -` explains each curl command as it ran. A timestamp that may
/// be off: `mbx explain GET 'https://testnet.binance.vision/api/v3/account?timestamp=...&signature=...' -H 'X-MBX-APIKEY: ...' --server-time`
/// compares it with the server's clock.
///
/// Examples:
///
///   mbx explain "curl -H 'X-MBX-APIKEY: ...' 'https://api.binance.com/api/v3/account?timestamp=1767225600&signature=...'"
///
///   mbx explain --error -1022 -- curl -X POST 'https://api.binance.com/api/v3/order?symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&timestamp=1767225600000&signature=0123abcd'
///
///   echo "curl 'https://api.binance.com/api/v3/account?timestamp=1767225600000'" | mbx explain -
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ExplainArgs {
    /// The request: a curl command (quoted, or its words after `--`),
    /// `METHOD URL`, or `-` (or nothing) to read a curl command or a raw
    /// HTTP request from stdin.
    #[arg(value_name = "REQUEST")]
    request: Vec<String>,

    /// A header of the request, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,

    /// The body of a `METHOD URL` request.
    #[arg(short = 'd', long = "data", value_name = "BODY")]
    data: Option<String>,

    /// Only the text that was signed (use with `--signature`).
    #[arg(
        long,
        value_name = "TEXT",
        requires = "signature",
        conflicts_with = "request"
    )]
    payload: Option<String>,

    /// The signature computed over `--payload`.
    #[arg(long, value_name = "SIGNATURE", requires = "payload")]
    signature: Option<String>,

    /// What Binance answered, e.g. `{"code":-1022,"msg":"..."}` or `-1022`.
    #[arg(long, value_name = "JSON", allow_hyphen_values = true)]
    error: Option<String>,

    /// Read the HMAC secret from this file (trailing newline ignored).
    #[arg(long, value_name = "FILE", conflicts_with = "key_file")]
    secret_file: Option<PathBuf>,

    /// An Ed25519 or RSA key in PEM: the private key (to sign the
    /// correction) or the public key (to check the signature only).
    #[arg(long, value_name = "PEM")]
    key_file: Option<PathBuf>,

    /// Ask the request's host for its time (`GET /api/v3/time`) to compare
    /// the timestamp and this machine's clock with it.
    #[arg(long)]
    server_time: bool,

    /// Send the corrected request and print the answer.
    #[arg(long)]
    send: bool,
}

/// Explains, prints, and with `--send` sends; a refused `--send` ends
/// with the API error's exit status after its own explanation.
pub fn run(global: &GlobalArgs, args: ExplainArgs) -> Result<ExitStatus, UserError> {
    let printer = Printer::new(global.json, global.quiet);
    context::init_tracing(global);
    let req = read_request(&args)?;
    let answer = match &args.error {
        Some(text) => Some(Answer::parse(text).ok_or_else(|| {
            UserError::usage(
                "`--error` is not a Binance error",
                Some("give the answer as Binance sent it, e.g. `{\"code\":-1022,\"msg\":\"...\"}`, or just the code, `-1022`"),
            )
        })?),
        None => None,
    };
    let mut ctx = Context {
        key: load_key(&args)?,
        answer,
        server_time_ms: None,
        local_time_ms: Some(now_ms()),
    };
    if args.server_time {
        context::block_on(async {
            let (server, local) = server_time(&req).await?;
            ctx.server_time_ms = Some(server);
            ctx.local_time_ms = Some(local);
            Ok(())
        })?;
    }
    let findings = explain::explain(&req, &ctx);
    let matches = ctx
        .key
        .as_ref()
        .and_then(|key| explain::signature_matches(&req, key));
    // The correction is signed with the best time known: the server's when
    // it was asked, this machine's otherwise.
    let timestamp = match (ctx.server_time_ms, ctx.local_time_ms) {
        (Some(server), Some(local)) => server + (now_ms() - local),
        _ => now_ms(),
    };
    let corrected = explain::correct(&req, &ctx, Some(timestamp));
    let mut sent = None;
    if args.send {
        let corrected = corrected
            .as_ref()
            .ok_or_else(|| UserError::usage("`--send` needs a request with a host", None))?;
        context::block_on(async {
            sent = Some(send(corrected, &ctx).await);
            Ok(())
        })?;
    }
    // A refused correction is explained in turn, with the new answer.
    let refused = match (&sent, &corrected) {
        (Some(Err(err)), Some(corrected)) if err.error().code().is_some() => {
            let again = HandMadeRequest::from_curl(&corrected.curl).ok().map(|req| {
                let ctx = Context {
                    answer: Some(Answer {
                        status: None,
                        code: err.error().code(),
                        msg: err.error().message(),
                    }),
                    ..ctx.clone()
                };
                explain::explain(&req, &ctx)
            });
            again.unwrap_or_default()
        }
        _ => Vec::new(),
    };
    if printer.is_json() {
        let mut out = serde_json::json!({
            "findings": findings,
            "signatureMatches": matches,
            "corrected": corrected,
        });
        match &sent {
            Some(Ok((status, body))) => {
                out["answer"] = serde_json::json!({
                    "status": status,
                    "body": serde_json::from_str::<serde_json::Value>(body).unwrap_or_else(|_| body.clone().into()),
                });
            }
            Some(Err(err)) => {
                out["answer"] = serde_json::json!({
                    "error": serde_json::from_str::<serde_json::Value>(&err.to_json()).unwrap_or_default(),
                    "findings": refused,
                });
            }
            None => {}
        }
        written(printer.json(&out))?;
    } else {
        written(printer.line(&render(&findings, matches, corrected.as_ref())))?;
        match &sent {
            Some(Ok((status, body))) => {
                written(printer.line(&format!("\nAnswer (HTTP {status}):\n{}", body.trim_end())))?;
            }
            Some(Err(_)) if !refused.is_empty() => {
                written(printer.line(&format!(
                    "\nThe corrected request was refused too; with that answer:\n{}",
                    render(&refused, None, None)
                )))?;
            }
            _ => {}
        }
    }
    match sent {
        Some(Err(err)) if printer.is_json() => Ok(err.exit_status()),
        Some(Err(err)) => Ok(Printer::new(false, global.quiet).error(&err)),
        _ => Ok(ExitStatus::Success),
    }
}

fn read_request(args: &ExplainArgs) -> Result<HandMadeRequest, UserError> {
    let bad = |err: explain::ParseError| {
        UserError::usage(
            err.to_string(),
            Some(
                "quote the whole curl command as one argument, or put its words after `--`: `mbx explain -- curl -X POST ...`",
            ),
        )
    };
    if let (Some(payload), Some(signature)) = (&args.payload, &args.signature) {
        return Ok(HandMadeRequest::from_payload(payload, signature));
    }
    let words = &args.request;
    let mut req = match words.as_slice() {
        [] => HandMadeRequest::parse(&read_stdin()?).map_err(bad)?,
        [only] if only == "-" => HandMadeRequest::parse(&read_stdin()?).map_err(bad)?,
        [only] => HandMadeRequest::parse(only).map_err(bad)?,
        [method, url] if !is_curl(method) => {
            HandMadeRequest::from_method_url(method, url, &[], args.data.as_deref().unwrap_or(""))
                .map_err(bad)?
        }
        _ if is_curl(&words[0]) => HandMadeRequest::from_curl_args(words).map_err(bad)?,
        _ => HandMadeRequest::parse(&words.join(" ")).map_err(bad)?,
    };
    req.add_headers(&args.headers).map_err(bad)?;
    Ok(req)
}

fn is_curl(word: &str) -> bool {
    let name = word.rsplit(['/', '\\']).next().unwrap_or(word);
    name == "curl" || name == "curl.exe"
}

/// The key to check signatures with: `--key-file` may hold a private key
/// (signs) or a public key (verifies only); otherwise the signer the one
/// credentials loader finds (`--secret-file`, the environment, a profile).
/// `None` when nothing is configured: explain then checks less.
fn load_key(args: &ExplainArgs) -> Result<Option<KeyMaterial>, UserError> {
    if let Some(path) = &args.key_file {
        let text = loader::read_secret_file(path)?;
        return match Signer::from_private_key_pem(&text) {
            Ok(signer) => Ok(Some(KeyMaterial::Signer(signer))),
            Err(mbx_signing::Error::PublicKeyGiven { .. }) => Verifier::from_public_key_pem(&text)
                .map(|verifier| Some(KeyMaterial::Verifier(verifier)))
                .map_err(|err| key_error(err, path)),
            Err(err) => Err(key_error(err, path)),
        };
    }
    let resolved = loader::resolve(&sources(args), &ProcessVars)?;
    match resolved.signer {
        Ok(signer) => Ok(Some(KeyMaterial::Signer(signer.signer))),
        Err(Error::Config(ConfigError::NoSecret)) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

fn sources(args: &ExplainArgs) -> Sources {
    Sources {
        secret_file: args.secret_file.clone(),
        ..Sources::default()
    }
}

fn key_error(err: mbx_signing::Error, path: &std::path::Path) -> UserError {
    let mut config = ConfigError::from(err);
    if let ConfigError::BadKey { source_name, .. } = &mut config {
        *source_name = format!("`{}`", path.display());
    }
    Error::Config(config).into()
}

/// The server time of the request's host and the local time it matches.
async fn server_time(req: &HandMadeRequest) -> Result<(i64, i64), UserError> {
    let origin = req.origin().ok_or_else(|| {
        UserError::usage(
            "`--server-time` needs a request with a scheme and a host",
            Some("give the full URL, e.g. `https://api.binance.com/api/v3/...`"),
        )
    })?;
    let client = client(&origin, None)?;
    let estimate = client.sync_clock().await?;
    let local = now_ms();
    Ok((local + estimate.offset_ms, local))
}

/// Sends the corrected request exactly as rendered (same parameters, same
/// timestamp and signature) through the REST client's rules.
async fn send(corrected: &CorrectedRequest, ctx: &Context) -> Result<(u16, String), UserError> {
    if corrected.needs_signature && !corrected.signed {
        return Err(UserError::usage(
            "`--send` needs the secret or private key to sign the corrected request",
            Some("set `BINANCE_API_SECRET` or pass `--secret-file FILE` / `--key-file PEM`"),
        ));
    }
    let mut request = Request::new(&corrected.method, &corrected.path)?;
    for (name, value) in &corrected.params {
        request = request.param(name, value.clone());
    }
    if let (Some(timestamp), Some(signature)) = (corrected.timestamp, &corrected.signature) {
        request = request
            .param("timestamp", timestamp.to_string())
            .param("signature", signature.clone());
    }
    let credentials = if corrected.needs_api_key {
        let api_key = match &corrected.api_key {
            Some(key) => ApiKey::new(key).map_err(Error::Config)?,
            None => {
                loader::resolve(&Sources::default(), &ProcessVars)?
                    .api_key
                    .map_err(UserError::from)?
                    .api_key
            }
        };
        // The request is already signed; the signer here only completes the
        // credentials the client needs to send the API key.
        let signer = ctx
            .key
            .as_ref()
            .and_then(KeyMaterial::signer)
            .cloned()
            .ok_or_else(|| UserError::usage("`--send` needs the secret or private key", None))?;
        request = request.security(Security::ApiKey);
        Some(Credentials::new(api_key, signer))
    } else {
        None
    };
    let client = client(&corrected.base_url, credentials)?;
    let response = client.send(request).await?;
    Ok((response.status, response.body))
}

fn client(base_url: &str, credentials: Option<Credentials>) -> Result<RestClient, UserError> {
    let config = ClientConfig::new(base_url)?;
    Ok(RestClient::new(config, credentials)?)
}

/// The findings as text, most likely first, then the corrected command.
fn render(
    findings: &[Finding],
    matches: Option<bool>,
    corrected: Option<&CorrectedRequest>,
) -> String {
    let mut out = String::new();
    if findings.is_empty() {
        out.push_str("No problem found.\n");
    }
    for (idx, finding) in findings.iter().enumerate() {
        out.push_str(&format!(
            "{}. {}: {} [{}]\n",
            idx + 1,
            finding.severity,
            finding.what,
            finding.cause
        ));
        for line in &finding.evidence {
            out.push_str(&format!("   evidence: {line}\n"));
        }
        out.push_str(&format!("   fix: {}\n\n", finding.fix));
    }
    match matches {
        Some(true) => out.push_str("The signature matches the payload as sent.\n\n"),
        Some(false) => out.push_str("The signature does not match the payload as sent.\n\n"),
        None => {}
    }
    if let Some(corrected) = corrected {
        out.push_str(if corrected.signed {
            "Corrected request (signed just now: send it within recvWindow):\n"
        } else if corrected.needs_signature {
            "Corrected request (signs when run; needs `BINANCE_API_SECRET` or `BINANCE_PRIVATE_KEY_FILE`):\n"
        } else {
            "Corrected request:\n"
        });
        out.push_str(&corrected.curl);
    }
    out.trim_end().to_owned()
}

fn read_stdin() -> Result<String, UserError> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|err| {
        UserError::usage(format!("cannot read the request from stdin: {err}"), None)
    })?;
    Ok(text)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
