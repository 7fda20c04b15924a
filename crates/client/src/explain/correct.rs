//! The same request, rebuilt the right way: the API key in `X-MBX-APIKEY`,
//! every parameter once and percent-encoded, a fresh `timestamp`, the
//! signature last; signed when the key can sign, otherwise a short script
//! that signs with openssl when run.

use std::fmt;

use mbx_domain::endpoints;
use mbx_signing::KeyKind;
use mbx_signing::payload::Payload;
use serde::Serialize;

use super::checks::{Analysis, MAX_RECV_WINDOW_MS, mask_key, parse_recv_window_us};
use super::host::Environment;
use super::request::{HandMadeRequest, Source, is_sensitive_name};
use super::{Context, KeyMaterial};

/// A corrected request, ready to send.
///
/// `Debug` shortens the API key; nothing here ever holds a secret: when the
/// request cannot be signed here, [`CorrectedRequest::curl`] signs at run
/// time with `$BINANCE_API_SECRET` (HMAC) or `$BINANCE_PRIVATE_KEY_FILE`
/// (Ed25519, RSA).
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrectedRequest {
    /// The HTTP method.
    pub method: String,
    /// `https://host` (`http://` only to loopback).
    pub base_url: String,
    /// The path, e.g. `/api/v3/order`.
    pub path: String,
    /// The parameters in order, decoded, without `timestamp` and
    /// `signature` (which are added when signing).
    pub params: Vec<(String, String)>,
    /// Whether the endpoint needs `timestamp` and `signature`.
    pub needs_signature: bool,
    /// Whether it needs the API key.
    pub needs_api_key: bool,
    /// The API key from the request, when it is usable; `None` means the
    /// rendering uses `$BINANCE_API_KEY`.
    pub api_key: Option<String>,
    /// The `timestamp` used, when signed here.
    pub timestamp: Option<i64>,
    /// The signature, when signed here (as the signer wrote it, before
    /// percent-encoding).
    pub signature: Option<String>,
    /// Whether [`CorrectedRequest::url`] carries a real signature.
    pub signed: bool,
    /// The full URL: signed, unsigned for public endpoints, or with
    /// `$query`/`$signature` placeholders when [`CorrectedRequest::curl`] is
    /// a script.
    pub url: String,
    /// A curl command (one line) or, when it must sign at run time, a
    /// three-line shell script.
    pub curl: String,
}

impl fmt::Debug for CorrectedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorrectedRequest")
            .field("method", &self.method)
            .field("base_url", &self.base_url)
            .field("path", &self.path)
            .field("params", &self.params)
            .field("needs_signature", &self.needs_signature)
            .field("api_key", &self.api_key.as_deref().map(mask_key))
            .field("timestamp", &self.timestamp)
            .field("signed", &self.signed)
            .finish_non_exhaustive()
    }
}

/// Rebuilds `req` the right way. With `timestamp_ms` and a key that can
/// sign ([`KeyMaterial::Signer`]), the result is signed; otherwise the
/// curl rendering is a script that takes the time and signs when run.
/// `None` for a bare payload or a request without a host.
///
/// ```
/// use mbx_client::explain::{correct, Context, HandMadeRequest, KeyMaterial};
/// use mbx_signing::{HmacKey, Signer};
///
/// let req = HandMadeRequest::from_curl(
///     "curl 'https://api.binance.com/api/v3/account?timestamp=1700000000&apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A'",
/// )?;
/// let key = HmacKey::new(b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")?;
/// let ctx = Context { key: Some(KeyMaterial::Signer(Signer::Hmac(key))), ..Context::default() };
/// let fixed = correct(&req, &ctx, Some(1499827319559)).unwrap();
/// assert!(fixed.signed);
/// assert_eq!(
///     fixed.url,
///     "https://api.binance.com/api/v3/account?timestamp=1499827319559&signature=2222d49722f6af5da13f6da6bfc0d7de19ca2815ebc98bbc49e4942268472f3f",
/// );
/// assert!(fixed.curl.contains("-H 'X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A'"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn correct(
    req: &HandMadeRequest,
    ctx: &Context,
    timestamp_ms: Option<i64>,
) -> Option<CorrectedRequest> {
    if req.source == Source::Payload {
        return None;
    }
    let a = Analysis::new(req, ctx);
    let path = a.path.clone().unwrap_or_else(|| "/".to_owned());
    let method = corrected_method(&a, &path);
    let base_url = corrected_base(&a)?;
    let needs_signature = a.needs_signature;
    let needs_api_key = a.needs_key;

    let mut params: Vec<(String, String)> = Vec::new();
    for param in &a.params {
        let name = param.name.as_ref();
        let skip = matches!(name, "signature" | "timestamp")
            || is_sensitive_name(name)
            || params.iter().any(|(seen, _)| seen == name)
            || (!needs_signature && name == "recvWindow");
        if skip {
            continue;
        }
        let value = if name == "recvWindow" {
            match parse_recv_window_us(&param.value) {
                Some(us) if us > MAX_RECV_WINDOW_MS * 1000 => MAX_RECV_WINDOW_MS.to_string(),
                Some(0) | None => continue,
                Some(_) => param.value.to_string(),
            }
        } else {
            param.value.to_string()
        };
        params.push((name.to_owned(), value));
    }
    let api_key = a
        .keys
        .iter()
        .map(|key| key.value.trim().trim_matches(['"', '\'']).trim().to_owned())
        .find(|key| {
            !key.is_empty()
                && key.bytes().all(|b| b.is_ascii_alphanumeric())
                && !a.secrets.iter().any(|secret| secret.texts.contains(key))
        });

    let mut query = Payload::new();
    for (name, value) in &params {
        query.push(name, value);
    }
    let signer = ctx.key.as_ref().and_then(KeyMaterial::signer);
    let endpoint_url = format!("{base_url}{path}");
    let key_header = match (&api_key, needs_api_key) {
        (Some(key), true) => format!(" -H 'X-MBX-APIKEY: {key}'"),
        (None, true) => " -H \"X-MBX-APIKEY: $BINANCE_API_KEY\"".to_owned(),
        (_, false) => String::new(),
    };
    let (url, curl, timestamp, signature) = match (needs_signature, signer, timestamp_ms) {
        (true, Some(signer), Some(timestamp)) => {
            query.push("timestamp", &timestamp.to_string());
            let signature = signer.sign(query.as_bytes());
            query.push_signature(&signature);
            let url = format!("{endpoint_url}?{query}");
            let curl = format!("curl -sS -X {method}{key_header} {}", double_quote(&url));
            (
                url,
                curl,
                Some(timestamp),
                Some(signature.as_str().to_owned()),
            )
        }
        (true, _, _) => {
            let kind = ctx
                .key
                .as_ref()
                .map(KeyMaterial::kind)
                .unwrap_or_else(|| guessed_kind(&a));
            let url = format!("{endpoint_url}?$query&signature=$signature");
            let prefix = if query.is_empty() {
                String::new()
            } else {
                format!("{query}&")
            };
            let query_line = format!("query=\"{prefix}timestamp=$(($(date +%s) * 1000))\"");
            let curl = format!(
                "{query_line}\n{}\ncurl -sS -X {method}{key_header} {}",
                sign_line(kind),
                double_quote(&url)
            );
            (url, curl, None, None)
        }
        (false, _, _) => {
            let url = if query.is_empty() {
                endpoint_url
            } else {
                format!("{endpoint_url}?{query}")
            };
            let curl = format!("curl -sS -X {method}{key_header} {}", double_quote(&url));
            (url, curl, None, None)
        }
    };
    Some(CorrectedRequest {
        method,
        base_url,
        path,
        params,
        needs_signature,
        needs_api_key,
        api_key,
        timestamp,
        signed: signature.is_some(),
        signature,
        url,
        curl,
    })
}

fn corrected_method(a: &Analysis<'_>, path: &str) -> String {
    let given = a.req.method.clone().unwrap_or_else(|| "GET".to_owned());
    if a.endpoint.is_some() {
        return given;
    }
    let others: Vec<_> = endpoints::rest_endpoints_at(path).collect();
    match others.as_slice() {
        [only] => only.method.as_str().to_owned(),
        _ => given,
    }
}

fn corrected_base(a: &Analysis<'_>) -> Option<String> {
    let host = a.req.host.as_deref()?;
    let env = a.environment.unwrap_or(Environment::Other);
    let base = match env {
        Environment::Local => format!("{}://{host}", a.req.scheme.as_deref().unwrap_or("http")),
        Environment::WebSocket if host.contains("testnet") => {
            "https://testnet.binance.vision".to_owned()
        }
        Environment::WebSocket if host.contains("demo") => {
            "https://demo-api.binance.com".to_owned()
        }
        Environment::WebSocket => "https://api.binance.com".to_owned(),
        Environment::MarketDataOnly if a.needs_key => "https://api.binance.com".to_owned(),
        _ if host.starts_with('$') => host.to_owned(),
        _ => format!("https://{host}"),
    };
    Some(base)
}

/// The key type the request seems to use, from its signature's shape.
fn guessed_kind(a: &Analysis<'_>) -> KeyKind {
    let signature = a
        .param("signature")
        .map(|param| param.value.trim().to_owned())
        .unwrap_or_default();
    match signature.len() {
        88 => KeyKind::Ed25519,
        n if n >= 340 => KeyKind::Rsa,
        _ => KeyKind::Hmac,
    }
}

/// The script line that signs `$query` at run time, naming the variable
/// that holds the key, never the key.
fn sign_line(kind: KeyKind) -> String {
    const URL_ENCODE: &str = "sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g'";
    match kind {
        KeyKind::Hmac => "signature=$(printf '%s' \"$query\" | openssl dgst -sha256 -hmac \"$BINANCE_API_SECRET\" | sed 's/^.*= //')".to_owned(),
        KeyKind::Ed25519 => format!(
            "payload_file=$(mktemp); printf '%s' \"$query\" > \"$payload_file\"; signature=$(openssl pkeyutl -sign -rawin -inkey \"$BINANCE_PRIVATE_KEY_FILE\" -in \"$payload_file\" | openssl base64 -A | {URL_ENCODE}); rm -f \"$payload_file\""
        ),
        KeyKind::Rsa => format!(
            "signature=$(printf '%s' \"$query\" | openssl dgst -sha256 -sign \"$BINANCE_PRIVATE_KEY_FILE\" | openssl base64 -A | {URL_ENCODE})"
        ),
    }
}

/// Double quotes, so that placeholders expand; the encoded text itself
/// holds no character the shell treats specially inside them.
fn double_quote(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('`', "\\`");
    format!("\"{escaped}\"")
}
