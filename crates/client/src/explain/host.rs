//! Which Binance environment a host belongs to (DIGEST.md § 1, from
//! rest-api.md § General API Information, testnet and demo-mode pages).

use std::fmt;

use serde::Serialize;

/// The environment a REST host belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Environment {
    /// `api.binance.com`, `api-gcp.binance.com`, `api1`..`api4`.
    Production,
    /// `data-api.binance.vision`: public market data only, no API keys.
    MarketDataOnly,
    /// `testnet.binance.vision` (and `api1.testnet.binance.vision`).
    Testnet,
    /// `demo-api.binance.com`.
    Demo,
    /// A loopback host: a local sandbox.
    Local,
    /// A WebSocket host (`stream.binance.com`, `ws-api.binance.com`, ...),
    /// which serves no REST.
    WebSocket,
    /// A Binance host of another product (futures, options, Binance.US).
    OtherProduct,
    /// Anything else.
    Other,
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Production => "production",
            Environment::MarketDataOnly => "production (market data only)",
            Environment::Testnet => "testnet",
            Environment::Demo => "demo mode",
            Environment::Local => "local",
            Environment::WebSocket => "WebSocket",
            Environment::OtherProduct => "another Binance product",
            Environment::Other => "unknown",
        })
    }
}

/// The environment of `host` (a host name, optionally with a port).
///
/// ```
/// use mbx_client::explain::{environment, Environment};
/// assert_eq!(environment("api3.binance.com"), Environment::Production);
/// assert_eq!(environment("testnet.binance.vision"), Environment::Testnet);
/// assert_eq!(environment("demo-api.binance.com:443"), Environment::Demo);
/// assert_eq!(environment("127.0.0.1:9900"), Environment::Local);
/// assert_eq!(environment("stream.binance.com:9443"), Environment::WebSocket);
/// ```
pub fn environment(host: &str) -> Environment {
    let name = host_without_port(host).to_ascii_lowercase();
    let name = name.trim_end_matches('.');
    match name {
        "api.binance.com"
        | "api-gcp.binance.com"
        | "api1.binance.com"
        | "api2.binance.com"
        | "api3.binance.com"
        | "api4.binance.com" => Environment::Production,
        "data-api.binance.vision" => Environment::MarketDataOnly,
        "testnet.binance.vision" | "api1.testnet.binance.vision" => Environment::Testnet,
        "demo-api.binance.com" => Environment::Demo,
        "localhost" | "::1" => Environment::Local,
        name if name.starts_with("127.")
            && name.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
        {
            Environment::Local
        }
        name if is_websocket_host(name) => Environment::WebSocket,
        name if name.ends_with(".testnet.binance.vision") => Environment::Testnet,
        "fapi.binance.com"
        | "dapi.binance.com"
        | "eapi.binance.com"
        | "papi.binance.com"
        | "api.binance.us"
        | "testnet.binancefuture.com" => Environment::OtherProduct,
        _ => Environment::Other,
    }
}

fn is_websocket_host(name: &str) -> bool {
    let first = name.split('.').next().unwrap_or("");
    let binance = name.ends_with(".binance.com") || name.ends_with(".binance.vision");
    binance
        && matches!(
            first,
            "stream"
                | "ws-api"
                | "data-stream"
                | "stream-sbe"
                | "demo-stream"
                | "demo-ws-api"
                | "demo-stream-sbe"
                | "fstream"
                | "dstream"
        )
}

fn host_without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.contains(':') => {
            name
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(host: &str, expected: Environment) {
        assert_eq!(environment(host), expected, "{host}");
    }

    #[test]
    fn hosts() {
        check("API.binance.com", Environment::Production);
        check("api-gcp.binance.com", Environment::Production);
        check("data-api.binance.vision", Environment::MarketDataOnly);
        check("api1.testnet.binance.vision", Environment::Testnet);
        check("ws-api.testnet.binance.vision", Environment::WebSocket);
        check("localhost:9900", Environment::Local);
        check("[::1]:9900", Environment::Local);
        check("127.0.0.1", Environment::Local);
        check("fapi.binance.com", Environment::OtherProduct);
        check("api.binance.us", Environment::OtherProduct);
        check("example.com", Environment::Other);
        check("127.example.com", Environment::Other);
    }
}
