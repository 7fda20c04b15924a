//! The checks, in Binance's order: host and endpoint, API key, mandatory
//! parameters, `recvWindow`, timestamp; then the ranking. The signature
//! checks are in `signature.rs`.
//!
//! Sources: shared/binance-docs/rest-api.md § Request Security, § Timing
//! security, § SIGNED Endpoint Examples; errors.md; DIGEST.md § 1 and § 2.

use mbx_domain::endpoints::{self, RestEndpoint, Security};
use mbx_signing::payload::encode_component;
use mbx_signing::{HmacKey, Verifier};

use super::finding::{Cause, Finding, Severity, Stage};
use super::host::{Environment, environment};
use super::request::{HandMadeRequest, Param, Part};
use super::{Answer, Context, KeyMaterial};

/// `recvWindow` when none is sent (rest-api.md § Timing security).
pub(crate) const DEFAULT_RECV_WINDOW_MS: i64 = 5000;
/// The largest `recvWindow` Binance accepts.
pub(crate) const MAX_RECV_WINDOW_MS: i64 = 60_000;
/// A timestamp before 2020-01-01 was not made now: it was copied.
const OLDEST_PLAUSIBLE_MS: i64 = 1_577_836_800_000;
/// The docs' example timestamp.
const DOCS_TIMESTAMP: &str = "1499827319559";

/// Where an API key was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyPlace {
    /// `X-MBX-APIKEY`, the right place.
    Header,
    /// A header with another name, e.g. `X-MBX-API-KEY`.
    OtherHeader(String),
    /// A parameter, e.g. `apiKey=` in the query string.
    Parameter(Part, String),
}

/// An API key found in the request.
#[derive(Debug, Clone)]
pub(crate) struct FoundKey {
    pub place: KeyPlace,
    pub value: String,
}

/// The secret found in the request.
#[derive(Debug, Clone)]
pub(crate) struct FoundSecret {
    /// Where, for messages: "The header `X-MBX-APIKEY`".
    pub place: String,
    /// The texts to scrub: the value as read and as sent.
    pub texts: Vec<String>,
}

/// What every check needs, worked out once.
pub(crate) struct Analysis<'a> {
    pub req: &'a HandMadeRequest,
    pub params: Vec<Param<'a>>,
    /// The path with a doubled prefix removed.
    pub path: Option<String>,
    pub endpoint: Option<&'static RestEndpoint>,
    /// Whether the request needs the API key and a signature; when the
    /// endpoint is unknown, whether it looks meant to be signed.
    pub needs_key: bool,
    pub needs_signature: bool,
    pub environment: Option<Environment>,
    pub keys: Vec<FoundKey>,
    /// Header or parameter values that are the HMAC secret itself.
    pub secrets: Vec<FoundSecret>,
    pub recv_window_ms: i64,
}

impl<'a> Analysis<'a> {
    pub fn new(req: &'a HandMadeRequest, ctx: &Context) -> Analysis<'a> {
        let params = req.params();
        let path = req
            .path
            .as_deref()
            .map(|path| undouble(path).unwrap_or(path).to_owned());
        let endpoint = match (&req.method, &path) {
            (Some(method), Some(path)) => endpoints::rest_endpoint(method, path),
            _ => None,
        };
        let has = |name: &str| params.iter().any(|param| param.name == name);
        let (needs_key, needs_signature) = match endpoint {
            Some(endpoint) => (
                endpoint.security.needs_api_key(),
                endpoint.security.needs_signature(),
            ),
            None => {
                let signed = has("signature")
                    || has("timestamp")
                    || path.as_deref().is_some_and(|p| p.starts_with("/sapi/"))
                    || req.source == super::Source::Payload;
                (signed || req.header("x-mbx-apikey").is_some(), signed)
            }
        };
        let keys = find_keys(req, &params);
        let secrets = find_secrets(req, &params, ctx.key.as_ref());
        let recv_window_ms = params
            .iter()
            .find(|param| param.name == "recvWindow")
            .and_then(|param| parse_recv_window_us(&param.value))
            .map_or(DEFAULT_RECV_WINDOW_MS, |us| us / 1000);
        Analysis {
            req,
            environment: req.host.as_deref().map(environment),
            params,
            path,
            endpoint,
            needs_key,
            needs_signature,
            keys,
            secrets,
            recv_window_ms,
        }
    }

    /// The first parameter called `name`: the query string's wins, as on
    /// Binance.
    pub fn param(&self, name: &str) -> Option<&Param<'a>> {
        self.params.iter().find(|param| param.name == name)
    }

    /// `METHOD /path`, for messages.
    pub fn endpoint_text(&self) -> String {
        format!(
            "{} {}",
            self.req.method.as_deref().unwrap_or("?"),
            self.path.as_deref().unwrap_or("?")
        )
    }
}

/// Parser notes become findings of their own.
pub(crate) fn notes(req: &HandMadeRequest, findings: &mut Vec<Finding>) {
    for note in &req.notes {
        let cut = note == super::curl::CUT_AT_AMPERSAND;
        findings.push(Finding::new(
            Cause::ParseNote,
            if cut {
                Severity::Warning
            } else {
                Severity::Info
            },
            if cut { 75 } else { 5 },
            capitalise(note),
            if cut {
                "quote the whole URL: `curl '...?a=1&b=2'`"
            } else {
                "nothing to do unless it matters for this request"
            },
        ));
    }
}

/// Scheme and host: plain http, WebSocket hosts, the market-data-only
/// host, `/sapi` on the testnet.
pub(crate) fn host(a: &Analysis<'_>, findings: &mut Vec<Finding>) {
    let Some(host) = a.req.host.as_deref() else {
        return;
    };
    if let Some(finding) = shell_text(a, "The host", host, 80) {
        findings.push(finding);
        return;
    }
    let env = a.environment.unwrap_or(Environment::Other);
    if a.req.scheme.as_deref() == Some("http") && env != Environment::Local {
        findings.push(
            Finding::new(
                Cause::PlainHttp,
                Severity::Error,
                70,
                format!("The request goes over plain `http://` to {host}"),
                format!("use `https://{host}`: every base endpoint in the docs is `https://`, and plain HTTP shows your API key to anyone on the way"),
            ),
        );
    }
    match env {
        Environment::WebSocket => findings.push(Finding::new(
            Cause::WrongHost,
            Severity::Error,
            90,
            format!("`{host}` is a WebSocket host; it serves no REST endpoints"),
            "send REST requests to `https://api.binance.com` (testnet: `https://testnet.binance.vision`)",
        )),
        Environment::OtherProduct => findings.push(Finding::new(
            Cause::WrongHost,
            Severity::Warning,
            50,
            format!("`{host}` is not the Spot API (futures, options or Binance.US have their own endpoints, rules and keys)"),
            "for Spot, use `https://api.binance.com` and the Spot docs",
        )),
        Environment::MarketDataOnly if a.needs_key => findings.push(Finding::new(
            Cause::MarketDataOnlyHost,
            Severity::Error,
            90,
            format!("`{host}` serves public market data only; {} needs an API key", a.endpoint_text()),
            "send signed and key requests to `https://api.binance.com`",
        )),
        _ => {}
    }
    if env == Environment::Testnet && a.path.as_deref().is_some_and(|p| p.starts_with("/sapi/")) {
        findings.push(Finding::new(
            Cause::SapiOnTestnet,
            Severity::Error,
            90,
            "The Spot testnet has no `/sapi` endpoints (wallet, margin, account status)",
            "call `/sapi` endpoints on production (`https://api.binance.com`) with a production key, or use an `/api/v3` endpoint on the testnet",
        ));
    }
}

/// The path and method against the endpoint table.
pub(crate) fn endpoint(a: &Analysis<'_>, findings: &mut Vec<Finding>) {
    let (Some(method), Some(given)) = (a.req.method.as_deref(), a.req.path.as_deref()) else {
        return;
    };
    let path = a.path.as_deref().unwrap_or(given);
    if let Some(fixed) = undouble(given) {
        let prefix = &given[..given.len() - fixed.len()];
        findings.push(
            Finding::new(
                Cause::DoubledPath,
                Severity::Error,
                85,
                format!("The path repeats `{prefix}`: the base URL already ends with it"),
                format!("use the base URL without a path (e.g. `https://api.binance.com`) and the path `{fixed}`"),
            )
            .evidence(format!("sent: {given}"))
            .evidence(format!("meant: {fixed}")),
        );
    }
    if a.endpoint.is_some() {
        if let Some(endpoint) = a.endpoint.filter(|endpoint| endpoint.deprecated) {
            findings.push(Finding::new(
                Cause::DeprecatedEndpoint,
                Severity::Info,
                5,
                format!(
                    "{} {} is deprecated in the docs",
                    endpoint.method, endpoint.path
                ),
                format!("see {} for its replacement", endpoint.docs),
            ));
        }
        return;
    }
    let others: Vec<&RestEndpoint> = endpoints::rest_endpoints_at(path).collect();
    if !others.is_empty() {
        let methods: Vec<&str> = others.iter().map(|e| e.method.as_str()).collect();
        findings.push(Finding::new(
            Cause::WrongMethod,
            Severity::Error,
            80,
            format!("`{path}` has no {method} endpoint"),
            format!("use {} (`-X {}`)", methods.join(" or "), methods[0]),
        ));
        return;
    }
    if path.starts_with("/sapi/") {
        findings.push(Finding::new(
            Cause::UnknownEndpoint,
            Severity::Info,
            5,
            format!("`{path}` is a wallet endpoint the Spot docs do not describe; explain assumes it is signed"),
            "check its security type in Binance's Wallet docs",
        ));
        return;
    }
    let lower = path.to_ascii_lowercase();
    let near = endpoints::rest_endpoints()
        .iter()
        .find(|e| e.path.to_ascii_lowercase() == lower.trim_end_matches('/'))
        .or_else(|| {
            let v3 = lower
                .replacen("/api/v1/", "/api/v3/", 1)
                .replacen("/api/v2/", "/api/v3/", 1);
            endpoints::rest_endpoints()
                .iter()
                .find(|e| e.path.to_ascii_lowercase() == v3)
        });
    let mut finding = Finding::new(
        Cause::UnknownEndpoint,
        Severity::Warning,
        50,
        format!("{method} {path} is not an endpoint of the Spot REST API docs"),
        match near {
            Some(near) => format!(
                "did you mean {} {}? Paths are case-sensitive and have no trailing `/`",
                near.method, near.path
            ),
            None => {
                "check the path against rest-api.md; Binance answers unknown paths with HTTP 404"
                    .to_owned()
            }
        },
    );
    if let Some(near) = near {
        finding = finding.evidence(format!(
            "documented: {} {} ({})",
            near.method, near.path, near.docs
        ));
    }
    findings.push(finding);
}

/// The API key: present, in `X-MBX-APIKEY`, well-formed, not the secret.
pub(crate) fn api_key(a: &Analysis<'_>, findings: &mut Vec<Finding>) {
    if a.req.source == super::Source::Payload {
        return;
    }
    for secret in &a.secrets {
        findings.push(Finding::new(
            Cause::SecretSent,
            Severity::Error,
            97,
            format!("{} holds your secret key, not your API key", secret.place),
            "send the API key in `X-MBX-APIKEY` and keep the secret on your machine: it only signs. If this request left your machine, delete the key pair in API Management and create a new one",
        ));
    }
    let header = a.keys.iter().find(|key| key.place == KeyPlace::Header);
    let misplaced: Vec<&FoundKey> = a
        .keys
        .iter()
        .filter(|key| key.place != KeyPlace::Header)
        .collect();
    if a.needs_key && header.is_none() {
        if let Some((cause, what, fix)) = misplaced.first().and_then(|key| misplaced_text(key)) {
            findings.push(
                Finding::new(cause, Severity::Error, 92, what, fix).evidence(security_text(a)),
            );
        } else {
            findings.push(
                Finding::new(
                    Cause::ApiKeyMissing,
                    Severity::Error,
                    90,
                    format!("{} needs an API key and none is sent", a.endpoint_text()),
                    "send it in the `X-MBX-APIKEY` header: `-H 'X-MBX-APIKEY: <your API key>'`",
                )
                .evidence(security_text(a)),
            );
        }
    } else if header.is_some() {
        for key in &misplaced {
            if let KeyPlace::Parameter(part, name) = &key.place {
                findings.push(Finding::new(
                    Cause::ApiKeyInParameters,
                    Severity::Warning,
                    45,
                    format!("The API key is also sent as `{name}` in the {part}"),
                    format!("drop `{name}`: the key belongs in the `X-MBX-APIKEY` header only, and Binance may answer an unread parameter with `-1104`"),
                ));
            }
        }
    }
    let Some(key) = header.or(misplaced.first().copied()) else {
        return;
    };
    if a.secrets
        .iter()
        .any(|secret| secret.texts.contains(&key.value))
    {
        return;
    }
    if let Some(finding) = shell_text(a, "The API key", key.value.trim(), 85) {
        findings.push(finding);
        return;
    }
    if let Some(problem) = key_problem(&key.value) {
        let (cause, likelihood) = if problem.starts_with("holds shell text") {
            (Cause::NotExpanded, 85)
        } else {
            (Cause::ApiKeyMalformed, 85)
        };
        findings.push(
            Finding::new(
                cause,
                Severity::Error,
                likelihood,
                format!("The API key {problem}"),
                "copy the API key again from API Management: 64 letters and digits, without quotes, spaces or line breaks; Binance answers a malformed key with `-2014`",
            )
            .evidence(format!("key: {}", describe_key(&key.value))),
        );
    } else if key.value.len() != 64 {
        findings.push(
            Finding::new(
                Cause::ApiKeyMalformed,
                Severity::Warning,
                30,
                format!(
                    "The API key has {} characters; Binance's keys have 64",
                    key.value.len()
                ),
                "check that the whole key was copied",
            )
            .evidence(format!("key: {}", describe_key(&key.value))),
        );
    }
}

/// What to say about a key found outside `X-MBX-APIKEY`; `None` for the
/// header itself.
fn misplaced_text(key: &FoundKey) -> Option<(Cause, String, String)> {
    match &key.place {
        KeyPlace::Header => None,
        KeyPlace::Parameter(part, name) => Some((
            Cause::ApiKeyInParameters,
            format!(
                "The API key is sent as the parameter `{name}` in the {part}, not in the `X-MBX-APIKEY` header"
            ),
            format!(
                "send it as a header, `-H 'X-MBX-APIKEY: {}'`, and drop `{name}` from the parameters and from the signed text (REST is not the WebSocket API, where `apiKey` is a parameter)",
                mask_key(&key.value)
            ),
        )),
        KeyPlace::OtherHeader(name) => Some((
            Cause::ApiKeyHeaderMisnamed,
            format!(
                "The API key is sent in the header `{name}`; Binance reads only `X-MBX-APIKEY`"
            ),
            format!(
                "rename the header to `X-MBX-APIKEY`: `-H 'X-MBX-APIKEY: {}'`",
                mask_key(&key.value)
            ),
        )),
    }
}

/// Parameter rules: duplicates, empty values, encoding, JSON bodies,
/// `recvWindow`, shell text.
pub(crate) fn parameters(a: &Analysis<'_>, findings: &mut Vec<Finding>) {
    let req = a.req;
    let content_type = req
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let body = req.body.trim_start();
    if content_type.contains("json") || body.starts_with('{') || body.starts_with('[') {
        findings.push(
            Finding::new(
                Cause::JsonBody,
                Severity::Error,
                80,
                "The body is JSON; Binance REST reads parameters from the query string or an `application/x-www-form-urlencoded` body only",
                "send `name=value&...` pairs (`-d 'symbol=BTCUSDT&side=BUY'`) or put them in the query string; JSON is the WebSocket API's format",
            )
            .evidence(format!("Content-Type: {}", req.header("content-type").unwrap_or("(none)"))),
        );
    } else if !req.body.is_empty() && req.method.as_deref() == Some("GET") {
        findings.push(Finding::new(
            Cause::GetWithBody,
            Severity::Error,
            75,
            "A GET request with a body: Binance reads GET parameters from the query string only",
            "move the body's parameters into the query string (with curl: add `-G` so that `-d` goes into the URL)",
        ));
    }
    let mut seen: Vec<(&str, Part)> = Vec::new();
    for param in &a.params {
        let name = param.name.as_ref();
        if name == "signature" {
            continue;
        }
        if let Some((_, first_part)) = seen.iter().find(|(seen_name, _)| *seen_name == name) {
            let same_part = *first_part == param.part;
            findings.push(if same_part {
                Finding::new(
                    Cause::DuplicateParameter,
                    Severity::Error,
                    70,
                    format!("`{name}` is sent twice in the {}", param.part),
                    format!("send `{name}` once; Binance answers duplicates with `-1101` \"Duplicate values for a parameter detected.\""),
                )
            } else {
                Finding::new(
                    Cause::DuplicateParameter,
                    Severity::Warning,
                    45,
                    format!("`{name}` is sent in both the query string and the body"),
                    format!("send `{name}` once: Binance uses the query string's value, while the signature covers both"),
                )
            });
        } else {
            seen.push((name, param.part));
        }
        if param.value.is_empty() {
            findings.push(Finding::new(
                Cause::EmptyValue,
                Severity::Error,
                60,
                format!("`{name}` has no value"),
                format!("give `{name}` a value or leave it out; Binance answers empty parameters with `-1105` (or `-1102` for mandatory ones)"),
            ));
        }
        let raw_issue = |text: &str| {
            text.chars()
                .find(|c| !c.is_ascii() || c.is_whitespace() || c.is_ascii_control())
        };
        // Shell text has its own finding; its spaces are the shell's.
        if let Some(bad) = raw_issue(param.raw).filter(|_| !looks_unexpanded(param.raw)) {
            let what = if bad.is_ascii() {
                format!("`{name}` holds white space that is not percent-encoded")
            } else {
                format!("`{name}` holds non-ASCII text that is not percent-encoded")
            };
            findings.push(
                Finding::new(
                    Cause::NotPercentEncoded,
                    Severity::Error,
                    70,
                    what,
                    "percent-encode every name and value, sign that encoded text, and send exactly it: since 2026-01-15 Binance REST rejects signatures over un-encoded text with `-1022`",
                )
                .evidence(format!("sent:    {}", show(param.raw)))
                .evidence(format!(
                    "encoded: {}={}",
                    encode_component(&param.name),
                    encode_component(&param.value)
                )),
            );
        }
        if !matches!(name, "timestamp" | "recvWindow" | "signature")
            && !is_key_name(name)
            && let Some(finding) = shell_text(a, &format!("`{name}`"), param.raw_value, 60)
        {
            findings.push(finding);
        }
    }
    if let Some(param) = a.param("recvWindow") {
        let text = param.value.as_ref();
        match parse_recv_window_us(text) {
            _ if looks_unexpanded(param.raw_value) => {
                findings.extend(shell_text(a, "`recvWindow`", param.raw_value, 60));
            }
            None => findings.push(Finding::new(
                Cause::RecvWindowMalformed,
                Severity::Error,
                70,
                format!("`recvWindow={text}` is not a number of milliseconds with at most three decimals"),
                "send e.g. `recvWindow=5000` (or `6000.346` for microseconds)",
            )),
            Some(us) if us > MAX_RECV_WINDOW_MS * 1000 => findings.push(Finding::new(
                Cause::RecvWindowTooLarge,
                Severity::Error,
                80,
                format!("`recvWindow={text}` is above the maximum of 60000 ms"),
                "send at most `recvWindow=60000` (5000 or less is recommended); Binance answers `-1102` \"'recvWindow' contains unexpected value. Cannot be greater than 60000.\"",
            )),
            Some(0) => findings.push(Finding::new(
                Cause::RecvWindowMalformed,
                Severity::Warning,
                40,
                "`recvWindow=0` leaves no time for the request to arrive; every request is late",
                "leave `recvWindow` out (5000 ms) or send a few seconds",
            )),
            Some(_) => {}
        }
    }
}

/// `timestamp`: present, a whole number, milliseconds or microseconds,
/// within `recvWindow` of the server time.
pub(crate) fn timestamp(a: &Analysis<'_>, ctx: &Context, findings: &mut Vec<Finding>) {
    let Some(param) = a.param("timestamp") else {
        if a.needs_signature {
            findings.push(Finding::new(
                Cause::TimestampMissing,
                Severity::Error,
                90,
                format!("{} is signed and needs `timestamp`; none is sent", a.endpoint_text()),
                "add `timestamp=<current time in milliseconds>` before signing (bash: `$(date +%s%3N)`); Binance answers `-1102` without it",
            ),
            );
        } else if let Some(answer) = ctx
            .answer
            .as_ref()
            .filter(|answer| answer.code == Some(-1021))
        {
            findings.push(Finding::new(
                Cause::TimestampOutsideRecvWindow,
                Severity::Warning,
                50,
                format!(
                    "Binance answered `-1021` ({}) but the request has no `timestamp`",
                    answer.msg
                ),
                "explain the request that got the answer",
            ));
        }
        return;
    };
    let text = param.value.trim();
    if let Some(finding) = shell_text(a, "`timestamp`", param.raw_value, 90) {
        findings.push(finding);
        return;
    }
    let recv = a.recv_window_ms;
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        findings.push(Finding::new(
            Cause::TimestampMalformed,
            Severity::Error,
            85,
            format!("`timestamp={text}` is not a whole number"),
            "send the current time in milliseconds as digits only, e.g. `timestamp=1767225600000`",
        ));
        return;
    }
    let digits = whole.trim_start_matches('0').len();
    let value: i64 = whole.parse().unwrap_or(i64::MAX);
    if fraction.is_some() {
        let seconds = digits <= 10;
        findings.push(Finding::new(
            if seconds { Cause::TimestampInSeconds } else { Cause::TimestampMalformed },
            Severity::Error,
            92,
            format!("`timestamp={text}` has a fraction{}", if seconds { " and counts seconds (Python's `time.time()`)" } else { "" }),
            "send whole milliseconds: Python `int(time.time() * 1000)`, JavaScript `Date.now()`, bash `$(date +%s%3N)`",
        ));
        return;
    }
    let ms = match digits {
        9 | 10 => {
            let as_ms = value.saturating_mul(1000);
            let mut finding = Finding::new(
                Cause::TimestampInSeconds,
                Severity::Error,
                95,
                format!(
                    "`timestamp={text}` counts seconds; Binance wants milliseconds (or microseconds)"
                ),
                "multiply by 1000: bash `$(date +%s%3N)` (GNU date) or `$(($(date +%s) * 1000))`, Python `int(time.time() * 1000)`; Binance answers seconds with `-1021`",
            );
            finding = finding.evidence(format!("as milliseconds: {as_ms}"));
            if let Some(server) = ctx.server_time_ms {
                finding = finding.evidence(format!(
                    "server time {server}: times 1000, the timestamp is {} from it",
                    duration_text(server - as_ms)
                ));
            }
            findings.push(finding);
            return;
        }
        13 => value,
        16 => value / 1000,
        19 => {
            findings.push(Finding::new(
                Cause::TimestampInNanoseconds,
                Severity::Error,
                95,
                format!("`timestamp={text}` counts nanoseconds (`date +%s%N`); Binance wants milliseconds or microseconds"),
                "use `$(date +%s%3N)` (milliseconds) or `$(date +%s%6N)` (microseconds)",
            ));
            return;
        }
        n => {
            findings.push(Finding::new(
                Cause::TimestampMalformed,
                Severity::Error,
                85,
                format!("`timestamp={text}` has {n} digits: neither milliseconds (13) nor microseconds (16)"),
                "send the current time in milliseconds, e.g. `$(date +%s%3N)`",
            ));
            return;
        }
    };
    if ms < OLDEST_PLAUSIBLE_MS {
        let origin = if text == DOCS_TIMESTAMP {
            " (it is the docs' example timestamp, from July 2017)"
        } else {
            ""
        };
        findings.push(Finding::new(
            Cause::TimestampStale,
            Severity::Error,
            90,
            format!("`timestamp={text}` is years old{origin}"),
            "send the current time in milliseconds, taken right before signing",
        ));
        return;
    }
    let window = format!("recvWindow {recv} ms");
    match (ctx.server_time_ms, ctx.local_time_ms) {
        (Some(server), local) => {
            let behind = server - ms;
            let skew = local.map(|local| server - local);
            let skew_big = skew.is_some_and(|skew| skew.abs() > 1000);
            let made_locally = local.is_some_and(|local| (ms - local).abs() <= recv.max(1000));
            if skew_big && let (Some(skew), Some(local)) = (skew, local) {
                let direction = if skew > 0 { "behind" } else { "ahead of" };
                findings.push(
                    Finding::new(
                        Cause::ClockSkew,
                        if skew.abs() > recv { Severity::Error } else { Severity::Warning },
                        if made_locally && (behind > recv || behind < -1000) { 93 } else { 55 },
                        format!("This machine's clock is {} {direction} Binance's", duration_text(skew.abs())),
                        "sync the clock (`sudo timedatectl set-ntp true`, or Windows' \"Sync now\"), or take the timestamp from Binance: `GET /api/v3/time` plus the time since",
                    )
                    .evidence(format!("server time {server}, local time {local}")),
                );
            }
            if behind > recv {
                findings.push(
                    Finding::new(
                        Cause::TimestampOutsideRecvWindow,
                        Severity::Error,
                        if made_locally && skew_big { 70 } else { 88 },
                        format!("`timestamp` is {} before the server time, more than the {window}", duration_text(behind)),
                        "take the timestamp right before sending, and never re-send an old signed command: Binance answers `-1021` \"Timestamp for this request is outside of the recvWindow.\"",
                    )
                    .evidence(format!("timestamp {ms}, server time {server}")),
                );
            } else if behind < -1000 {
                findings.push(
                    Finding::new(
                        Cause::TimestampAhead,
                        Severity::Error,
                        if made_locally && skew_big { 70 } else { 88 },
                        format!("`timestamp` is {} ahead of the server time (more than 1000 ms)", duration_text(-behind)),
                        "take the timestamp from a clock in sync with Binance: Binance answers `-1021` \"Timestamp for this request was 1000ms ahead of the server's time.\"",
                    )
                    .evidence(format!("timestamp {ms}, server time {server}")),
                );
            }
        }
        (None, Some(local)) => {
            let age = local - ms;
            if age > recv {
                findings.push(
                    Finding::new(
                        Cause::TimestampOutsideRecvWindow,
                        Severity::Warning,
                        40,
                        format!("`timestamp` is {} old by this machine's clock, more than the {window}", duration_text(age)),
                        "a signed request must reach Binance within `recvWindow` of its timestamp: take the timestamp right before sending and never re-send an old command (to compare with Binance's clock, ask `GET /api/v3/time`)",
                    )
                    .evidence(format!("timestamp {ms}, local time {local}")),
                );
            } else if age < -1000 {
                findings.push(
                    Finding::new(
                        Cause::TimestampAhead,
                        Severity::Warning,
                        40,
                        format!(
                            "`timestamp` is {} in the future by this machine's clock",
                            duration_text(-age)
                        ),
                        "take the timestamp from the current time in milliseconds",
                    )
                    .evidence(format!("timestamp {ms}, local time {local}")),
                );
            }
        }
        (None, None) => {}
    }
}

/// What Binance's answer alone says: `-2015` has causes no request text
/// shows.
pub(crate) fn answer(a: &Analysis<'_>, ctx: &Context, findings: &mut Vec<Finding>) {
    let Some(answer) = &ctx.answer else {
        return;
    };
    if answer.code != Some(-2015) {
        return;
    }
    let env = a.environment.unwrap_or(Environment::Other);
    let env_text = match env {
        Environment::Production => Some(
            "keys made on the Spot testnet (testnet.binance.vision) or in demo mode do not work on production; use a key from API Management on binance.com",
        ),
        Environment::Testnet => Some(
            "testnet keys are made at https://testnet.binance.vision (log in with GitHub); production and demo-mode keys do not work on the testnet",
        ),
        Environment::Demo => Some(
            "demo-mode keys are made in demo mode on binance.com; production and testnet keys do not work on demo-api.binance.com",
        ),
        _ => None,
    };
    if let Some(text) = env_text {
        findings.push(
            Finding::new(
                Cause::EnvironmentMismatch,
                Severity::Error,
                60,
                format!(
                    "The key may belong to another environment than {env} ({})",
                    a.req.host.as_deref().unwrap_or("")
                ),
                text,
            )
            .evidence(format!("Binance answered -2015 \"{}\"", answer.msg)),
        );
    }
    let permission = match a.endpoint.map(|endpoint| endpoint.security) {
        Some(Security::Trade) => {
            "this is a TRADE endpoint: enable \"Spot & Margin Trading\" for the key in API Management"
        }
        Some(Security::UserData) => "check that the key can read (\"Enable Reading\")",
        _ => "check the key's permissions in API Management",
    };
    findings.push(Finding::new(
        Cause::KeyPermissionOrIp,
        Severity::Error,
        55,
        "The key is unknown, lacks the permission, or your IP is not on its whitelist",
        format!("{permission}; if the key is restricted to IPs, add this machine's public IP; a deleted or mistyped key gets the same answer"),
    ));
}

/// Sorts the findings, most likely cause first. Binance's error code
/// raises the causes of the check that failed; checks Binance runs before
/// that one passed, so their findings drop.
pub(crate) fn rank(findings: &mut [Finding], answer: Option<&Answer>) {
    let failed = answer.and_then(|answer| {
        answer.code.map(stage_of_code).or_else(|| {
            answer
                .status
                .filter(|status| matches!(status, 404 | 405))
                .map(|_| Stage::Endpoint)
        })
    });
    let chain = [
        Stage::ApiKey,
        Stage::Mandatory,
        Stage::Timestamp,
        Stage::Signature,
    ];
    let passed: &[Stage] = match failed {
        Some(Stage::Mandatory) => &[Stage::Endpoint, Stage::ApiKey],
        Some(Stage::Timestamp) => &[Stage::Endpoint, Stage::ApiKey, Stage::Mandatory],
        Some(Stage::Signature) => &[
            Stage::Endpoint,
            Stage::ApiKey,
            Stage::Mandatory,
            Stage::Timestamp,
        ],
        Some(Stage::ApiKey) => &[Stage::Endpoint],
        _ => &[],
    };
    for finding in findings.iter_mut() {
        let stage = finding.cause.stage();
        if Some(stage) == failed && finding.severity != Severity::Info {
            finding.likelihood = finding.likelihood.saturating_add(35).min(100);
        } else if passed.contains(&stage) && (chain.contains(&stage) || stage == Stage::Endpoint) {
            finding.likelihood = finding.likelihood.saturating_sub(35);
        }
    }
    findings.sort_by(|a, b| {
        b.likelihood
            .cmp(&a.likelihood)
            .then(b.severity.cmp(&a.severity))
    });
}

fn stage_of_code(code: i64) -> Stage {
    match code {
        -2014 | -1002 => Stage::ApiKey,
        -2015 => Stage::Permission,
        -1102 => Stage::Mandatory,
        -1021 => Stage::Timestamp,
        -1022 => Stage::Signature,
        -1020 => Stage::Endpoint,
        _ => Stage::Parameters,
    }
}

/// Removes every secret found in the request from the findings' text, so
/// that no finding ever shows one.
pub(crate) fn scrub(a: &Analysis<'_>, findings: &mut [Finding]) {
    for text in a.secrets.iter().flat_map(|secret| &secret.texts) {
        if text.is_empty() {
            continue;
        }
        for finding in findings.iter_mut() {
            finding.what = finding.what.replace(text.as_str(), "<secret>");
            finding.fix = finding.fix.replace(text.as_str(), "<secret>");
            for line in &mut finding.evidence {
                *line = line.replace(text.as_str(), "<secret>");
            }
        }
    }
}

/// `path` without its doubled leading prefix (`/api/v3/api/v3/x` →
/// `/api/v3/x`), or `None` when it is not doubled.
pub(crate) fn undouble(path: &str) -> Option<&str> {
    for prefix in ["/api/v3", "/api/v1", "/api", "/sapi/v1", "/sapi"] {
        if let Some(rest) = path.strip_prefix(prefix)
            && (rest.starts_with("/api/") || rest.starts_with("/sapi/"))
        {
            return Some(rest);
        }
    }
    None
}

/// `recvWindow` in microseconds: digits with up to three decimals.
pub(crate) fn parse_recv_window_us(text: &str) -> Option<i64> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let digits_only = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 12
        || !digits_only(whole)
        || fraction.len() > 3
        || !digits_only(fraction)
    {
        return None;
    }
    if text.ends_with('.') {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction_us: i64 = format!("{fraction:0<3}").parse().ok()?;
    Some(whole * 1000 + fraction_us)
}

/// The finding for shell text in a value (`what` names it, e.g.
/// "`timestamp`"), or `None` when the value holds none. Text the shell
/// replaces when it runs the command (it stood outside single quotes)
/// cannot be checked: a warning. Text it sends as it is (inside single
/// quotes, or with no shell at all) is wrong: an error.
pub(crate) fn shell_text(
    a: &Analysis<'_>,
    what: &str,
    text: &str,
    likelihood: u8,
) -> Option<Finding> {
    if !looks_unexpanded(text) {
        return None;
    }
    let replaced = a
        .req
        .expansions
        .iter()
        .any(|expansion| text.contains(expansion.as_str()));
    Some(if replaced {
        Finding::new(
            Cause::NotExpanded,
            Severity::Warning,
            40,
            format!(
                "{what} is shell text (`{text}`) that the shell replaces when it runs the command; explain cannot check its value"
            ),
            "paste the command as it ran: `bash -x script.sh` prints every command with its values on lines starting with `+ `",
        )
    } else {
        Finding::new(
            Cause::NotExpanded,
            Severity::Error,
            likelihood,
            format!(
                "{what} is the literal text `{text}`: nothing replaces it, so Binance receives it as it is"
            ),
            "inside single quotes the shell does not expand `$...`: put the URL in double quotes, or compute the value before building the request",
        )
    })
}

/// Whether the text still holds shell syntax: `$VAR`, `${..}`, `$(..)`,
/// backticks.
pub(crate) fn looks_unexpanded(text: &str) -> bool {
    text.contains('`')
        || text.match_indices('$').any(|(idx, _)| {
            text[idx + 1..]
                .chars()
                .next()
                .is_some_and(|c| c == '(' || c == '{' || c == '_' || c.is_ascii_alphabetic())
        })
}

/// Parameter and header names that carry an API key.
fn is_key_name(name: &str) -> bool {
    let normal = name.to_ascii_lowercase().replace(['-', '_'], "");
    matches!(normal.as_str(), "apikey" | "xmbxapikey" | "binanceapikey")
}

fn find_keys(req: &HandMadeRequest, params: &[Param<'_>]) -> Vec<FoundKey> {
    let mut keys = Vec::new();
    for (name, value) in &req.headers {
        let trimmed = name.trim();
        if trimmed.eq_ignore_ascii_case("x-mbx-apikey") {
            keys.push(FoundKey {
                place: KeyPlace::Header,
                value: value.clone(),
            });
        } else if is_key_name(trimmed) || trimmed.eq_ignore_ascii_case("x-api-key") {
            keys.push(FoundKey {
                place: KeyPlace::OtherHeader(trimmed.to_owned()),
                value: value.clone(),
            });
        } else if trimmed.eq_ignore_ascii_case("authorization") {
            keys.push(FoundKey {
                place: KeyPlace::OtherHeader(trimmed.to_owned()),
                value: value
                    .trim()
                    .strip_prefix("Bearer ")
                    .unwrap_or(value)
                    .to_owned(),
            });
        }
    }
    for param in params {
        if is_key_name(&param.name) {
            keys.push(FoundKey {
                place: KeyPlace::Parameter(param.part, param.name.to_string()),
                value: param.value.to_string(),
            });
        }
    }
    keys
}

/// Header and parameter values that are the HMAC secret: a value signs a
/// probe exactly like the secret does. Only HMAC secrets can be recognised
/// this way (a private key is not text that fits in a header).
fn find_secrets(
    req: &HandMadeRequest,
    params: &[Param<'_>],
    key: Option<&KeyMaterial>,
) -> Vec<FoundSecret> {
    let Some(Verifier::Hmac(secret)) = key.map(KeyMaterial::verifier) else {
        return Vec::new();
    };
    const PROBE: &[u8] = b"mbx explain: is this the secret?";
    let expected = secret.sign(PROBE);
    let unquoted = |value: &str| value.trim().trim_matches(['"', '\'']).to_owned();
    let is_secret = |value: &str| {
        let value = unquoted(value);
        value.len() >= 16 && HmacKey::new_unchecked(value.as_bytes()).sign(PROBE) == expected
    };
    let mut found = Vec::new();
    for (name, value) in &req.headers {
        if is_secret(value) {
            found.push(FoundSecret {
                place: format!("The header `{}`", name.trim()),
                texts: vec![unquoted(value)],
            });
        }
    }
    for param in params {
        if is_secret(&param.value) {
            found.push(FoundSecret {
                place: format!("The parameter `{}` in the {}", param.name, param.part),
                texts: vec![unquoted(&param.value), param.raw_value.to_owned()],
            });
        }
    }
    found
}

fn key_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("is empty")
    } else if value.starts_with(['"', '\'']) || value.ends_with(['"', '\'']) {
        Some("is wrapped in quotes that are sent as part of it")
    } else if value.contains(['\n', '\r']) {
        Some("contains a line break")
    } else if value.trim() != value || value.contains(char::is_whitespace) {
        Some("contains white space")
    } else if !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Some("contains characters other than letters and digits")
    } else {
        None
    }
}

/// An API key for display: its first four characters and its length.
pub(crate) fn mask_key(key: &str) -> String {
    let shown: String = key.chars().filter(|c| !c.is_control()).take(4).collect();
    format!("{shown}…")
}

fn describe_key(key: &str) -> String {
    let quoted = key.starts_with(['"', '\'']) || key.ends_with(['"', '\'']);
    let mut text = format!(
        "{} ({} characters",
        mask_key(key.trim_matches(['"', '\''])),
        key.chars().count()
    );
    if quoted {
        text.push_str(", quotes included");
    }
    if key.contains(['\n', '\r']) {
        text.push_str(", a line break included");
    }
    text.push(')');
    text
}

fn security_text(a: &Analysis<'_>) -> String {
    match a.endpoint {
        Some(endpoint) => format!(
            "{} {} is {} ({})",
            endpoint.method, endpoint.path, endpoint.security, endpoint.docs
        ),
        None => format!("{} looks signed", a.endpoint_text()),
    }
}

/// Text for evidence lines: control characters written as escapes.
pub(crate) fn show(text: &str) -> String {
    let mut res = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => res.push_str("\\n"),
            '\r' => res.push_str("\\r"),
            '\t' => res.push_str("\\t"),
            c if c.is_control() => res.push_str(&format!("\\x{:02x}", c as u32)),
            c => res.push(c),
        }
    }
    res
}

/// A duration in words: `850 ms`, `12.3 s`, `5 min 3 s`, `3 h 2 min`.
pub(crate) fn duration_text(ms: i64) -> String {
    let ms = ms.abs();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
    } else if ms < 3_600_000 {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    } else if ms < 172_800_000 {
        format!("{} h {} min", ms / 3_600_000, (ms % 3_600_000) / 60_000)
    } else {
        format!("{} days", ms / 86_400_000)
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
