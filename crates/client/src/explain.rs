//! Says why a hand-made Binance request fails: a curl line, a script with
//! openssl, a snippet in any language that Binance answers with `-2014`,
//! `-1022` or `-1021`.
//!
//! # Brief overview
//!
//! 1. Read the request into a [`HandMadeRequest`]: from a curl command line
//!    ([`HandMadeRequest::from_curl`]), a method and URL
//!    ([`HandMadeRequest::from_method_url`]), a raw HTTP request
//!    ([`HandMadeRequest::from_http`]) or just the signed text and its
//!    signature ([`HandMadeRequest::from_payload`]).
//! 2. [`explain`] runs Binance's checks on it, in Binance's order, against
//!    the endpoint table of `mbx_domain::endpoints`, and returns one
//!    [`Finding`] per problem, most likely cause first. The [`Context`]
//!    sharpens it: with the secret or key ([`KeyMaterial`]) explain finds
//!    which wrong text was signed; with Binance's answer ([`Answer`]) it
//!    ranks the causes that answer points to first; with the server and
//!    local times it tells a slow request from a wrong clock.
//! 3. [`correct`] rebuilds the same request the right way (key in the
//!    header, percent-encoded, fresh timestamp, signature last), signed
//!    when the key is known, as a curl command.
//!
//! ```
//! use mbx_client::explain::{self, Answer, Cause, Context, HandMadeRequest, KeyMaterial};
//! use mbx_signing::{HmacKey, Signer};
//!
//! // The docs' example, signed over the text plus the line break that
//! // `echo` without `-n` adds.
//! let req = HandMadeRequest::from_curl(concat!(
//!     "curl -H 'X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A' ",
//!     "-X POST 'https://api.binance.com/api/v3/order?symbol=LTCBTC&side=BUY&type=LIMIT",
//!     "&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
//!     "&signature=0b435e660aa1d8d33438bba1fa5aeaac7c342772baf65f13962f98570c8e313d'",
//! ))?;
//! let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
//! let signer = Signer::Hmac(HmacKey::new(secret.as_bytes())?);
//! let ctx = Context {
//!     key: Some(KeyMaterial::Signer(signer)),
//!     answer: Answer::parse(r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#),
//!     ..Context::default()
//! };
//! let findings = explain::explain(&req, &ctx);
//! assert_eq!(findings[0].cause, Cause::SignedTrailingNewline);
//! assert!(!format!("{findings:?}").contains(secret));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A key design decision: everything here is pure. The time, the key and
//! Binance's answer are passed in; nothing reads a clock, a file or the
//! network, so the same request always gets the same diagnosis and the
//! tests need no server. Secrets never reach a finding or a rendering: the
//! key material is only used to sign and verify, and the corrected command
//! names the `BINANCE_API_SECRET` variable instead of its value.

mod checks;
mod correct;
mod curl;
mod finding;
mod host;
mod request;
mod shell;
mod signature;

use mbx_signing::{KeyKind, Signer, Verifier};
use serde::Serialize;

pub use correct::{CorrectedRequest, correct};
pub use finding::{Cause, Finding, Severity};
pub use host::{Environment, environment};
pub use request::{HandMadeRequest, ParseError, Source};
pub use signature::signature_matches;

/// What explain knows besides the request. Every field is optional; the
/// more is known, the sharper the diagnosis.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The secret or key the request should have been signed with.
    pub key: Option<KeyMaterial>,
    /// What Binance answered.
    pub answer: Option<Answer>,
    /// Binance's time when the request was explained (`GET /api/v3/time`),
    /// in milliseconds.
    pub server_time_ms: Option<i64>,
    /// This machine's time at the same moment, in milliseconds.
    pub local_time_ms: Option<i64>,
}

/// Key material to check signatures with: a signer (the HMAC secret or a
/// private key), or only a verifier (an Ed25519/RSA public key).
#[derive(Debug, Clone)]
pub enum KeyMaterial {
    /// Can sign: finds every wrong payload and signs the corrected request.
    Signer(Signer),
    /// Can only verify: finds wrong payloads, cannot sign the correction.
    Verifier(Verifier),
}

impl KeyMaterial {
    /// The key type.
    pub fn kind(&self) -> KeyKind {
        match self {
            KeyMaterial::Signer(signer) => signer.kind(),
            KeyMaterial::Verifier(verifier) => verifier.kind(),
        }
    }

    /// The verifier for this key.
    pub fn verifier(&self) -> Verifier {
        match self {
            KeyMaterial::Signer(signer) => signer.verifier(),
            KeyMaterial::Verifier(verifier) => verifier.clone(),
        }
    }

    /// The signer, when the key can sign.
    pub fn signer(&self) -> Option<&Signer> {
        match self {
            KeyMaterial::Signer(signer) => Some(signer),
            KeyMaterial::Verifier(_) => None,
        }
    }
}

/// An error Binance answered: the HTTP status when known, the code and the
/// message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// The HTTP status (REST) or `status` (WebSocket API), when known.
    pub status: Option<u16>,
    /// Binance's error code, e.g. `-1022`.
    pub code: Option<i64>,
    /// Binance's message, word for word.
    pub msg: String,
}

impl Answer {
    /// Reads Binance's error: the REST body `{"code":-1022,"msg":".."}`, a
    /// WebSocket API response `{"status":400,"error":{"code":..,"msg":..}}`,
    /// or just a code such as `-1022`. `None` when it is none of these.
    ///
    /// ```
    /// use mbx_client::explain::Answer;
    /// assert_eq!(Answer::parse(r#"{"code":-2014,"msg":"API-key format invalid."}"#).unwrap().code, Some(-2014));
    /// assert_eq!(Answer::parse(r#"{"id":1,"status":400,"error":{"code":-1021,"msg":"x"}}"#).unwrap().status, Some(400));
    /// assert_eq!(Answer::parse("-1022").unwrap().code, Some(-1022));
    /// assert!(Answer::parse("hello").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<Answer> {
        let text = text.trim();
        if let Ok(code) = text.parse::<i64>() {
            return Some(Answer {
                status: None,
                code: Some(code),
                msg: String::new(),
            });
        }
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        let status = value
            .get("status")
            .and_then(serde_json::Value::as_u64)
            .and_then(|status| u16::try_from(status).ok());
        let error = value.get("error").unwrap_or(&value);
        let code = error.get("code").and_then(serde_json::Value::as_i64)?;
        let msg = error
            .get("msg")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_owned();
        Some(Answer {
            status,
            code: Some(code),
            msg,
        })
    }
}

/// Checks `req` the way Binance does and returns one finding per problem,
/// the most likely cause of the failure first. Pure: the time, the key and
/// Binance's answer come from `ctx`.
pub fn explain(req: &HandMadeRequest, ctx: &Context) -> Vec<Finding> {
    let analysis = checks::Analysis::new(req, ctx);
    let mut findings = Vec::new();
    checks::notes(req, &mut findings);
    checks::host(&analysis, &mut findings);
    checks::endpoint(&analysis, &mut findings);
    checks::api_key(&analysis, &mut findings);
    checks::parameters(&analysis, &mut findings);
    checks::timestamp(&analysis, ctx, &mut findings);
    signature::check(&analysis, ctx, &mut findings);
    checks::answer(&analysis, ctx, &mut findings);
    checks::rank(&mut findings, ctx.answer.as_ref());
    checks::scrub(&analysis, &mut findings);
    findings
}

#[cfg(test)]
mod tests;
