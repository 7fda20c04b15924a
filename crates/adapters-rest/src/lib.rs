//! The Binance Spot REST client: signed requests that work the first time.
//!
//! # Brief overview
//!
//! * [`RestClient`] sends [`Request`]s over one pooled keep-alive HTTPS
//!   connection (hyper-util's pooled client over rustls, through the
//!   HTTPS proxy the environment names) and implements the `mbx-domain` ports
//!   ([`mbx_domain::ports::MarketData`], [`AccountData`](mbx_domain::ports::AccountData),
//!   [`OrderEntry`](mbx_domain::ports::OrderEntry), [`ServerClock`](mbx_domain::ports::ServerClock)).
//! * Signed requests are built and signed with `mbx-signing`: the API key in
//!   the `X-MBX-APIKEY` header (never in the URL), `timestamp` from the
//!   synced clock, `recvWindow` from [`ClientConfig`], `signature` last. The
//!   secret never leaves the process.
//! * Where to connect is an [`mbx_domain::environment::Environment`]; plain
//!   `http://` is accepted only to loopback, and a redirect is never
//!   followed (Binance never redirects API calls; following one would send
//!   the key and the signed query to another host).
//! * Errors are [`mbx_domain::Error`]: the same categories, codes and hints
//!   as every other transport. A failed order whose outcome is unknown is
//!   [`mbx_domain::Error::OutcomeUnknown`], never retried blindly.
//!
//! ```no_run
//! use mbx_adapters_rest::{ClientConfig, RestClient};
//! use mbx_domain::credentials::{ApiKey, Credentials};
//! use mbx_domain::environment::Environment;
//! use mbx_domain::ports::AccountData;
//! use mbx_signing::{HmacKey, Signer};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let credentials = Credentials::new(
//!     ApiKey::new(&std::env::var("BINANCE_API_KEY")?)?,
//!     Signer::Hmac(HmacKey::from_secret_text(&std::env::var("BINANCE_API_SECRET")?)?),
//! );
//! let client = RestClient::new(ClientConfig::new(&Environment::Testnet.rest_url())?, Some(credentials))?;
//! for balance in client.account(true).await?.balances {
//!     println!("{} {} {}", balance.asset, balance.free, balance.locked);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A key design decision: the retry rules live in one place,
//! [`RestClient::send`]. A GET is retried after network errors and 5xx with
//! jittered backoff; a `-1021` re-syncs the clock and retries once; a 429 or
//! 418 is waited out as `Retry-After` asks. An order is sent exactly once:
//! an uncertain outcome is returned as it is, and resolving it by the
//! order's `newClientOrderId` is the use-case's job (`mbx_client::orders`).
//! A GET is safe to send again; nothing else is.
#![deny(missing_docs)]

mod client;
mod ports;
mod transport;

pub use client::{
    API_KEY_HEADER, ClientConfig, Request, Response, RestClient, Security, SystemClock,
    documented_weight, parse_body, parse_error, redact_target,
};
