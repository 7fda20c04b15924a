//! Errors: what the server answered ([`BinanceError`]), what went wrong on
//! the way ([`Error`]), what kind of failure it is ([`Category`]) and what to
//! do about it ([`Hint`]).
//!
//! One error path: REST, the WebSocket API, WebSocket transports and the
//! configuration all fail with [`Error`], so a caller decides once, on
//! [`Error::category`] and [`Error::is_retryable`], whatever the transport.
//! Hints here speak of the API (headers, parameters, endpoints); a program
//! with flags of its own (the `mbx` binary) adds hints that name them.

use std::fmt;

use crate::error_codes;

/// What kind of failure an error is: decides what a caller (or a script
/// reading `mbx --json`) should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Category {
    /// The API key is missing, malformed or unknown (`-2014`, `-2015` on an
    /// unknown key, `-1002`).
    Auth,
    /// The key exists but may not do this (`-2015` on a read-only key, a
    /// symbol not permitted for the account).
    Permission,
    /// The signature does not match the request (`-1022`).
    Signature,
    /// The timestamp is outside `recvWindow` (`-1021`).
    Clock,
    /// Too many requests or orders; wait and send again (`429`, `-1003`,
    /// `-1015`).
    RateLimit,
    /// The IP is banned for a while (`418`).
    Ban,
    /// The server refused the request as invalid: a parameter, a filter, an
    /// order the market cannot take (`-11xx`, `-1013`, `-2010`, …).
    Validation,
    /// A request that changes state may or may not have been executed
    /// (`-1006`, `-1007`, a timeout or a 5xx after sending an order). Look the
    /// order up before sending it again.
    UnknownOutcome,
    /// The server could not be reached or did not answer.
    Network,
    /// The server failed (5xx, `-1000`, `-1001`, `-1008`) on a request that
    /// changes nothing; a retry later may succeed.
    Server,
    /// The configuration is wrong: credentials, key files, URLs, profiles.
    Configuration,
    /// The request was refused before it was sent: a malformed argument or
    /// an order that breaks the symbol's filters.
    Usage,
}

impl Category {
    /// Every category, in documentation order.
    pub const ALL: [Category; 12] = [
        Category::Auth,
        Category::Permission,
        Category::Signature,
        Category::Clock,
        Category::RateLimit,
        Category::Ban,
        Category::Validation,
        Category::UnknownOutcome,
        Category::Network,
        Category::Server,
        Category::Configuration,
        Category::Usage,
    ];

    /// The name used in JSON output: `auth`, `rate_limit`, `unknown_outcome`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Auth => "auth",
            Category::Permission => "permission",
            Category::Signature => "signature",
            Category::Clock => "clock",
            Category::RateLimit => "rate_limit",
            Category::Ban => "ban",
            Category::Validation => "validation",
            Category::UnknownOutcome => "unknown_outcome",
            Category::Network => "network",
            Category::Server => "server",
            Category::Configuration => "configuration",
            Category::Usage => "usage",
        }
    }

    /// Whether the failure came from the server's answer (as opposed to the
    /// network or the local configuration).
    pub fn is_from_server(self) -> bool {
        !matches!(
            self,
            Category::Network | Category::Configuration | Category::Usage
        )
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer from Binance: the HTTP status, Binance's code and its
/// message word for word, and the endpoint that answered.
///
/// `code` is `None` when the body was not Binance's `{"code","msg"}` (a
/// plain HTTP failure such as a proxy's 502 page); `msg` then holds a short
/// description of the status and body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{endpoint} failed: {}", self.code_and_msg())]
pub struct BinanceError {
    /// The HTTP status (or the WebSocket API's `status`).
    pub status: u16,
    /// Binance's error code, e.g. `-2014`.
    pub code: Option<i64>,
    /// Binance's message, unchanged.
    pub msg: String,
    /// The request, as `METHOD /path` or `WS <method>` (never with its
    /// query string).
    pub endpoint: String,
    /// The `Retry-After` the server sent with a 429 or 418, in seconds.
    pub retry_after_secs: Option<u64>,
}

impl BinanceError {
    /// An error answer.
    pub fn new(
        status: u16,
        code: Option<i64>,
        msg: impl Into<String>,
        endpoint: impl Into<String>,
    ) -> BinanceError {
        BinanceError {
            status,
            code,
            msg: msg.into(),
            endpoint: endpoint.into(),
            retry_after_secs: None,
        }
    }

    /// The same error with the server's `Retry-After`, in seconds.
    pub fn with_retry_after(mut self, seconds: Option<u64>) -> BinanceError {
        self.retry_after_secs = seconds;
        self
    }

    /// `-2014 API-key format invalid.`, or `HTTP 502 Bad Gateway` without a
    /// code.
    pub fn code_and_msg(&self) -> String {
        match self.code {
            Some(code) => format!("{code} {}", self.msg),
            None => format!("HTTP {} {}", self.status, self.msg),
        }
    }

    /// What kind of failure this answer is.
    pub fn category(&self) -> Category {
        if self.status == 418 {
            return Category::Ban;
        }
        if self.status == 429 {
            return Category::RateLimit;
        }
        if self.code == Some(-2015) && self.msg_says_permission() {
            return Category::Permission;
        }
        if self.outcome_unknown() && endpoint_changes_state(&self.endpoint) {
            return Category::UnknownOutcome;
        }
        if let Some(code) = self.code
            && let Some(known) = error_codes::lookup(code)
        {
            return known.category;
        }
        match self.status {
            401 => Category::Auth,
            403 => Category::Permission,
            status if status == 408 || status >= 500 => Category::Server,
            _ => Category::Validation,
        }
    }

    /// What to do about this answer. Every code in Binance's `errors.md`
    /// and every HTTP status Binance documents has one.
    pub fn hint(&self) -> Option<Hint> {
        if self.status == 418 {
            return Some(Hint::new(match self.retry_after_secs {
                Some(seconds) => format!(
                    "this IP is banned for sending too many requests; send nothing for {} and use WebSocket Streams instead of polling",
                    seconds_text(seconds)
                ),
                None => "this IP is banned for sending too many requests; send nothing until the `Retry-After` time has passed, then use WebSocket Streams instead of polling".to_owned(),
            }));
        }
        if self.status == 429 && self.code != Some(-1015) {
            return Some(Hint::new(match self.retry_after_secs {
                Some(seconds) => format!(
                    "retry in {}, and use WebSocket Streams instead of polling; another request before then gets the IP banned (418)",
                    seconds_text(seconds)
                ),
                None => "wait the `Retry-After` seconds before the next request and use WebSocket Streams instead of polling".to_owned(),
            }));
        }
        if let Some(code) = self.code {
            if matches!(code, -2010 | -2011 | -1010 | -2038)
                && let Some(hint) = error_codes::engine_message_hint(&self.msg)
            {
                return Some(Hint::new(hint));
            }
            if code == -1013
                && let Some(hint) = error_codes::filter_hint(&self.msg)
            {
                return Some(Hint::new(hint));
            }
            if let Some(known) = error_codes::lookup(code) {
                return Some(Hint::new(known.hint));
            }
        }
        let text = match self.status {
            400 => {
                "check the parameters against the endpoint's documentation; the message says which one is wrong"
            }
            401 => "send a valid API key in the `X-MBX-APIKEY` header",
            403 => {
                "a web application firewall blocked the request; slow down and keep SQL keywords and scripts out of parameters"
            }
            404 => {
                "check the path and the base URL; the base URL must not end in `/api/v3` (the path adds it)"
            }
            405 => "check the HTTP method against the endpoint's documentation",
            408 => {
                "the server timed out; for a request that changes state, look it up before sending it again"
            }
            409 => {
                "a cancel-replace partly succeeded; query the order before sending another request"
            }
            410 => {
                "this endpoint was removed; user-data streams now use the WebSocket API (`userDataStream.subscribe.signature`), not a listenKey"
            }
            451 => {
                "Binance does not serve this location; use the service meant for your country or region"
            }
            status if status >= 500 => {
                "the server failed; the outcome of a request that changes state is unknown, so look it up before repeating it; retry reads later"
            }
            _ => {
                "check the request against the endpoint's documentation; the status code says what kind of failure it is"
            }
        };
        Some(Hint::new(text))
    }

    /// Whether this answer means "too many requests" or "banned" (429/418).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self.status, 429 | 418)
    }

    /// Whether a request that changes state may have been executed anyway:
    /// `-1006`, `-1007`, 408 or a 5xx.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self.code, Some(-1006 | -1007)) || self.status == 408 || self.status >= 500
    }

    fn msg_says_permission(&self) -> bool {
        // Binance uses one code for "unknown key", "wrong IP" and "no
        // permission"; the sandbox and some gateways name the permission.
        let msg = self.msg.to_ascii_lowercase();
        msg.contains("permission") && !msg.contains("invalid api-key")
    }
}

/// Whether a request changes state (places, amends or cancels orders), so
/// that a failure without a clear answer leaves its outcome unknown.
///
/// `endpoint` is `METHOD /path` (REST: any method but `GET`) or
/// `WS <method>` (WebSocket API: the order methods, not their `.status` or
/// `.test` forms).
pub fn endpoint_changes_state(endpoint: &str) -> bool {
    match endpoint.split_once(' ') {
        Some(("WS", method)) => ws_method_changes_state(method),
        Some((method, path)) => method != "GET" && !path.ends_with("/test"),
        None => false,
    }
}

/// Whether a WebSocket API method changes state.
pub fn ws_method_changes_state(method: &str) -> bool {
    let reads = [
        ".status",
        ".test",
        "order.amendments",
        "openOrderLists.status",
        "allOrderLists",
    ];
    (method.starts_with("order.")
        || method.starts_with("orderList.")
        || method.starts_with("sor.order.")
        || method == "openOrders.cancelAll")
        && !reads
            .iter()
            .any(|read| method.ends_with(read) || method == *read)
}

/// `45 s`, `2 min`, `1 min 30 s`.
fn seconds_text(seconds: u64) -> String {
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// One imperative sentence saying what to do, naming the exact header,
/// parameter or endpoint in backticks. No final period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint(String);

impl Hint {
    /// A hint from text.
    pub fn new(text: impl Into<String>) -> Hint {
        Hint(text.into())
    }

    /// The hint text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A cause of an error, as text, with its own cause: the chain a user sees
/// as `Caused by:` lines. Cloneable (unlike `std::io::Error`), and built
/// only from text that holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    text: String,
    source: Option<Box<Cause>>,
}

impl Cause {
    /// One cause.
    pub fn new(text: impl Into<String>) -> Cause {
        Cause {
            text: text.into(),
            source: None,
        }
    }

    /// Copies the chain of `err` and its sources, skipping a level whose
    /// text repeats the level above (a common wrapper pattern).
    pub fn from_error(err: &(dyn std::error::Error + 'static)) -> Cause {
        let mut texts = vec![err.to_string()];
        let mut source = err.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if texts.last().is_none_or(|last| !last.contains(&text)) {
                texts.push(text);
            }
            source = cause.source();
        }
        Cause::chain(texts)
    }

    /// A chain from the outermost text to the innermost.
    pub fn chain(texts: impl IntoIterator<Item = String>) -> Cause {
        let texts: Vec<String> = texts.into_iter().collect();
        let mut cause: Option<Box<Cause>> = None;
        for text in texts.into_iter().rev() {
            cause = Some(Box::new(Cause {
                text,
                source: cause,
            }));
        }
        cause.map_or_else(|| Cause::new(""), |cause| *cause)
    }

    /// This level's text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

/// A configuration problem, found before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No API key anywhere it is looked for.
    #[error("no API key configured")]
    NoApiKey,
    /// An API key but no secret or private key to sign with.
    #[error("no secret configured")]
    NoSecret,
    /// The API key text is not a key.
    #[error(
        "{source_name}: the API key is malformed: {problem} (Binance API keys are 64 letters and digits)"
    )]
    MalformedApiKey {
        /// Where it came from, e.g. `` `BINANCE_API_KEY` ``.
        source_name: String,
        /// What is wrong, e.g. `it has surrounding quotes`.
        problem: &'static str,
    },
    /// The secret or private key could not be used.
    #[error("{source_name}: {reason}")]
    BadKey {
        /// Where it came from: an environment variable or a file path.
        source_name: String,
        /// What is wrong with it.
        reason: String,
        /// What kind of problem it is.
        kind: KeyProblem,
    },
    /// A key or secret file could not be read.
    #[error("cannot read key file `{path}`")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        #[source]
        cause: Cause,
    },
    /// A URL that is not one.
    #[error("`{url}` is not a usable URL: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Plain `http://` or `ws://` to a host that is not loopback.
    #[error("refusing `{url}`: plain {scheme} is allowed only to loopback")]
    InsecureUrl {
        /// The URL as given.
        url: String,
        /// `http` or `ws`.
        scheme: String,
    },
    /// A URL with a user name or password in it.
    #[error("refusing a URL with a user name or password in it")]
    UrlWithCredentials,
    /// A base URL that already ends in an API path.
    #[error("the base URL `{url}` ends in `{path}`, which every request path adds again")]
    BaseUrlWithPath {
        /// The URL as given.
        url: String,
        /// The path it ends in, e.g. `/api/v3`.
        path: String,
    },
    /// The environment has no URL for this kind of connection.
    #[error("no {what} URL is known for {environment}")]
    NoUrl {
        /// `WebSocket API`, `WebSocket Streams`.
        what: &'static str,
        /// The environment, e.g. `https://data-api.binance.vision`.
        environment: String,
    },
    /// The profile file is wrong, or the profile does not exist.
    #[error("{0}")]
    Profile(String),
}

/// What is wrong with a secret or private key, for the hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProblem {
    /// A public key where the private key is needed.
    PublicKeyGiven,
    /// Not a PEM file where a PEM key is expected (often an HMAC secret in
    /// a key-file slot).
    NotPem,
    /// A PEM of a kind Binance does not sign with.
    UnsupportedKey,
    /// The secret text is empty or has quotes or spaces.
    MalformedSecret,
}

impl ConfigError {
    /// What to do about it.
    pub fn hint(&self) -> Hint {
        Hint::new(match self {
            ConfigError::NoApiKey => {
                "configure the API key (it is sent in the `X-MBX-APIKEY` header) and its secret or private key"
            }
            ConfigError::NoSecret => {
                "configure the HMAC secret or the Ed25519/RSA private key that belongs to the API key"
            }
            ConfigError::MalformedApiKey { .. } => {
                "copy the API key again from API Management, without quotes, spaces or line breaks"
            }
            ConfigError::BadKey { kind, .. } => match kind {
                KeyProblem::PublicKeyGiven => {
                    "use the private key to sign; the public key is what you register with Binance"
                }
                KeyProblem::NotPem => {
                    "a key file holds a PEM private key (`-----BEGIN PRIVATE KEY-----`); an HMAC secret is configured as a secret, not as a key file"
                }
                KeyProblem::UnsupportedKey => {
                    "sign with an Ed25519 or RSA private key in PKCS#8 PEM, or with an HMAC secret"
                }
                KeyProblem::MalformedSecret => {
                    "copy the secret again from API Management, without quotes, spaces or line breaks"
                }
            },
            ConfigError::Unreadable { .. } => {
                "check the path and that the file is readable by you (and by no one else: mode 600)"
            }
            ConfigError::InvalidUrl { .. } => {
                "write the base URL like `https://api.binance.com`, or `http://127.0.0.1:PORT` for a local sandbox"
            }
            ConfigError::InsecureUrl { .. } => {
                "use `https://` or `wss://`; plain http and ws are for a sandbox on this machine only"
            }
            ConfigError::UrlWithCredentials => {
                "remove the user name and password from the URL; Binance authenticates with the API key and signature"
            }
            ConfigError::BaseUrlWithPath { .. } => {
                "drop the path from the base URL, e.g. `https://api.binance.com`"
            }
            ConfigError::NoUrl { .. } => {
                "give the URL explicitly; the market-data-only hosts have no WebSocket API and no user data"
            }
            ConfigError::Profile(_) => {
                "each profile is a `[profiles.NAME]` table with `environment`, `api_key` or `api_key_env`, `secret_file` or `key_file`, and `recv_window`"
            }
        })
    }
}

/// Everything a port can fail with: the one error type from every
/// transport and the configuration.
///
/// [`Error::category`] says what kind of failure it is,
/// [`Error::is_retryable`] whether sending again may help, and
/// [`Error::hint`] what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request that changes nothing did not get an answer: connection
    /// refused or reset, timeout, TLS failure.
    #[error("{endpoint}: network error")]
    Transport {
        /// The request, as `METHOD /path` or `WS <method>`.
        endpoint: String,
        /// What failed, without secrets.
        #[source]
        cause: Cause,
    },
    /// A request that changes state (an order) may or may not have been
    /// executed: no answer after it was sent, a 5xx, or `-1007`.
    #[error("{endpoint}: the outcome is unknown")]
    OutcomeUnknown {
        /// The request.
        endpoint: String,
        /// What happened.
        #[source]
        cause: Cause,
    },
    /// A request that changes state had an unknown outcome, and looking it
    /// up showed that it was not executed: nothing changed, and sending it
    /// again is safe.
    #[error("{endpoint}: not executed")]
    NotExecuted {
        /// The request.
        endpoint: String,
        /// Why the outcome was unknown, and what the lookup found.
        #[source]
        cause: Cause,
    },
    /// The server answered with an error.
    #[error(transparent)]
    Api(#[from] BinanceError),
    /// The server answered with success, but the body is not what the
    /// endpoint documents.
    #[error("{endpoint}: unexpected response: {reason}")]
    Decode {
        /// The request.
        endpoint: String,
        /// What did not parse, with the start of the body.
        reason: String,
    },
    /// The request was held back because the rate-limit ledger (or a
    /// `Retry-After` or ban from the server, maybe from an earlier run) says
    /// it may not be sent for longer than the caller is willing to wait.
    #[error("{endpoint}: not sent, {}", throttled_text(*.wait_ms, *.banned))]
    Throttled {
        /// The request.
        endpoint: String,
        /// How long until it may be sent.
        wait_ms: i64,
        /// Whether the IP is banned (418) rather than only rate-limited.
        banned: bool,
    },
    /// The server answered with a redirect. Binance never redirects API
    /// calls; nothing was sent to the new location.
    #[error(
        "{endpoint}: the server redirected to `{location}` (HTTP {status}); nothing was sent there"
    )]
    Redirected {
        /// The request.
        endpoint: String,
        /// The 3xx status.
        status: u16,
        /// The `Location` header, without its query string.
        location: String,
    },
    /// The configuration is wrong; nothing was sent.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The request was refused before it was sent.
    #[error("{reason}")]
    Invalid {
        /// What is wrong with it.
        reason: String,
        /// What to do about it, when the caller knows.
        hint: Option<Hint>,
    },
    /// The client or connection was closed by its owner.
    #[error("the connection was closed")]
    Closed,
}

fn throttled_text(wait_ms: i64, banned: bool) -> String {
    let seconds = u64::try_from(wait_ms.max(0)).unwrap_or(0).div_ceil(1000);
    if banned {
        format!(
            "the IP is banned for {} more (HTTP 418)",
            seconds_text(seconds)
        )
    } else {
        format!(
            "the rate limit allows it again in {}",
            seconds_text(seconds)
        )
    }
}

impl Error {
    /// A request refused before sending, with a reason and no hint.
    pub fn invalid(reason: impl Into<String>) -> Error {
        Error::Invalid {
            reason: reason.into(),
            hint: None,
        }
    }

    /// A request refused before sending, with a reason and a hint.
    pub fn invalid_with_hint(reason: impl Into<String>, hint: impl Into<String>) -> Error {
        Error::Invalid {
            reason: reason.into(),
            hint: Some(Hint::new(hint)),
        }
    }

    /// What kind of failure this is.
    pub fn category(&self) -> Category {
        match self {
            Error::Transport { .. } => Category::Network,
            Error::OutcomeUnknown { .. } => Category::UnknownOutcome,
            Error::NotExecuted { .. } => Category::Server,
            Error::Api(err) => err.category(),
            Error::Decode { .. } => Category::Server,
            Error::Throttled { banned: true, .. } => Category::Ban,
            Error::Throttled { .. } => Category::RateLimit,
            Error::Redirected { .. } => Category::Configuration,
            Error::Config(_) => Category::Configuration,
            Error::Invalid { .. } => Category::Usage,
            Error::Closed => Category::Network,
        }
    }

    /// Whether sending the same request again (after the wait the server
    /// asked for) may succeed. An unknown outcome is never retryable: look
    /// the order up first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Throttled { .. } | Error::NotExecuted { .. } => true,
            Error::Api(err) => matches!(
                err.category(),
                Category::RateLimit | Category::Ban | Category::Server | Category::Clock
            ),
            Error::Decode { .. } => true,
            Error::OutcomeUnknown { .. }
            | Error::Redirected { .. }
            | Error::Config(_)
            | Error::Invalid { .. }
            | Error::Closed => false,
        }
    }

    /// Binance's error code, when the server answered with one.
    pub fn code(&self) -> Option<i64> {
        self.as_api().and_then(|err| err.code)
    }

    /// The Binance error, if the server answered with one.
    pub fn as_api(&self) -> Option<&BinanceError> {
        match self {
            Error::Api(err) => Some(err),
            _ => None,
        }
    }

    /// The message without the endpoint: Binance's text word for word for
    /// an API error, the whole message otherwise.
    pub fn message(&self) -> String {
        match self {
            Error::Api(err) => match err.code {
                Some(_) => err.msg.clone(),
                None => format!("HTTP {} {}", err.status, err.msg),
            },
            other => other.to_string(),
        }
    }

    /// What to do about this error. Every kind of error has one.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            Error::Api(err) => err.hint(),
            Error::Transport { .. } => Some(Hint::new(
                "check the network connection and the base URL; the request changed nothing, so it is safe to send again",
            )),
            Error::OutcomeUnknown { .. } => Some(Hint::new(
                "look the order up by its `newClientOrderId` (`GET /api/v3/order` with `origClientOrderId`) before sending it again",
            )),
            Error::NotExecuted { .. } => Some(Hint::new(
                "nothing was executed; it is safe to send the request again",
            )),
            Error::Decode { .. } => Some(Hint::new(
                "the server's answer does not match the documentation; check that the base URL is a Binance Spot API",
            )),
            Error::Throttled { banned: true, .. } => Some(Hint::new(
                "send nothing until the ban ends, then use WebSocket Streams instead of polling",
            )),
            Error::Throttled { .. } => Some(Hint::new(
                "wait until the rate limit resets and use WebSocket Streams instead of polling",
            )),
            Error::Redirected { .. } => Some(Hint::new(
                "use the API host itself as the base URL (e.g. `https://api.binance.com`); a proxy or captive portal that redirects is not the API",
            )),
            Error::Config(err) => Some(err.hint()),
            Error::Invalid { hint, .. } => hint.clone().or_else(|| {
                Some(Hint::new(
                    "check the request against the endpoint's documentation",
                ))
            }),
            Error::Closed => Some(Hint::new(
                "open a new connection; this one was closed by its owner",
            )),
        }
    }
}

impl From<mbx_signing::Error> for ConfigError {
    fn from(err: mbx_signing::Error) -> ConfigError {
        let kind = match err {
            mbx_signing::Error::PublicKeyGiven { .. } => KeyProblem::PublicKeyGiven,
            mbx_signing::Error::NotPem => KeyProblem::NotPem,
            mbx_signing::Error::EmptySecret | mbx_signing::Error::SuspiciousSecret { .. } => {
                KeyProblem::MalformedSecret
            }
            _ => KeyProblem::UnsupportedKey,
        };
        ConfigError::BadKey {
            source_name: "the key".to_owned(),
            reason: err.to_string(),
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(status: u16, code: Option<i64>, needle: &str) {
        let err = BinanceError::new(status, code, "msg", "GET /api/v3/account");
        let hint = err.hint().expect("a hint");
        assert!(
            hint.as_str().contains(needle),
            "{status} {code:?}: {hint} lacks {needle}"
        );
        assert!(!hint.as_str().ends_with('.'), "{hint} ends with a period");
    }

    #[track_caller]
    fn category(status: u16, code: Option<i64>, msg: &str, expected: Category) {
        let err = BinanceError::new(status, code, msg, "GET /api/v3/account");
        assert_eq!(err.category(), expected, "{status} {code:?} {msg}");
    }

    #[test]
    fn bad_key_format() {
        check(401, Some(-2014), "`X-MBX-APIKEY`")
    }
    #[test]
    fn rejected_key() {
        check(401, Some(-2015), "IP")
    }
    #[test]
    fn bad_signature() {
        check(400, Some(-1022), "percent-encoded")
    }
    #[test]
    fn clock_skew() {
        check(400, Some(-1021), "`recvWindow`")
    }
    #[test]
    fn too_many_requests() {
        check(429, Some(-1003), "WebSocket Streams")
    }
    #[test]
    fn banned() {
        check(418, Some(-1003), "banned")
    }
    #[test]
    fn retry_after_is_said_in_seconds() {
        let err = BinanceError::new(429, Some(-1003), "m", "e").with_retry_after(Some(45));
        assert!(err.hint().unwrap().as_str().contains("retry in 45 s"));
        let err = BinanceError::new(418, Some(-1003), "m", "e").with_retry_after(Some(120));
        assert!(err.hint().unwrap().as_str().contains("for 2 min"));
    }
    #[test]
    fn filter_failure_names_the_filter() {
        let err = BinanceError::new(400, Some(-1013), "Filter failure: LOT_SIZE", "e");
        assert!(err.hint().unwrap().as_str().contains("`stepSize`"));
    }
    #[test]
    fn engine_messages_get_their_own_hint() {
        let err = BinanceError::new(
            400,
            Some(-2010),
            "Account has insufficient balance for requested action.",
            "e",
        );
        assert!(err.hint().unwrap().as_str().contains("balance"));
    }
    #[test]
    fn removed_listen_key_endpoint() {
        check(410, None, "userDataStream.subscribe.signature")
    }
    #[test]
    fn unavailable_location() {
        check(451, None, "location")
    }
    #[test]
    fn server_failure() {
        check(503, None, "unknown")
    }
    #[test]
    fn waf() {
        check(403, None, "firewall")
    }
    #[test]
    fn invalid_side() {
        check(400, Some(-1117), "`BUY`")
    }

    #[test]
    fn categories() {
        category(401, Some(-2014), "API-key format invalid.", Category::Auth);
        category(
            401,
            Some(-2015),
            "Invalid API-key, IP, or permissions for action.",
            Category::Auth,
        );
        category(
            401,
            Some(-2015),
            "This key lacks the permission for this action.",
            Category::Permission,
        );
        category(400, Some(-1022), "m", Category::Signature);
        category(400, Some(-1021), "m", Category::Clock);
        category(429, Some(-1003), "m", Category::RateLimit);
        category(418, Some(-1003), "m", Category::Ban);
        category(429, Some(-1015), "m", Category::RateLimit);
        category(400, Some(-1013), "m", Category::Validation);
        category(408, Some(-1007), "m", Category::Server);
        category(503, None, "m", Category::Server);
        let order = |status, code| BinanceError::new(status, code, "m", "POST /api/v3/order");
        assert_eq!(order(503, None).category(), Category::UnknownOutcome);
        assert_eq!(order(408, Some(-1007)).category(), Category::UnknownOutcome);
        assert_eq!(order(400, Some(-2010)).category(), Category::Validation);
        let ws = BinanceError::new(400, Some(-1007), "m", "WS order.place");
        assert_eq!(ws.category(), Category::UnknownOutcome);
        assert!(!Error::Api(ws).is_retryable());
        let test_order = BinanceError::new(500, None, "m", "POST /api/v3/order/test");
        assert_eq!(test_order.category(), Category::Server);
        category(400, Some(-9999), "m", Category::Validation);
    }

    #[test]
    fn every_error_kind_has_a_hint_and_a_category() {
        let kinds = [
            Error::Transport {
                endpoint: "GET /x".into(),
                cause: Cause::new("reset"),
            },
            Error::OutcomeUnknown {
                endpoint: "POST /api/v3/order".into(),
                cause: Cause::new("timeout"),
            },
            Error::NotExecuted {
                endpoint: "POST /api/v3/order".into(),
                cause: Cause::new("not found"),
            },
            Error::Decode {
                endpoint: "GET /x".into(),
                reason: "r".into(),
            },
            Error::Throttled {
                endpoint: "GET /x".into(),
                wait_ms: 45_000,
                banned: false,
            },
            Error::Throttled {
                endpoint: "GET /x".into(),
                wait_ms: 45_000,
                banned: true,
            },
            Error::Redirected {
                endpoint: "GET /x".into(),
                status: 302,
                location: "https://evil.example/".into(),
            },
            Error::Config(ConfigError::NoApiKey),
            Error::Config(ConfigError::NoSecret),
            Error::Config(ConfigError::UrlWithCredentials),
            Error::invalid("bad"),
            Error::Closed,
        ];
        for err in kinds {
            let hint = err.hint().unwrap_or_else(|| panic!("{err:?} has no hint"));
            assert!(!hint.as_str().ends_with('.'), "{hint}");
            assert!(Category::ALL.contains(&err.category()));
        }
    }

    #[test]
    fn every_status_without_a_code_has_a_hint() {
        for status in [
            400, 401, 403, 404, 405, 408, 409, 410, 418, 429, 451, 500, 502, 503, 504,
        ] {
            assert!(
                BinanceError::new(status, None, "m", "e").hint().is_some(),
                "{status}"
            );
        }
    }

    #[test]
    fn an_unknown_outcome_is_never_retried() {
        let err = Error::OutcomeUnknown {
            endpoint: "POST /api/v3/order".into(),
            cause: Cause::new("timeout"),
        };
        assert!(!err.is_retryable());
        assert_eq!(err.category(), Category::UnknownOutcome);
        // Once a lookup shows it was not executed, sending it again is safe.
        let err = Error::NotExecuted {
            endpoint: "POST /api/v3/order".into(),
            cause: Cause::new("no such order"),
        };
        assert!(err.is_retryable());
        assert_eq!(err.category(), Category::Server);
        assert_eq!(err.to_string(), "POST /api/v3/order: not executed");
    }

    #[test]
    fn display_names_endpoint_code_and_message() {
        let err = BinanceError::new(
            401,
            Some(-2014),
            "API-key format invalid.",
            "GET /api/v3/account",
        );
        assert_eq!(
            err.to_string(),
            "GET /api/v3/account failed: -2014 API-key format invalid."
        );
        let err = BinanceError::new(502, None, "Bad Gateway", "GET /api/v3/time");
        assert_eq!(
            err.to_string(),
            "GET /api/v3/time failed: HTTP 502 Bad Gateway"
        );
        let err = Error::Throttled {
            endpoint: "GET /api/v3/account".into(),
            wait_ms: 44_200,
            banned: false,
        };
        assert_eq!(
            err.to_string(),
            "GET /api/v3/account: not sent, the rate limit allows it again in 45 s"
        );
    }

    #[test]
    fn causes_form_a_chain() {
        let cause = Cause::chain(["error sending request".to_owned(), "refused".to_owned()]);
        let err = Error::Transport {
            endpoint: "GET /api/v3/time".into(),
            cause,
        };
        let mut texts = Vec::new();
        let mut source = std::error::Error::source(&err);
        while let Some(level) = source {
            texts.push(level.to_string());
            source = level.source();
        }
        assert_eq!(texts, ["error sending request", "refused"]);
    }

    #[test]
    fn retryable() {
        let transport = Error::Transport {
            endpoint: "GET /x".into(),
            cause: Cause::new("reset"),
        };
        assert!(transport.is_retryable());
        assert!(Error::Api(BinanceError::new(429, Some(-1003), "m", "e")).is_retryable());
        assert!(!Error::Api(BinanceError::new(400, Some(-1022), "m", "e")).is_retryable());
    }
}
