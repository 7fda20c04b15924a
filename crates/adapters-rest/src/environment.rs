//! Where requests go: production, testnet, demo mode or a custom base URL.

use std::fmt;

use mbx_domain::Error;

/// A Binance Spot REST environment (`shared/binance-docs/DIGEST.md` §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `https://api.binance.com`.
    Production,
    /// One of the documented alternate production hosts:
    /// `api-gcp.binance.com` (0) or `api1` … `api4.binance.com` (1–4; faster,
    /// less stable).
    ProductionAlternate(u8),
    /// `https://testnet.binance.vision` (no `/sapi`).
    Testnet,
    /// `https://demo-api.binance.com`: the live exchange's rules with
    /// simulated funds.
    Demo,
    /// Any other base URL, e.g. a local sandbox. Plain `http://` is allowed
    /// only to loopback.
    Custom(String),
}

impl Environment {
    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> String {
        match self {
            Environment::Production => "https://api.binance.com".to_owned(),
            Environment::ProductionAlternate(0) => "https://api-gcp.binance.com".to_owned(),
            Environment::ProductionAlternate(n) => format!("https://api{n}.binance.com"),
            Environment::Testnet => "https://testnet.binance.vision".to_owned(),
            Environment::Demo => "https://demo-api.binance.com".to_owned(),
            Environment::Custom(url) => url.trim_end_matches('/').to_owned(),
        }
    }

    /// Reads a profile's `environment` value: `production`, `testnet`,
    /// `demo`, or a URL.
    pub fn parse(text: &str) -> Result<Environment, Error> {
        match text.trim() {
            "production" | "prod" | "live" => Ok(Environment::Production),
            "testnet" => Ok(Environment::Testnet),
            "demo" => Ok(Environment::Demo),
            url if url.contains("://") => {
                check_base_url(url)?;
                Ok(Environment::Custom(url.trim_end_matches('/').to_owned()))
            }
            other => Err(Error::InvalidRequest(format!(
                "unknown environment `{other}` (expected production, testnet, demo or a URL)"
            ))),
        }
    }

    /// Whether `/sapi` endpoints exist there (not on testnet).
    pub fn has_sapi(&self) -> bool {
        !matches!(self, Environment::Testnet)
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Environment::Production => f.write_str("production"),
            Environment::ProductionAlternate(_) => write!(f, "production ({})", self.base_url()),
            Environment::Testnet => f.write_str("testnet"),
            Environment::Demo => f.write_str("demo"),
            Environment::Custom(url) => f.write_str(url),
        }
    }
}

/// Allows `https://` anywhere and plain `http://` only to loopback
/// (`127.0.0.0/8`, `localhost`, `[::1]`).
///
/// The URL is parsed the way the HTTP client parses it, so the host checked
/// is the host connected to: `http://localhost:pw@example.com` is a request
/// to `example.com` and is refused. A user name or password in the URL is
/// refused too (it would be sent in clear and end up in logs).
pub fn check_base_url(base_url: &str) -> Result<(), Error> {
    let trimmed = base_url.trim_end_matches('/');
    let Ok(url) = reqwest::Url::parse(trimmed) else {
        return Err(Error::InvalidRequest(format!(
            "base URL `{trimmed}` is not a URL; write it like `https://api.binance.com`"
        )));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::InvalidRequest(
            "refusing a base URL with a user name or password in it; send credentials only as the API key and signature".to_owned(),
        ));
    }
    let host = url.host_str().unwrap_or("");
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
        || host
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|ip| ip.parse::<std::net::Ipv6Addr>().ok())
            .is_some_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" if !host.is_empty() => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(Error::InvalidRequest(format!(
            "refusing base URL `{trimmed}`: plain http is allowed only to loopback"
        ))),
        _ => Err(Error::InvalidRequest(format!(
            "base URL `{trimmed}` must start with `https://` (or `http://` to loopback)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(url: &str, ok: bool) {
        assert_eq!(check_base_url(url).is_ok(), ok, "{url}");
    }

    #[test]
    fn https_anywhere() {
        check("https://api.binance.com", true)
    }
    #[test]
    fn http_to_loopback() {
        check("http://127.0.0.1:8080", true);
        check("http://localhost:1", true);
        check("http://[::1]:9000/", true);
    }
    #[test]
    fn http_elsewhere_refused() {
        check("http://api.binance.com", false);
        check("http://127.0.0.1.evil.com:80", false);
        check("ftp://x", false);
        check("https://", false);
    }
    #[test]
    fn userinfo_cannot_smuggle_a_remote_host() {
        // The host is `example.com`; `localhost:pw` is a user name and password.
        check("http://localhost:pw@example.com", false);
        check("http://127.0.0.1:80@example.com", false);
        check("https://user:pw@api.binance.com", false);
        let err = check_base_url("https://user:hunter2@api.binance.com").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
    #[test]
    fn documented_hosts() {
        assert_eq!(
            Environment::ProductionAlternate(0).base_url(),
            "https://api-gcp.binance.com"
        );
        assert_eq!(
            Environment::ProductionAlternate(3).base_url(),
            "https://api3.binance.com"
        );
        assert_eq!(
            Environment::parse("testnet").unwrap().base_url(),
            "https://testnet.binance.vision"
        );
        assert_eq!(
            Environment::parse("demo").unwrap().base_url(),
            "https://demo-api.binance.com"
        );
        assert!(Environment::parse("http://10.0.0.1").is_err());
    }
}
