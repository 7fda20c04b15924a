//! [`HandMadeRequest`]: a request as somebody wrote it by hand, read from a
//! curl command line, a method and URL, a raw HTTP request or a payload with
//! its signature.

use std::borrow::Cow;
use std::fmt;

use mbx_signing::payload::{decode_component, encode_component};
use serde::Serialize;

use super::curl;

/// Where a [`HandMadeRequest`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Source {
    /// A curl command line.
    Curl,
    /// A method and a URL (headers given separately).
    MethodUrl,
    /// A raw HTTP request: request line, headers, blank line, body.
    Http,
    /// Only the signed text and its signature; no method, host or path.
    Payload,
}

/// Why a request could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Nothing was given.
    #[error("the request is empty")]
    Empty,
    /// The shell text does not split into words.
    #[error("cannot read the command line: {0}")]
    Shell(String),
    /// No command in the text is `curl`.
    #[error("no `curl` command found in the text")]
    NoCurl,
    /// The curl command has no URL.
    #[error("the curl command has no URL")]
    NoUrl,
    /// A header is not `Name: value`.
    #[error("the header `{0}` is not `Name: value`")]
    BadHeader(String),
    /// The first line of a raw HTTP request is not `METHOD TARGET HTTP/x`.
    #[error("`{0}` is not an HTTP request line (`GET /api/v3/account?... HTTP/1.1`)")]
    BadRequestLine(String),
    /// The text is neither a curl command, a raw HTTP request nor `METHOD URL`.
    #[error(
        "cannot tell what this is: give a curl command, `METHOD URL`, or a raw HTTP request (request line, headers, blank line, body)"
    )]
    Unrecognised,
}

/// A request as it was written: what explain checks and corrects.
///
/// Query and body are kept exactly as they would be sent (still
/// percent-encoded, in their order), because Binance verifies the
/// signature over those bytes.
///
/// ```
/// use mbx_client::explain::HandMadeRequest;
///
/// let req = HandMadeRequest::from_curl(
///     r#"curl -H "X-MBX-APIKEY: abc" -X POST 'https://api.binance.com/api/v3/order?symbol=BTCUSDT' -d 'side=BUY'"#,
/// )?;
/// assert_eq!(req.method.as_deref(), Some("POST"));
/// assert_eq!(req.host.as_deref(), Some("api.binance.com"));
/// assert_eq!(req.path.as_deref(), Some("/api/v3/order"));
/// assert_eq!(req.query, "symbol=BTCUSDT");
/// assert_eq!(req.body, "side=BUY");
/// assert_eq!(req.header("x-mbx-apikey"), Some("abc"));
/// # Ok::<(), mbx_client::explain::ParseError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct HandMadeRequest {
    /// The HTTP method, upper case; `None` for a bare payload.
    pub method: Option<String>,
    /// `http` or `https`; `None` when not known (raw HTTP, payload).
    pub scheme: Option<String>,
    /// The host, with its port when one was given.
    pub host: Option<String>,
    /// The path, e.g. `/api/v3/order`.
    pub path: Option<String>,
    /// The query string as sent, without `?`.
    pub query: String,
    /// The body as sent.
    pub body: String,
    /// The headers as sent, in order.
    pub headers: Vec<(String, String)>,
    /// What the request was read from.
    pub source: Source,
    /// What the reader noticed on the way (flags skipped, files not read,
    /// encodings applied); explain reports them.
    pub notes: Vec<String>,
    /// Shell expansions (`$VAR`, `$(..)`) the shell would have replaced
    /// when running the pasted command; they are still text in the request.
    /// Shell text not listed here (inside single quotes, or in a raw HTTP
    /// request) is sent as it is.
    pub expansions: Vec<String>,
}

impl HandMadeRequest {
    /// Reads a curl command line as pasted: quotes, `$'..'`,
    /// backslash-newline continuations, `bash -x` trace markers (`+ curl`)
    /// and prompts (`$ curl`) are understood; shell variables and `$(..)`
    /// are left as text.
    pub fn from_curl(text: &str) -> Result<HandMadeRequest, ParseError> {
        curl::parse_command_line(text)
    }

    /// Reads a curl command already split into words by a shell (the first
    /// word may be `curl` or left out).
    pub fn from_curl_args(args: &[String]) -> Result<HandMadeRequest, ParseError> {
        curl::parse_args(args, Vec::new())
    }

    /// A method and a URL, with headers given as `Name: value` and a body.
    ///
    /// ```
    /// use mbx_client::explain::HandMadeRequest;
    /// let req = HandMadeRequest::from_method_url(
    ///     "get",
    ///     "https://testnet.binance.vision/api/v3/account?timestamp=1",
    ///     &["X-MBX-APIKEY: abc".to_owned()],
    ///     "",
    /// )?;
    /// assert_eq!(req.method.as_deref(), Some("GET"));
    /// assert_eq!(req.query, "timestamp=1");
    /// # Ok::<(), mbx_client::explain::ParseError>(())
    /// ```
    pub fn from_method_url(
        method: &str,
        url: &str,
        headers: &[String],
        body: &str,
    ) -> Result<HandMadeRequest, ParseError> {
        let parts = UrlParts::parse(url);
        let mut req = HandMadeRequest {
            method: Some(method.trim().to_ascii_uppercase()),
            scheme: parts.scheme,
            host: parts.host,
            path: Some(parts.path),
            query: parts.query,
            body: body.to_owned(),
            headers: Vec::new(),
            source: Source::MethodUrl,
            notes: parts.notes,
            expansions: Vec::new(),
        };
        req.add_headers(headers)?;
        Ok(req)
    }

    /// Reads a raw HTTP request: the request line, headers, a blank line and
    /// the body. The scheme is not part of such a request and stays unknown.
    ///
    /// ```
    /// use mbx_client::explain::HandMadeRequest;
    /// let req = HandMadeRequest::from_http(
    ///     "POST /api/v3/order HTTP/1.1\r\nHost: api.binance.com\r\nX-MBX-APIKEY: abc\r\nContent-Length: 8\r\n\r\nside=BUY",
    /// )?;
    /// assert_eq!(req.host.as_deref(), Some("api.binance.com"));
    /// assert_eq!(req.body, "side=BUY");
    /// # Ok::<(), mbx_client::explain::ParseError>(())
    /// ```
    pub fn from_http(text: &str) -> Result<HandMadeRequest, ParseError> {
        let text = text.trim_start_matches(['\r', '\n']);
        let (head, body) = match (text.find("\r\n\r\n"), text.find("\n\n")) {
            (Some(crlf), Some(lf)) if lf < crlf => (&text[..lf], &text[lf + 2..]),
            (Some(crlf), _) => (&text[..crlf], &text[crlf + 4..]),
            (None, Some(lf)) => (&text[..lf], &text[lf + 2..]),
            (None, None) => (text, ""),
        };
        let mut lines = head.lines().map(|line| line.trim_end_matches('\r'));
        let request_line = lines.next().ok_or(ParseError::Empty)?;
        let mut words = request_line.split_whitespace();
        let (Some(method), Some(target)) = (words.next(), words.next()) else {
            return Err(ParseError::BadRequestLine(request_line.to_owned()));
        };
        let version_ok = words
            .next()
            .is_none_or(|version| version.starts_with("HTTP/"));
        if !version_ok || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(ParseError::BadRequestLine(request_line.to_owned()));
        }
        let mut notes = Vec::new();
        let mut headers = Vec::new();
        for line in lines {
            if line.trim().is_empty() {
                continue;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| ParseError::BadHeader(line.to_owned()))?;
            headers.push((name.trim().to_owned(), value.trim_start().to_owned()));
        }
        let parts = if target.starts_with('/') {
            UrlParts::origin_form(target)
        } else {
            UrlParts::parse(target)
        };
        let host = parts.host.or_else(|| {
            headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("host"))
                .map(|(_, value)| value.trim().to_owned())
        });
        notes.extend(parts.notes);
        let content_length = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse::<usize>().ok());
        let body = match content_length {
            Some(length) if length <= body.len() && body.is_char_boundary(length) => {
                body[..length].to_owned()
            }
            _ => {
                let trimmed = body.trim_end_matches(['\r', '\n']);
                if trimmed.len() != body.len() {
                    notes.push(
                        "the line break after the body was dropped (no `Content-Length` says it belongs to the body)"
                            .to_owned(),
                    );
                }
                trimmed.to_owned()
            }
        };
        Ok(HandMadeRequest {
            method: Some(method.to_ascii_uppercase()),
            scheme: parts.scheme,
            host,
            path: Some(parts.path),
            query: parts.query,
            body,
            headers,
            source: Source::Http,
            notes,
            expansions: Vec::new(),
        })
    }

    /// Only the text that was signed and the signature computed over it:
    /// explain checks the text and, with the key, the signature.
    ///
    /// ```
    /// use mbx_client::explain::HandMadeRequest;
    /// let req = HandMadeRequest::from_payload("symbol=LTCBTC&timestamp=1", "a+b/c=");
    /// assert_eq!(req.query, "symbol=LTCBTC&timestamp=1&signature=a%2Bb%2Fc%3D");
    /// ```
    pub fn from_payload(payload: &str, signature: &str) -> HandMadeRequest {
        let mut query = payload.to_owned();
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str("signature=");
        query.push_str(&encode_component(signature.trim()));
        HandMadeRequest {
            method: None,
            scheme: None,
            host: None,
            path: None,
            query,
            body: String::new(),
            headers: Vec::new(),
            source: Source::Payload,
            notes: Vec::new(),
            expansions: Vec::new(),
        }
    }

    /// Reads any of the text forms: a curl command line, a raw HTTP request,
    /// or `METHOD URL`.
    ///
    /// ```
    /// use mbx_client::explain::{HandMadeRequest, Source};
    /// assert_eq!(HandMadeRequest::parse("curl https://api.binance.com/api/v3/time")?.source, Source::Curl);
    /// assert_eq!(HandMadeRequest::parse("GET https://api.binance.com/api/v3/time")?.source, Source::MethodUrl);
    /// assert_eq!(HandMadeRequest::parse("GET /api/v3/time HTTP/1.1\nHost: api.binance.com\n\n")?.source, Source::Http);
    /// # Ok::<(), mbx_client::explain::ParseError>(())
    /// ```
    pub fn parse(text: &str) -> Result<HandMadeRequest, ParseError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ParseError::Empty);
        }
        if curl::mentions_curl(trimmed) {
            return HandMadeRequest::from_curl(trimmed);
        }
        let first_line = trimmed.lines().next().unwrap_or("");
        let words: Vec<&str> = first_line.split_whitespace().collect();
        match words.as_slice() {
            [method, target, version]
                if version.starts_with("HTTP/") && is_method_word(method) && !target.is_empty() =>
            {
                HandMadeRequest::from_http(trimmed)
            }
            [method, target] if is_method_word(method) && target.starts_with('/') => {
                HandMadeRequest::from_http(trimmed)
            }
            [method, url] if is_method_word(method) => {
                let headers: Vec<String> = trimmed
                    .lines()
                    .skip(1)
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(str::to_owned)
                    .collect();
                HandMadeRequest::from_method_url(method, url, &headers, "")
            }
            _ => Err(ParseError::Unrecognised),
        }
    }

    /// Adds headers written as `Name: value` (e.g. `-H` flags given beside
    /// a URL).
    pub fn add_headers(&mut self, headers: &[String]) -> Result<(), ParseError> {
        for header in headers {
            let (name, value) = split_header(header)?;
            self.headers.push((name, value));
        }
        Ok(())
    }

    /// The first header called `name` (any letter case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.trim().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// `scheme://host` when both are known.
    pub fn origin(&self) -> Option<String> {
        Some(format!(
            "{}://{}",
            self.scheme.as_deref()?,
            self.host.as_deref()?
        ))
    }

    /// The host without its port, lower case.
    pub fn host_name(&self) -> Option<String> {
        let host = self.host.as_deref()?;
        let name = if let Some(rest) = host.strip_prefix('[') {
            rest.split(']').next().unwrap_or(rest)
        } else {
            host.rsplit_once(':')
                .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
                .map_or(host, |(name, _)| name)
        };
        Some(name.to_ascii_lowercase())
    }

    /// The parameters of the query string, then of the body, decoded.
    pub(crate) fn params(&self) -> Vec<Param<'_>> {
        let mut params = split_params(&self.query, Part::Query);
        params.extend(split_params(&self.body, Part::Body));
        params
    }
}

impl fmt::Debug for HandMadeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The API key and the signature are masked, as in logs; a secret
        // pasted into the request by mistake would sit in a header or a
        // parameter, so every header value is masked.
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, _)| (name.as_str(), "<redacted>"))
            .collect();
        f.debug_struct("HandMadeRequest")
            .field("method", &self.method)
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("query", &redact_params(&self.query))
            .field("body", &redact_params(&self.body))
            .field("headers", &headers)
            .field("source", &self.source)
            .field("notes", &self.notes)
            .field("expansions", &self.expansions)
            .finish()
    }
}

/// Which part of the request a parameter was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Part {
    /// The query string.
    Query,
    /// The form body.
    Body,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Query => "query string",
            Part::Body => "body",
        })
    }
}

/// One `name=value` pair as sent, and decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param<'a> {
    /// The pair as sent.
    pub raw: &'a str,
    /// The value as sent (after the first `=`).
    pub raw_value: &'a str,
    /// The name, decoded.
    pub name: Cow<'a, str>,
    /// The value, decoded (`+` is a space); the raw text when it does not
    /// decode to UTF-8.
    pub value: Cow<'a, str>,
    /// Whether the pair has an `=`.
    pub has_equals: bool,
    /// Query string or body.
    pub part: Part,
}

pub(crate) fn split_params(text: &str, part: Part) -> Vec<Param<'_>> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|raw| {
            let (raw_name, raw_value, has_equals) = match raw.split_once('=') {
                Some((name, value)) => (name, value, true),
                None => (raw, "", false),
            };
            Param {
                raw,
                raw_value,
                name: decode_component(raw_name).unwrap_or(Cow::Borrowed(raw_name)),
                value: decode_component(raw_value).unwrap_or(Cow::Borrowed(raw_value)),
                has_equals,
                part,
            }
        })
        .collect()
}

fn redact_params(text: &str) -> String {
    split_params(text, Part::Query)
        .iter()
        .map(|param| {
            if is_sensitive_name(&param.name) {
                format!("{}=<redacted>", param.name)
            } else {
                param.raw.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Parameter names whose values are masked wherever a request is shown.
pub(crate) fn is_sensitive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase().replace(['-', '_'], "");
    lower == "signature" || lower.contains("key") || lower.contains("secret")
}

fn is_method_word(word: &str) -> bool {
    matches!(
        word.to_ascii_uppercase().as_str(),
        "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS"
    )
}

pub(crate) fn split_header(header: &str) -> Result<(String, String), ParseError> {
    let (name, value) = match header.split_once(':') {
        Some(pair) => pair,
        // curl's `-H "Name;"` sends an empty header.
        None => match header.strip_suffix(';') {
            Some(name) => (name, ""),
            None => return Err(ParseError::BadHeader(header.to_owned())),
        },
    };
    if name.trim().is_empty() {
        return Err(ParseError::BadHeader(header.to_owned()));
    }
    Ok((name.trim().to_owned(), value.trim_start().to_owned()))
}

/// A URL taken apart without normalising anything.
#[derive(Debug, Default)]
pub(crate) struct UrlParts {
    pub scheme: Option<String>,
    pub host: Option<String>,
    pub path: String,
    pub query: String,
    pub notes: Vec<String>,
}

impl UrlParts {
    /// `scheme://host/path?query#fragment`; a URL without a scheme is read
    /// the way curl reads it (host first, `http` assumed).
    pub fn parse(url: &str) -> UrlParts {
        let mut notes = Vec::new();
        let url = url.trim();
        let url = match url.split_once('#') {
            Some((before, _)) => {
                notes.push("the `#fragment` of the URL is never sent and was dropped".to_owned());
                before
            }
            None => url,
        };
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest))
                if !scheme.is_empty()
                    && scheme
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
            {
                (Some(scheme.to_ascii_lowercase()), rest)
            }
            _ => {
                if !url.starts_with('$') {
                    notes.push("the URL has no scheme; curl then uses plain `http://`".to_owned());
                }
                (None, url)
            }
        };
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let mut authority = &rest[..authority_end];
        if let Some((userinfo, host)) = authority.rsplit_once('@') {
            if !userinfo.is_empty() {
                notes.push(
                    "the URL carries a `user:password@` part; Binance does not use it".to_owned(),
                );
            }
            authority = host;
        }
        let mut parts = UrlParts::origin_form(&rest[authority_end..]);
        parts.scheme = scheme.or_else(|| (!url.starts_with('$')).then(|| "http".to_owned()));
        parts.host = (!authority.is_empty()).then(|| authority.to_owned());
        parts.notes.splice(0..0, notes);
        parts
    }

    /// `/path?query` (the target of an HTTP request line).
    pub fn origin_form(target: &str) -> UrlParts {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, query),
            None => (target, ""),
        };
        let path = if path.is_empty() { "/" } else { path };
        UrlParts {
            scheme: None,
            host: None,
            path: path.to_owned(),
            query: query.to_owned(),
            notes: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_url(url: &str, scheme: Option<&str>, host: Option<&str>, path: &str, query: &str) {
        let parts = UrlParts::parse(url);
        assert_eq!(parts.scheme.as_deref(), scheme, "{url}");
        assert_eq!(parts.host.as_deref(), host, "{url}");
        assert_eq!(parts.path, path, "{url}");
        assert_eq!(parts.query, query, "{url}");
    }

    #[test]
    fn urls() {
        check_url(
            "https://api.binance.com/api/v3/account?timestamp=1",
            Some("https"),
            Some("api.binance.com"),
            "/api/v3/account",
            "timestamp=1",
        );
        check_url(
            "http://127.0.0.1:9900",
            Some("http"),
            Some("127.0.0.1:9900"),
            "/",
            "",
        );
        check_url(
            "api.binance.com/api/v3/time",
            Some("http"),
            Some("api.binance.com"),
            "/api/v3/time",
            "",
        );
        check_url(
            "https://h/p?a=1#frag",
            Some("https"),
            Some("h"),
            "/p",
            "a=1",
        );
        check_url("https://u:p@h/p", Some("https"), Some("h"), "/p", "");
        check_url(
            "$BASE/api/v3/account?$q",
            None,
            Some("$BASE"),
            "/api/v3/account",
            "$q",
        );
    }

    #[track_caller]
    fn check_params(text: &str, expected: &[(&str, &str)]) {
        let got: Vec<(String, String)> = split_params(text, Part::Query)
            .into_iter()
            .map(|p| (p.name.into_owned(), p.value.into_owned()))
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn params() {
        check_params("a=1&b=x%20y+z&c", &[("a", "1"), ("b", "x y z"), ("c", "")]);
        check_params("&&a=%EF%BC%91&", &[("a", "１")]);
        check_params("a=%FF", &[("a", "%FF")]);
    }

    #[test]
    fn http_requests() {
        let req = HandMadeRequest::from_http(
            "GET https://testnet.binance.vision/api/v3/account?timestamp=1 HTTP/1.1\nX-MBX-APIKEY: k\n\n",
        )
        .unwrap();
        assert_eq!(req.scheme.as_deref(), Some("https"));
        assert_eq!(req.host.as_deref(), Some("testnet.binance.vision"));
        assert_eq!(req.query, "timestamp=1");
        let req =
            HandMadeRequest::from_http("POST /api/v3/order HTTP/1.1\nHost: h\n\na=1\n").unwrap();
        assert_eq!(req.body, "a=1");
        assert_eq!(req.notes.len(), 1);
        assert!(matches!(
            HandMadeRequest::from_http("hello world again"),
            Err(ParseError::BadRequestLine(_))
        ));
    }

    #[test]
    fn debug_masks_keys_and_signatures() {
        let req = HandMadeRequest::from_method_url(
            "GET",
            "https://h/p?apiKey=KEYKEY&a=1&signature=SIGSIG",
            &["X-MBX-APIKEY: HEADERKEY".to_owned()],
            "secret=SECRETSECRET",
        )
        .unwrap();
        let debug = format!("{req:?}");
        for hidden in ["KEYKEY", "SIGSIG", "HEADERKEY", "SECRETSECRET"] {
            assert!(!debug.contains(hidden), "{debug}");
        }
        assert!(debug.contains("a=1"), "{debug}");
    }

    #[test]
    fn host_names() {
        let mut req = HandMadeRequest::from_payload("", "");
        for (host, name) in [
            ("API.binance.com", "api.binance.com"),
            ("127.0.0.1:9900", "127.0.0.1"),
            ("[::1]:80", "::1"),
        ] {
            req.host = Some(host.to_owned());
            assert_eq!(req.host_name().as_deref(), Some(name));
        }
    }
}
