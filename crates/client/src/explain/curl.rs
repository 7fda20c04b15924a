//! Reads a curl command into a [`HandMadeRequest`], the way curl 7.x/8.x
//! builds its request from the flags.
//!
//! Understood: `-X/--request`, `-H/--header`, `-d/--data`, `--data-raw`,
//! `--data-binary`, `--data-ascii`, `--data-urlencode`, `--json`,
//! `-G/--get`, `-I/--head`, `--url`, the URL anywhere, clustered short
//! flags (`-sSX POST`, `-XPOST`). Flags that take a value but do not change
//! the request (`-o`, `-u`, `-m`, ...) are skipped with their value; any
//! other flag is skipped with a note.

use super::request::{HandMadeRequest, ParseError, Source, UrlParts, split_header};
use super::shell;

/// The note for a URL the shell cut at an unquoted `&`; explain makes it a
/// warning, since the request sent lacks everything after it.
pub(crate) const CUT_AT_AMPERSAND: &str = "the shell cut the command at an unquoted `&`: everything after it ran as a separate command; put the URL in quotes";

/// Short flags that take a value.
const SHORT_WITH_VALUE: &[u8] = b"XHdoAeucbxmwTFKrzEDCYyUQtP";

/// Long flags that take a value and do not change what is signed.
const LONG_WITH_VALUE: &[&str] = &[
    "output",
    "user",
    "user-agent",
    "referer",
    "cookie",
    "cookie-jar",
    "proxy",
    "proxy-user",
    "max-time",
    "connect-timeout",
    "write-out",
    "upload-file",
    "form",
    "form-string",
    "config",
    "range",
    "time-cond",
    "cert",
    "cert-type",
    "key",
    "key-type",
    "cacert",
    "capath",
    "resolve",
    "connect-to",
    "retry",
    "retry-delay",
    "retry-max-time",
    "limit-rate",
    "interface",
    "dns-servers",
    "oauth2-bearer",
    "max-redirs",
    "ciphers",
    "tls-max",
    "output-dir",
    "trace",
    "trace-ascii",
    "stderr",
    "dump-header",
    "unix-socket",
    "aws-sigv4",
    "variable",
    "speed-limit",
    "speed-time",
    "keepalive-time",
    "expect100-timeout",
    "happy-eyeballs-timeout-ms",
    "local-port",
    "noproxy",
    "pass",
    "pinnedpubkey",
    "preproxy",
    "request-target",
    "socks5",
    "socks5-hostname",
    "url-query",
];

/// Long flags without a value that curl users commonly pass; skipped
/// without a note.
const LONG_QUIET: &[&str] = &[
    "silent",
    "show-error",
    "verbose",
    "include",
    "insecure",
    "location",
    "globoff",
    "fail",
    "fail-with-body",
    "compressed",
    "no-buffer",
    "http1.1",
    "http2",
    "progress-bar",
    "no-progress-meter",
    "ipv4",
    "ipv6",
    "raw",
];

/// Whether `text` looks like a curl command (possibly after a prompt or a
/// `bash -x` trace marker).
pub(crate) fn mentions_curl(text: &str) -> bool {
    let first = strip_markers(text.trim_start());
    first.starts_with("curl ")
        || first.starts_with("curl\t")
        || first.starts_with("curl.exe ")
        || first.starts_with("curl\\")
        || first == "curl"
        || text.lines().any(|line| {
            let line = strip_markers(line.trim_start());
            line.starts_with("curl ") || line.starts_with("curl.exe ")
        })
}

/// Drops a prompt (`$ `, `> `) or trace marker (`+ `, `++ `) at the start.
fn strip_markers(line: &str) -> &str {
    let without_plus = line.trim_start_matches('+');
    if without_plus.len() != line.len() && without_plus.starts_with(' ') {
        return without_plus.trim_start();
    }
    for prompt in ["$ ", "% ", "> "] {
        if let Some(rest) = line.strip_prefix(prompt) {
            return rest.trim_start();
        }
    }
    line
}

pub(crate) fn parse_command_line(text: &str) -> Result<HandMadeRequest, ParseError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    // Trace and prompt markers are per line; strip them before splitting.
    let cleaned: String = text
        .lines()
        .map(strip_markers)
        .collect::<Vec<_>>()
        .join("\n");
    let commands = shell::commands(&cleaned).map_err(|err| ParseError::Shell(err.to_string()))?;
    let position = commands
        .iter()
        .position(|command| is_curl(&command.words))
        .ok_or(ParseError::NoCurl)?;
    let mut notes = Vec::new();
    let command = &commands[position];
    if command.ended_by == Some('&')
        && let Some(next) = commands.get(position + 1)
        && next.words.first().is_some_and(|word| word.contains('='))
    {
        notes.push(CUT_AT_AMPERSAND.to_owned());
    }
    let mut req = parse_args(&command.words, notes)?;
    req.expansions = command.expansions.clone();
    Ok(req)
}

fn is_curl(words: &[String]) -> bool {
    words
        .iter()
        .find(|word| !is_assignment(word))
        .is_some_and(|word| {
            let name = word.rsplit(['/', '\\']).next().unwrap_or(word);
            name == "curl" || name == "curl.exe"
        })
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !name.as_bytes()[0].is_ascii_digit()
    })
}

#[derive(Debug, Default)]
struct State {
    method: Option<String>,
    url: Option<String>,
    extra_urls: Vec<String>,
    data: Vec<String>,
    get: bool,
    head: bool,
    headers: Vec<(String, String)>,
    notes: Vec<String>,
}

pub(crate) fn parse_args(
    args: &[String],
    notes: Vec<String>,
) -> Result<HandMadeRequest, ParseError> {
    let mut words = args
        .iter()
        .skip_while(|word| is_assignment(word))
        .peekable();
    if words
        .peek()
        .is_some_and(|word| is_curl(std::slice::from_ref(*word)))
    {
        words.next();
    }
    let words: Vec<&String> = words.collect();
    let mut state = State {
        notes,
        ..State::default()
    };
    let mut idx = 0;
    let mut only_urls = false;
    while idx < words.len() {
        let word = words[idx].as_str();
        idx += 1;
        if only_urls || !word.starts_with('-') || word == "-" {
            state.add_url(word);
            continue;
        }
        if word == "--" {
            only_urls = true;
            continue;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (long, None),
            };
            let takes_value = long_takes_value(name);
            let value = if takes_value {
                match inline {
                    Some(value) => Some(value),
                    None => {
                        let value = words.get(idx).map(|w| (*w).clone());
                        idx += 1;
                        value
                    }
                }
            } else {
                None
            };
            state.apply_long(name, value)?;
            continue;
        }
        // A cluster of short flags: `-sS`, `-XPOST`, `-sX POST`.
        let cluster = &word[1..];
        for (pos, flag) in cluster.char_indices() {
            if flag.is_ascii() && SHORT_WITH_VALUE.contains(&(flag as u8)) {
                let rest = &cluster[pos + flag.len_utf8()..];
                let value = if rest.is_empty() {
                    let value = words.get(idx).map(|w| (*w).clone());
                    idx += 1;
                    value
                } else {
                    Some(rest.to_owned())
                };
                state.apply_short(flag, value)?;
                break;
            }
            state.apply_short(flag, None)?;
        }
    }
    state.finish()
}

fn long_takes_value(name: &str) -> bool {
    matches!(
        name,
        "request"
            | "header"
            | "data"
            | "data-raw"
            | "data-binary"
            | "data-ascii"
            | "data-urlencode"
            | "json"
            | "url"
    ) || LONG_WITH_VALUE.contains(&name)
}

impl State {
    fn add_url(&mut self, word: &str) {
        if self.url.is_none() {
            self.url = Some(word.to_owned());
        } else {
            self.extra_urls.push(word.to_owned());
        }
    }

    fn apply_short(&mut self, flag: char, value: Option<String>) -> Result<(), ParseError> {
        let long = match flag {
            'X' => "request",
            'H' => "header",
            'd' => "data",
            'G' => "get",
            'I' => "head",
            's' | 'S' | 'v' | 'i' | 'k' | 'L' | 'g' | 'f' | 'N' | '#' | '4' | '6' | 'q' => {
                return Ok(());
            }
            other if other.is_ascii() && SHORT_WITH_VALUE.contains(&(other as u8)) => {
                self.notes.push(format!(
                    "skipped `-{other}` and its value: it does not change what is signed"
                ));
                return Ok(());
            }
            other => {
                self.notes
                    .push(format!("skipped the unknown flag `-{other}`"));
                return Ok(());
            }
        };
        self.apply_long(long, value)
    }

    fn apply_long(&mut self, name: &str, value: Option<String>) -> Result<(), ParseError> {
        let missing = |name: &str| ParseError::Shell(format!("`--{name}` needs a value"));
        match name {
            "request" => {
                let value = value.ok_or_else(|| missing(name))?;
                self.method = Some(value.to_ascii_uppercase());
            }
            "header" => {
                let value = value.ok_or_else(|| missing(name))?;
                if let Some(file) = value.strip_prefix('@') {
                    self.notes.push(format!(
                        "headers read from the file `{file}` by curl were not read; pass them with -H"
                    ));
                } else {
                    self.headers.push(split_header(&value)?);
                }
            }
            "data" | "data-ascii" | "data-binary" => {
                let value = value.ok_or_else(|| missing(name))?;
                if let Some(file) = value.strip_prefix('@') {
                    self.notes.push(format!(
                        "`--{name} @{file}`: curl sends the contents of `{file}`, which explain cannot see; paste the body with `-d 'text'`"
                    ));
                } else {
                    self.data.push(value);
                }
            }
            "data-raw" => self.data.push(value.ok_or_else(|| missing(name))?),
            "data-urlencode" => {
                let value = value.ok_or_else(|| missing(name))?;
                let encoded = self.data_urlencode(&value);
                self.data.push(encoded);
            }
            "json" => {
                let value = value.ok_or_else(|| missing(name))?;
                self.data.push(value);
                self.headers
                    .push(("Content-Type".to_owned(), "application/json".to_owned()));
            }
            "url" => self.add_url(&value.ok_or_else(|| missing(name))?),
            "get" => self.get = true,
            "head" => self.head = true,
            "form" | "form-string" => self.notes.push(
                "`-F/--form` sends multipart/form-data; Binance reads `application/x-www-form-urlencoded` bodies (`-d`)"
                    .to_owned(),
            ),
            "url-query" => self.notes.push(
                "`--url-query` values were not applied; put them in the URL".to_owned(),
            ),
            name if LONG_QUIET.contains(&name) => {}
            name if LONG_WITH_VALUE.contains(&name) => self.notes.push(format!(
                "skipped `--{name}` and its value: it does not change what is signed"
            )),
            name => self.notes.push(format!("skipped the unknown flag `--{name}`")),
        }
        Ok(())
    }

    /// What curl sends for `--data-urlencode VALUE` (curl 7.88: unreserved
    /// characters as they are, a space as `+`, everything else as `%xx` in
    /// lower case).
    fn data_urlencode(&mut self, value: &str) -> String {
        if !self
            .notes
            .iter()
            .any(|note| note.contains("--data-urlencode"))
        {
            self.notes.push(
                "`--data-urlencode` values are encoded by curl (curl 7.88: a space as `+`, other bytes as lower-case `%xx`): the signature must cover exactly what curl sends"
                    .to_owned(),
            );
        }
        let (name, content) = match value.find('=') {
            Some(eq) => (&value[..eq], &value[eq + 1..]),
            None => match value.find('@') {
                Some(at) => {
                    self.notes.push(format!(
                        "`--data-urlencode {value}` reads a file explain cannot see"
                    ));
                    return value[..at].to_owned();
                }
                None => ("", value),
            },
        };
        let encoded = curl_encode(content);
        if name.is_empty() {
            encoded
        } else {
            format!("{name}={encoded}")
        }
    }

    fn finish(mut self) -> Result<HandMadeRequest, ParseError> {
        let url = self.url.take().ok_or(ParseError::NoUrl)?;
        if !self.extra_urls.is_empty() {
            self.notes.push(format!(
                "curl would also fetch {}; only the first URL is explained",
                self.extra_urls
                    .iter()
                    .map(|url| format!("`{url}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let parts = UrlParts::parse(&url);
        let data = self.data.join("&");
        let (query, body) = if self.get && !data.is_empty() {
            let query = if parts.query.is_empty() {
                data
            } else {
                format!("{}&{data}", parts.query)
            };
            (query, String::new())
        } else {
            (parts.query.clone(), data)
        };
        let has_body = !body.is_empty() || (!self.get && !self.data.is_empty());
        let method = match self.method {
            Some(method) => method,
            None if self.head => "HEAD".to_owned(),
            None if has_body => "POST".to_owned(),
            None => "GET".to_owned(),
        };
        if has_body
            && !self
                .headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        {
            self.headers.push((
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ));
        }
        let mut notes = parts.notes;
        notes.extend(self.notes);
        Ok(HandMadeRequest {
            method: Some(method),
            scheme: parts.scheme,
            host: parts.host,
            path: Some(parts.path),
            query,
            body,
            headers: self.headers,
            source: Source::Curl,
            notes,
            expansions: Vec::new(),
        })
    }
}

/// curl 7.88's `--data-urlencode` encoding.
pub(crate) fn curl_encode(text: &str) -> String {
    let mut res = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                res.push(byte as char)
            }
            b' ' => res.push('+'),
            _ => res.push_str(&format!("%{byte:02x}")),
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Expect<'a> {
        method: &'a str,
        host: &'a str,
        path: &'a str,
        query: &'a str,
        body: &'a str,
        headers: &'a [(&'a str, &'a str)],
    }

    #[track_caller]
    fn check(command: &str, expect: Expect<'_>) {
        let req = HandMadeRequest::from_curl(command).unwrap();
        assert_eq!(req.method.as_deref(), Some(expect.method), "method");
        assert_eq!(req.host.as_deref(), Some(expect.host), "host");
        assert_eq!(req.path.as_deref(), Some(expect.path), "path");
        assert_eq!(req.query, expect.query, "query");
        assert_eq!(req.body, expect.body, "body");
        for (name, value) in expect.headers {
            assert_eq!(req.header(name), Some(*value), "header {name}");
        }
    }

    #[test]
    fn docs_example() {
        check(
            r#"curl -s -v -H "X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A" -X POST "https://api.binance.com/api/v3/order?symbol=LTCBTC&side=BUY&timestamp=1499827319559&signature=c8db""#,
            Expect {
                method: "POST",
                host: "api.binance.com",
                path: "/api/v3/order",
                query: "symbol=LTCBTC&side=BUY&timestamp=1499827319559&signature=c8db",
                body: "",
                headers: &[(
                    "X-MBX-APIKEY",
                    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
                )],
            },
        );
    }

    #[test]
    fn continuations_and_url_anywhere() {
        check(
            "curl 'https://h/api/v3/order' \\\n  -H 'X-MBX-APIKEY: k' \\\n  --data 'a=1' \\\n  -d b=2",
            Expect {
                method: "POST",
                host: "h",
                path: "/api/v3/order",
                query: "",
                body: "a=1&b=2",
                headers: &[("content-type", "application/x-www-form-urlencoded")],
            },
        );
    }

    #[test]
    fn get_moves_data_to_the_query() {
        check(
            "curl -G https://h/p?x=1 -d a=1 --data-urlencode 'b=x y+é'",
            Expect {
                method: "GET",
                host: "h",
                path: "/p",
                query: "x=1&a=1&b=x+y%2b%c3%a9",
                body: "",
                headers: &[],
            },
        );
    }

    #[test]
    fn data_urlencode_forms() {
        check(
            "curl https://h/p --data-urlencode '=a b' --data-urlencode c --data-urlencode 'd=1=2'",
            Expect {
                method: "POST",
                host: "h",
                path: "/p",
                query: "",
                body: "a+b&c&d=1%3d2",
                headers: &[],
            },
        );
    }

    #[test]
    fn clustered_and_attached_flags() {
        check(
            "curl -sSXDELETE -H'X-MBX-APIKEY: k' --url=https://h/p -o /dev/null",
            Expect {
                method: "DELETE",
                host: "h",
                path: "/p",
                query: "",
                body: "",
                headers: &[("x-mbx-apikey", "k")],
            },
        );
        check(
            "curl -sX PUT --request=post https://h/p",
            Expect {
                method: "POST",
                host: "h",
                path: "/p",
                query: "",
                body: "",
                headers: &[],
            },
        );
    }

    #[test]
    fn ansi_c_and_trace_markers() {
        check(
            "+ curl -H $'X-MBX-APIKEY: k' 'http://127.0.0.1:9/api/v3/order/test?symbol='$'\\357\\274\\221'",
            Expect {
                method: "GET",
                host: "127.0.0.1:9",
                path: "/api/v3/order/test",
                query: "symbol=１",
                body: "",
                headers: &[],
            },
        );
        check(
            "$ curl https://h/p",
            Expect {
                method: "GET",
                host: "h",
                path: "/p",
                query: "",
                body: "",
                headers: &[],
            },
        );
    }

    #[test]
    fn expansions_are_left_as_text() {
        let req = HandMadeRequest::from_curl(
            r#"curl -H "X-MBX-APIKEY: $API_KEY" "https://h/api/v3/account?timestamp=$(date +%s)&signature=$sig""#,
        )
        .unwrap();
        assert_eq!(req.query, "timestamp=$(date +%s)&signature=$sig");
        assert_eq!(req.header("X-MBX-APIKEY"), Some("$API_KEY"));
    }

    #[test]
    fn notes_for_skipped_flags_and_files() {
        let req = HandMadeRequest::from_curl(
            "curl --frobnicate -u me:pw -d @body.txt https://h/p https://other/",
        )
        .unwrap();
        let notes = req.notes.join("\n");
        assert!(notes.contains("--frobnicate"), "{notes}");
        assert!(notes.contains("`-u`"), "{notes}");
        assert!(notes.contains("body.txt"), "{notes}");
        assert!(notes.contains("https://other/"), "{notes}");
    }

    #[test]
    fn unquoted_ampersand_is_noticed() {
        let req = HandMadeRequest::from_curl("curl https://h/p?a=1&b=2").unwrap();
        assert_eq!(req.query, "a=1");
        assert!(req.notes.iter().any(|note| note.contains("unquoted `&`")));
    }

    #[test]
    fn json_and_pipes() {
        let req =
            HandMadeRequest::from_curl("ts=1; curl --json '{\"a\":1}' https://h/p | jq .").unwrap();
        assert_eq!(req.body, "{\"a\":1}");
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.method.as_deref(), Some("POST"));
    }

    #[test]
    fn errors() {
        assert_eq!(
            HandMadeRequest::from_curl("echo hi"),
            Err(ParseError::NoCurl)
        );
        assert_eq!(
            HandMadeRequest::from_curl("curl -s"),
            Err(ParseError::NoUrl)
        );
        assert!(matches!(
            HandMadeRequest::from_curl("curl 'https://h"),
            Err(ParseError::Shell(_))
        ));
    }

    #[test]
    fn argv_form() {
        let args: Vec<String> = ["curl", "-H", "X-MBX-APIKEY: k", "https://h/p?a=1"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let req = HandMadeRequest::from_curl_args(&args).unwrap();
        assert_eq!(req.query, "a=1");
        let req = HandMadeRequest::from_curl_args(&args[1..]).unwrap();
        assert_eq!(req.header("x-mbx-apikey"), Some("k"));
    }
}
