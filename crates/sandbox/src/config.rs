//! What a sandbox is started with: accounts, API keys, seed, clock offset and rate limits.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};

use crate::serve::ServerLimits;

/// The demo API key, printed by `mbx sandbox` when started without flags.
pub const DEMO_API_KEY: &str = "mbxSandboxDemoKey000000000000000000000000000000000000000000000a1";
/// The demo HMAC secret that goes with [`DEMO_API_KEY`]. It protects nothing.
pub const DEMO_API_SECRET: &str =
    "mbxSandboxDemoSecret000000000000000000000000000000000000000000b2";

/// Everything a sandbox starts with.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free port.
    pub bind: SocketAddr,
    /// The accounts, each with its API keys and balances.
    pub accounts: Vec<AccountConfig>,
    /// Seeds the price walk: the same seed gives the same market.
    pub seed: u64,
    /// The sandbox clock is the system clock plus this many milliseconds.
    pub clock_offset_ms: i64,
    /// Request weight and order-count limits.
    pub limits: RateLimitConfig,
    /// Concurrent connections and the header-read timeout.
    pub server: ServerLimits,
    /// Drive the market by a recording instead of the seeded walk
    /// (`--replay DIR`).
    pub replay: Option<crate::replay::ReplayConfig>,
}

impl SandboxConfig {
    /// One demo account ([`DEMO_API_KEY`] / [`DEMO_API_SECRET`], reading and
    /// spot trading, no withdrawals) with realistic balances, on
    /// `127.0.0.1:0`, seed 1, no clock offset, Binance's default limits and
    /// [`ServerLimits::standard`].
    pub fn demo() -> SandboxConfig {
        SandboxConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            accounts: vec![AccountConfig {
                uid: 354_937_868,
                api_keys: vec![ApiKeyConfig {
                    api_key: DEMO_API_KEY.to_owned(),
                    credential: Credential::HmacSecret(DEMO_API_SECRET.to_owned()),
                    permissions: Permissions::trading(),
                }],
                balances: demo_balances(),
            }],
            seed: 1,
            clock_offset_ms: 0,
            limits: RateLimitConfig::binance(),
            server: ServerLimits::standard(),
            replay: None,
        }
    }
}

/// The demo account's balances: a few non-zero, a few zero.
pub fn demo_balances() -> Vec<(String, String)> {
    [
        ("BTC", "1.50000000"),
        ("ETH", "12.00000000"),
        ("BNB", "40.00000000"),
        ("USDT", "10000.00000000"),
        ("LTC", "100.00000000"),
        ("EOS", "0.00000000"),
        ("USDC", "0.00000000"),
        ("XRP", "0.00000000"),
    ]
    .into_iter()
    .map(|(asset, amount)| (asset.to_owned(), amount.to_owned()))
    .collect()
}

/// One account.
#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// The account's `uid`, as `GET /api/v3/account` reports it.
    pub uid: u64,
    /// Its API keys.
    pub api_keys: Vec<ApiKeyConfig>,
    /// `(asset, decimal text)` pairs, e.g. `("BTC", "1.5")`.
    pub balances: Vec<(String, String)>,
}

/// One API key and what it may do.
#[derive(Clone)]
pub struct ApiKeyConfig {
    /// The key sent in `X-MBX-APIKEY`.
    pub api_key: String,
    /// How its requests are signed.
    pub credential: Credential,
    /// What it is allowed to do.
    pub permissions: Permissions,
}

impl fmt::Debug for ApiKeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyConfig")
            .field("api_key", &self.api_key)
            .field("credential", &self.credential)
            .field("permissions", &self.permissions)
            .finish()
    }
}

/// How a key's requests are signed.
#[derive(Clone)]
pub enum Credential {
    /// HMAC-SHA256 with this secret.
    HmacSecret(String),
    /// Ed25519 or RSA with this public key (SPKI `PUBLIC KEY` PEM).
    PublicKeyPem(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::HmacSecret(_) => f.write_str("HmacSecret(<redacted>)"),
            Credential::PublicKeyPem(_) => f.write_str("PublicKeyPem(..)"),
        }
    }
}

/// A key's permissions, as `GET /sapi/v1/account/apiRestrictions` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permissions {
    /// May read account data.
    pub enable_reading: bool,
    /// May place and cancel orders.
    pub enable_spot_and_margin_trading: bool,
    /// May withdraw (the sandbox has no withdrawals; reported only).
    pub enable_withdrawals: bool,
    /// Whether the key is restricted to some IPs (reported only).
    pub ip_restrict: bool,
}

impl Permissions {
    /// Reading only: trading endpoints answer `-2015`.
    pub fn read_only() -> Permissions {
        Permissions {
            enable_reading: true,
            enable_spot_and_margin_trading: false,
            enable_withdrawals: false,
            ip_restrict: false,
        }
    }

    /// Reading and spot trading, no withdrawals.
    pub fn trading() -> Permissions {
        Permissions {
            enable_spot_and_margin_trading: true,
            ..Permissions::read_only()
        }
    }
}

/// Rate limits. Windows are aligned to the sandbox clock.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// `REQUEST_WEIGHT` per 1 MINUTE (Binance: 6000).
    pub request_weight_per_minute: u32,
    /// `ORDERS` per 10 SECOND, per account (Binance: 50).
    pub orders_per_10s: u32,
    /// `ORDERS` per 1 DAY, per account (Binance: 160000).
    pub orders_per_day: u32,
    /// `RAW_REQUESTS` per 5 MINUTE (Binance: 300000).
    pub raw_requests_per_5m: u32,
}

impl RateLimitConfig {
    /// Binance's current production values.
    pub fn binance() -> RateLimitConfig {
        RateLimitConfig {
            request_weight_per_minute: 6000,
            orders_per_10s: 50,
            orders_per_day: 160_000,
            raw_requests_per_5m: 300_000,
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> RateLimitConfig {
        RateLimitConfig::binance()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_credentials_are_64_alphanumeric_chars() {
        for text in [DEMO_API_KEY, DEMO_API_SECRET] {
            assert_eq!(text.len(), 64);
            assert!(text.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn debug_redacts_the_secret() {
        let config = SandboxConfig::demo();
        let text = format!("{config:?}");
        assert!(!text.contains(DEMO_API_SECRET));
        assert!(text.contains("<redacted>"));
    }
}
