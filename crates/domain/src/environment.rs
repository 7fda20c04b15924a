//! Where requests go: every Binance Spot host, in one table, and the one
//! transport rule (plain `http://` and `ws://` only to loopback).
//!
//! An [`Environment`] knows all three URLs of a target: REST, WebSocket
//! Streams and the WebSocket API (`shared/binance-docs/DIGEST.md` § 1). A
//! custom base URL (a local sandbox, a proxy) gets its WebSocket URLs on the
//! same host and port, which is how the sandbox serves them.
//!
//! ```
//! use mbx_domain::environment::Environment;
//!
//! let testnet = Environment::Testnet;
//! assert_eq!(testnet.rest_url(), "https://testnet.binance.vision");
//! assert_eq!(testnet.ws_api_url().as_deref(), Some("wss://ws-api.testnet.binance.vision/ws-api/v3"));
//!
//! // A known host given as a URL is recognised, a loopback URL is a sandbox.
//! assert_eq!(Environment::from_base_url("https://api.binance.com/")?, Environment::Production);
//! let sandbox = Environment::from_base_url("http://127.0.0.1:9900")?;
//! assert_eq!(sandbox.stream_url().as_deref(), Some("ws://127.0.0.1:9900"));
//! assert!(Environment::from_base_url("http://api.binance.com").is_err());
//! # Ok::<(), mbx_domain::ConfigError>(())
//! ```

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::ConfigError;

/// A Binance Spot environment: production (and its documented alternate
/// hosts), the market-data-only hosts, testnet, demo mode, or a custom base
/// URL such as a local sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `https://api.binance.com`.
    Production,
    /// A documented alternate production REST host: `api-gcp.binance.com`
    /// (0) or `api1` … `api4.binance.com` (1–4; faster, less stable). Same
    /// WebSocket hosts as production.
    ProductionAlternate(u8),
    /// `https://data-api.binance.vision`: public market data only, no API
    /// key, no WebSocket API.
    MarketDataOnly,
    /// `https://testnet.binance.vision` (no `/sapi`).
    Testnet,
    /// `https://demo-api.binance.com`: the live exchange's rules with
    /// simulated funds.
    Demo,
    /// Any other base URL, e.g. a local sandbox; checked with
    /// [`check_base_url`]. Its WebSocket URLs are on the same host and port.
    Custom(String),
}

/// One row of the host table: the three URLs of a Binance environment.
struct Hosts {
    rest: &'static str,
    streams: Option<&'static str>,
    ws_api: Option<&'static str>,
}

const PRODUCTION: Hosts = Hosts {
    rest: "https://api.binance.com",
    streams: Some("wss://stream.binance.com:9443"),
    ws_api: Some("wss://ws-api.binance.com:443/ws-api/v3"),
};
const MARKET_DATA_ONLY: Hosts = Hosts {
    rest: "https://data-api.binance.vision",
    streams: Some("wss://data-stream.binance.vision"),
    ws_api: None,
};
const TESTNET: Hosts = Hosts {
    rest: "https://testnet.binance.vision",
    streams: Some("wss://stream.testnet.binance.vision"),
    ws_api: Some("wss://ws-api.testnet.binance.vision/ws-api/v3"),
};
const DEMO: Hosts = Hosts {
    rest: "https://demo-api.binance.com",
    streams: Some("wss://demo-stream.binance.com"),
    ws_api: Some("wss://demo-ws-api.binance.com/ws-api/v3"),
};

/// REST hosts that identify an environment when given as a base URL.
const KNOWN_REST_HOSTS: &[(&str, Environment)] = &[
    ("api.binance.com", Environment::Production),
    ("api-gcp.binance.com", Environment::ProductionAlternate(0)),
    ("api1.binance.com", Environment::ProductionAlternate(1)),
    ("api2.binance.com", Environment::ProductionAlternate(2)),
    ("api3.binance.com", Environment::ProductionAlternate(3)),
    ("api4.binance.com", Environment::ProductionAlternate(4)),
    ("data-api.binance.vision", Environment::MarketDataOnly),
    ("testnet.binance.vision", Environment::Testnet),
    ("api1.testnet.binance.vision", Environment::Testnet),
    ("demo-api.binance.com", Environment::Demo),
];

impl Environment {
    /// The environment a base URL points at: a known Binance host becomes
    /// its environment, anything else (checked) is [`Environment::Custom`].
    pub fn from_base_url(url: &str) -> Result<Environment, ConfigError> {
        let parsed = check_base_url(url)?;
        let host = parsed.host_str().unwrap_or("");
        let default_port = parsed.port().is_none() || parsed.port() == Some(443);
        if parsed.scheme() == "https"
            && default_port
            && parsed.path() == "/"
            && let Some((_, environment)) = KNOWN_REST_HOSTS
                .iter()
                .find(|(known, _)| host.eq_ignore_ascii_case(known))
        {
            return Ok(environment.clone());
        }
        Ok(Environment::Custom(url.trim_end_matches('/').to_owned()))
    }

    /// Reads a profile's `environment` value: `production`, `testnet`,
    /// `demo`, `market-data`, or a base URL.
    pub fn parse(text: &str) -> Result<Environment, ConfigError> {
        match text.trim() {
            "production" | "prod" | "live" => Ok(Environment::Production),
            "testnet" => Ok(Environment::Testnet),
            "demo" => Ok(Environment::Demo),
            "market-data" | "data-api" => Ok(Environment::MarketDataOnly),
            url if url.contains("://") => Environment::from_base_url(url),
            other => Err(ConfigError::InvalidUrl {
                url: other.to_owned(),
                reason: "expected production, testnet, demo, market-data or a URL".to_owned(),
            }),
        }
    }

    fn hosts(&self) -> Option<&'static Hosts> {
        match self {
            Environment::Production | Environment::ProductionAlternate(_) => Some(&PRODUCTION),
            Environment::MarketDataOnly => Some(&MARKET_DATA_ONLY),
            Environment::Testnet => Some(&TESTNET),
            Environment::Demo => Some(&DEMO),
            Environment::Custom(_) => None,
        }
    }

    /// The REST base URL, without a trailing slash.
    pub fn rest_url(&self) -> String {
        match self {
            Environment::ProductionAlternate(0) => "https://api-gcp.binance.com".to_owned(),
            Environment::ProductionAlternate(n) => format!("https://api{n}.binance.com"),
            Environment::Custom(url) => url.trim_end_matches('/').to_owned(),
            known => known
                .hosts()
                .map_or_else(String::new, |h| h.rest.to_owned()),
        }
    }

    /// The WebSocket Streams base URL (scheme, host, port), if the
    /// environment has streams.
    pub fn stream_url(&self) -> Option<String> {
        match self {
            Environment::Custom(url) => same_host(url, ""),
            known => known.hosts()?.streams.map(str::to_owned),
        }
    }

    /// The WebSocket API URL, if the environment has one (the
    /// market-data-only hosts do not).
    pub fn ws_api_url(&self) -> Option<String> {
        match self {
            Environment::Custom(url) => same_host(url, "/ws-api/v3"),
            known => known.hosts()?.ws_api.map(str::to_owned),
        }
    }

    /// Whether `/sapi` endpoints exist there (not on testnet or the
    /// market-data-only hosts).
    pub fn has_sapi(&self) -> bool {
        !matches!(self, Environment::Testnet | Environment::MarketDataOnly)
    }

    /// Whether orders there move real money: production and its alternate
    /// hosts. Testnet, demo mode and custom URLs (a sandbox) do not.
    pub fn is_real_money(&self) -> bool {
        matches!(
            self,
            Environment::Production | Environment::ProductionAlternate(_)
        )
    }

    /// Whether the target is on this machine (a sandbox).
    pub fn is_loopback(&self) -> bool {
        match self {
            Environment::Custom(url) => url::Url::parse(url)
                .ok()
                .and_then(|url| url.host_str().map(is_loopback_host))
                .unwrap_or(false),
            _ => false,
        }
    }

    /// The REST host, e.g. `api.binance.com` or `127.0.0.1:9900`.
    pub fn rest_host(&self) -> String {
        let url = self.rest_url();
        url::Url::parse(&url)
            .ok()
            .and_then(|parsed| {
                let host = parsed.host_str()?.to_owned();
                Some(match parsed.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                })
            })
            .unwrap_or(url)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Production => f.write_str("production"),
            Environment::ProductionAlternate(_) => write!(f, "production ({})", self.rest_url()),
            Environment::MarketDataOnly => f.write_str("market data only"),
            Environment::Testnet => f.write_str("testnet"),
            Environment::Demo => f.write_str("demo"),
            Environment::Custom(url) => f.write_str(url),
        }
    }
}

/// `ws://` or `wss://` on the host and port of `rest_url`, with `path`.
fn same_host(rest_url: &str, path: &str) -> Option<String> {
    let parsed = url::Url::parse(rest_url).ok()?;
    let scheme = match parsed.scheme() {
        "http" => "ws",
        "https" => "wss",
        _ => return None,
    };
    // `host_str` keeps the brackets of an IPv6 address.
    let host = parsed.host_str()?;
    Some(match parsed.port() {
        Some(port) => format!("{scheme}://{host}:{port}{path}"),
        None => format!("{scheme}://{host}{path}"),
    })
}

/// The one transport rule, for every URL mbx connects to: `https://` and
/// `wss://` anywhere, plain `http://` and `ws://` only to loopback
/// (`127.0.0.0/8`, `localhost`, `[::1]`), and never a user name or password
/// in the URL.
///
/// The URL is parsed the way the HTTP and WebSocket clients parse it, so the
/// host checked is the host connected to: `http://localhost:pw@example.com`
/// is a request to `example.com` and is refused.
pub fn check_transport(text: &str) -> Result<url::Url, ConfigError> {
    let trimmed = text.trim();
    let url = url::Url::parse(trimmed).map_err(|err| ConfigError::InvalidUrl {
        url: trimmed.to_owned(),
        reason: err.to_string(),
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::UrlWithCredentials);
    }
    let host = url.host_str().unwrap_or("");
    if host.is_empty() {
        return Err(ConfigError::InvalidUrl {
            url: trimmed.to_owned(),
            reason: "it has no host".to_owned(),
        });
    }
    match url.scheme() {
        "https" | "wss" => Ok(url),
        "http" | "ws" if is_loopback_host(host) => Ok(url),
        scheme @ ("http" | "ws") => Err(ConfigError::InsecureUrl {
            url: trimmed.to_owned(),
            scheme: scheme.to_owned(),
        }),
        other => Err(ConfigError::InvalidUrl {
            url: trimmed.to_owned(),
            reason: format!(
                "the scheme `{other}` is not https://, wss:// (or http:// and ws:// to loopback)"
            ),
        }),
    }
}

/// [`check_transport`] for a REST base URL, which also must not carry a
/// query and must not end in an API path (`/api/v3`, `/sapi/v1`), which
/// every request path adds again.
pub fn check_base_url(text: &str) -> Result<url::Url, ConfigError> {
    let url = check_transport(text)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::InvalidUrl {
            url: text.trim().to_owned(),
            reason: "a REST base URL starts with https:// (or http:// to loopback)".to_owned(),
        });
    }
    let path = url.path().trim_end_matches('/');
    for api_path in ["/api/v3", "/api", "/sapi/v1", "/sapi"] {
        if path.ends_with(api_path) {
            return Err(ConfigError::BaseUrlWithPath {
                url: text.trim().to_owned(),
                path: api_path.to_owned(),
            });
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::InvalidUrl {
            url: text.trim().to_owned(),
            reason: "a base URL carries no query string".to_owned(),
        });
    }
    Ok(url)
}

/// `localhost`, `127.0.0.0/8` or `::1` (in brackets, as URLs write it).
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(url: &str, ok: bool) {
        assert_eq!(check_transport(url).is_ok(), ok, "{url}");
    }

    #[test]
    fn tls_anywhere() {
        check("https://api.binance.com", true);
        check("wss://stream.binance.com:9443", true);
    }
    #[test]
    fn plain_to_loopback() {
        check("http://127.0.0.1:8080", true);
        check("ws://localhost:1/ws", true);
        check("http://[::1]:9000/", true);
        check("ws://127.0.0.2:9", true);
    }
    #[test]
    fn plain_elsewhere_refused() {
        check("http://api.binance.com", false);
        check("ws://stream.binance.com", false);
        check("http://127.0.0.1.evil.com:80", false);
        check("ftp://x", false);
        check("https://", false);
    }
    #[test]
    fn userinfo_cannot_smuggle_a_remote_host() {
        // The host is `example.com`; `localhost:pw` is a user name and password.
        check("http://localhost:pw@example.com", false);
        check("ws://127.0.0.1:80@example.com", false);
        check("https://user:pw@api.binance.com", false);
        let err = check_transport("https://user:hunter2@api.binance.com").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
    #[test]
    fn base_urls_with_an_api_path_are_refused() {
        for url in [
            "https://api.binance.com/api/v3",
            "https://api.binance.com/api/v3/",
            "https://api.binance.com/sapi/v1",
        ] {
            assert!(
                matches!(
                    check_base_url(url),
                    Err(ConfigError::BaseUrlWithPath { .. })
                ),
                "{url}"
            );
        }
        assert!(check_base_url("https://api.binance.com/").is_ok());
        assert!(check_base_url("wss://stream.binance.com").is_err());
    }
    #[test]
    fn documented_hosts() {
        assert_eq!(
            Environment::ProductionAlternate(0).rest_url(),
            "https://api-gcp.binance.com"
        );
        assert_eq!(
            Environment::ProductionAlternate(3).rest_url(),
            "https://api3.binance.com"
        );
        assert_eq!(
            Environment::ProductionAlternate(3).ws_api_url().as_deref(),
            Some("wss://ws-api.binance.com:443/ws-api/v3")
        );
        assert_eq!(
            Environment::Demo.stream_url().as_deref(),
            Some("wss://demo-stream.binance.com")
        );
        assert_eq!(Environment::MarketDataOnly.ws_api_url(), None);
        assert!(Environment::parse("http://10.0.0.1").is_err());
    }
    #[test]
    fn known_hosts_are_recognised_from_their_url() {
        let check = |url: &str, expected: Environment| {
            assert_eq!(Environment::from_base_url(url).unwrap(), expected, "{url}")
        };
        check("https://api.binance.com", Environment::Production);
        check(
            "https://API3.binance.com/",
            Environment::ProductionAlternate(3),
        );
        check("https://testnet.binance.vision", Environment::Testnet);
        check(
            "https://data-api.binance.vision",
            Environment::MarketDataOnly,
        );
        check("https://demo-api.binance.com", Environment::Demo);
        check(
            "https://proxy.example:8443",
            Environment::Custom("https://proxy.example:8443".into()),
        );
    }
    #[test]
    fn custom_urls_get_websockets_on_the_same_host() {
        let sandbox = Environment::from_base_url("http://127.0.0.1:8080/").unwrap();
        assert_eq!(sandbox.rest_url(), "http://127.0.0.1:8080");
        assert_eq!(sandbox.stream_url().as_deref(), Some("ws://127.0.0.1:8080"));
        assert_eq!(
            sandbox.ws_api_url().as_deref(),
            Some("ws://127.0.0.1:8080/ws-api/v3")
        );
        assert!(sandbox.is_loopback() && !sandbox.is_real_money());
        let v6 = Environment::from_base_url("http://[::1]:9").unwrap();
        assert_eq!(v6.stream_url().as_deref(), Some("ws://[::1]:9"));
        assert_eq!(sandbox.rest_host(), "127.0.0.1:8080");
        assert_eq!(Environment::Production.rest_host(), "api.binance.com");
    }
    #[test]
    fn only_production_moves_real_money() {
        assert!(Environment::Production.is_real_money());
        assert!(Environment::ProductionAlternate(1).is_real_money());
        for other in [Environment::Testnet, Environment::Demo] {
            assert!(!other.is_real_money());
        }
    }
}
