//! What explain reports: one [`Finding`] per problem, with its [`Cause`],
//! evidence and fix, ranked so that the most likely cause comes first.

use std::fmt;

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Worth knowing; does not make Binance refuse the request.
    Info,
    /// Against the docs' advice, or breaks the request in some cases.
    Warning,
    /// Binance refuses the request because of it.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// What is wrong, as a stable identifier (`--json` prints it in
/// kebab-case, e.g. `timestamp-in-seconds`). This list may grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Cause {
    // Transport and host.
    /// Plain `http://` to a host that is not loopback.
    PlainHttp,
    /// A WebSocket, futures or unknown host used for Spot REST.
    WrongHost,
    /// A key-protected endpoint on the market-data-only host.
    MarketDataOnlyHost,
    /// A `/sapi` endpoint on the testnet, which has none.
    SapiOnTestnet,
    /// `-2015` and a key of another environment (testnet, demo, production).
    EnvironmentMismatch,
    /// `-2015`: the key lacks the permission, or the IP is not whitelisted.
    KeyPermissionOrIp,
    // Endpoint.
    /// The base URL and the path both carry `/api/v3` (or similar).
    DoubledPath,
    /// The path is not an endpoint of the docs.
    UnknownEndpoint,
    /// The path exists, but not with this method.
    WrongMethod,
    /// The endpoint is marked deprecated in the docs.
    DeprecatedEndpoint,
    /// A JSON body: Binance reads form-encoded parameters only.
    JsonBody,
    /// A GET request with a body, which Binance does not read.
    GetWithBody,
    // API key.
    /// A key-protected endpoint without an API key.
    ApiKeyMissing,
    /// The API key sent as a parameter instead of in `X-MBX-APIKEY`.
    ApiKeyInParameters,
    /// The key sent under another header name.
    ApiKeyHeaderMisnamed,
    /// The key has quotes, spaces, line breaks or odd characters.
    ApiKeyMalformed,
    /// The secret itself was put in the request.
    SecretSent,
    // Parameters.
    /// Shell text (`$VAR`, `$(..)`) where a value should be.
    NotExpanded,
    /// A parameter sent twice.
    DuplicateParameter,
    /// A parameter without a value.
    EmptyValue,
    /// Non-ASCII or white space sent without percent-encoding.
    NotPercentEncoded,
    /// `recvWindow` above 60000.
    RecvWindowTooLarge,
    /// `recvWindow` not a number with at most three decimals.
    RecvWindowMalformed,
    // Timestamp.
    /// A signed request without `timestamp`.
    TimestampMissing,
    /// `timestamp` is not a whole number.
    TimestampMalformed,
    /// `timestamp` in seconds (`date +%s`).
    TimestampInSeconds,
    /// `timestamp` in nanoseconds (`date +%s%N`).
    TimestampInNanoseconds,
    /// `timestamp` long before now (copied from an example or an old run).
    TimestampStale,
    /// `timestamp` more than 1000 ms ahead of the server time.
    TimestampAhead,
    /// `timestamp` older than `recvWindow` against the server time.
    TimestampOutsideRecvWindow,
    /// The local clock differs from the server time.
    ClockSkew,
    // Signature: form.
    /// A signed request without `signature`.
    SignatureMissing,
    /// `signature` is not the last parameter.
    SignatureNotLast,
    /// `signature` sent more than once.
    SignatureRepeated,
    /// The signature text is not what the key type produces.
    SignatureFormat,
    /// openssl's `SHA2-256(stdin)= ` prefix left in the signature.
    SignatureHasOpensslPrefix,
    /// A base64 signature with `+`, `/` or `=` not percent-encoded.
    SignatureNotUrlEncoded,
    /// The signature was percent-encoded twice.
    SignatureDoubleEncoded,
    /// Upper-case hex (accepted for HMAC).
    SignatureUppercaseHex,
    /// A base64 signature whose letter case was changed.
    SignatureCaseChanged,
    /// A signature on an endpoint that needs none (harmless).
    SignatureNotNeeded,
    // Signature: what was signed.
    /// Signed before percent-encoding the values.
    SignedUnencoded,
    /// Signed a differently percent-encoded text than the one sent.
    SignedOtherEncoding,
    /// Signed the parameters in another order (e.g. sorted).
    SignedOtherOrder,
    /// Signed the body followed by the query string.
    SignedBodyThenQuery,
    /// Signed the query string and body joined with `&`.
    SignedJoinedWithAmpersand,
    /// Signed only the query string, though a body was sent too.
    SignedQueryOnly,
    /// Signed only the body, though a query string was sent too.
    SignedBodyOnly,
    /// A line break after the signed text (`echo` without `-n`).
    SignedTrailingNewline,
    /// The WebSocket API's sorted, unencoded payload used on REST.
    SignedWebSocketPayload,
    /// The `signature=` parameter itself was part of the signed text.
    SignedSignatureParameter,
    /// The URL or the `?` was part of the signed text.
    SignedUrl,
    /// The API key used as the HMAC key instead of the secret.
    SignedWithApiKey,
    /// The signature matches no payload built from this request.
    SignatureMismatch,
    // Reading the request.
    /// Something the reader noticed (a skipped flag, a file not read).
    ParseNote,
}

impl Cause {
    /// The identifier `--json` prints, e.g. `"timestamp-in-seconds"`.
    pub fn id(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Which of Binance's checks this cause fails.
    pub(crate) fn stage(self) -> Stage {
        use Cause::*;
        match self {
            PlainHttp | WrongHost | MarketDataOnlyHost | SapiOnTestnet | DoubledPath
            | UnknownEndpoint | WrongMethod => Stage::Endpoint,
            ApiKeyMissing | ApiKeyInParameters | ApiKeyHeaderMisnamed | ApiKeyMalformed => {
                Stage::ApiKey
            }
            // A secret is well-formed key text that names no key: `-2015`.
            SecretSent | EnvironmentMismatch | KeyPermissionOrIp => Stage::Permission,
            TimestampMissing | SignatureMissing | TimestampMalformed | RecvWindowTooLarge
            | JsonBody | GetWithBody => Stage::Mandatory,
            RecvWindowMalformed | DuplicateParameter | EmptyValue => Stage::Parameters,
            TimestampInSeconds
            | TimestampInNanoseconds
            | TimestampStale
            | TimestampAhead
            | TimestampOutsideRecvWindow
            | ClockSkew => Stage::Timestamp,
            SignatureNotLast
            | SignatureRepeated
            | SignatureFormat
            | SignatureHasOpensslPrefix
            | SignatureNotUrlEncoded
            | SignatureDoubleEncoded
            | SignatureCaseChanged
            | SignedUnencoded
            | SignedOtherEncoding
            | SignedOtherOrder
            | SignedBodyThenQuery
            | SignedJoinedWithAmpersand
            | SignedQueryOnly
            | SignedBodyOnly
            | SignedTrailingNewline
            | SignedWebSocketPayload
            | SignedSignatureParameter
            | SignedUrl
            | SignedWithApiKey
            | SignatureMismatch
            | NotPercentEncoded => Stage::Signature,
            NotExpanded
            | SignatureUppercaseHex
            | SignatureNotNeeded
            | DeprecatedEndpoint
            | ParseNote => Stage::None,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// Binance's checks, in the order the server runs them (the sandbox's
/// `authenticate` documents the same order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    /// The request never reaches the endpoint.
    Endpoint,
    /// `-2014`.
    ApiKey,
    /// `-1102`: `timestamp`/`signature` missing, `recvWindow` too large.
    Mandatory,
    /// `-1021`.
    Timestamp,
    /// `-1022`.
    Signature,
    /// `-2015`.
    Permission,
    /// `-1100`, `-1101`, `-1105`: parameter rules.
    Parameters,
    /// Not a stage: notes.
    None,
}

/// One problem with the request: what is wrong, the evidence, the fix.
///
/// Nothing in a finding is ever a secret: API keys are shortened to their
/// first characters, and a secret found in the request is named, never
/// shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What is wrong, as an identifier.
    pub cause: Cause,
    /// How bad it is.
    pub severity: Severity,
    /// How likely this is the reason the request failed, 0 to 100; findings
    /// come sorted by it. Binance's error code, when given, raises the
    /// causes it points to.
    pub likelihood: u8,
    /// What is wrong, in one sentence.
    pub what: String,
    /// The facts: e.g. the text that was signed and the text that should
    /// have been.
    pub evidence: Vec<String>,
    /// What to do.
    pub fix: String,
}

impl Finding {
    pub(crate) fn new(
        cause: Cause,
        severity: Severity,
        likelihood: u8,
        what: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            cause,
            severity,
            likelihood,
            what: what.into(),
            evidence: Vec::new(),
            fix: fix.into(),
        }
    }

    pub(crate) fn evidence(mut self, line: impl Into<String>) -> Finding {
        self.evidence.push(line.into());
        self
    }
}
