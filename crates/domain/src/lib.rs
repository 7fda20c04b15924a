//! The Binance Spot domain: model types, errors with hints, ports and pure
//! services.
//!
//! # Brief overview
//!
//! * [`model`] holds what the API talks about: [`model::Account`] and its
//!   [`model::Balance`]s, [`model::ExchangeInfo`] with symbol filters and
//!   rate limits, orders, trades, klines, tickers and depth. Prices and
//!   quantities are [`rust_decimal::Decimal`]s, which keep the server's scale
//!   (`"1.50000000"` prints back as `1.50000000`); nothing goes through `f64`.
//! * [`Error`] is the one error of every transport and the configuration:
//!   [`Error::category`] (auth, signature, clock, rate limit, unknown
//!   outcome, network, …), [`Error::is_retryable`] and [`Error::hint`].
//!   [`BinanceError`] is an error the server answered with (HTTP status,
//!   code, message, endpoint); [`error_codes`] knows every documented code.
//! * [`environment::Environment`] knows every host (REST, WebSocket
//!   Streams, WebSocket API) of production, testnet and demo mode, and
//!   [`environment::check_transport`] is the one transport rule.
//!   [`credentials::Credentials`] pair an API key with its signer.
//! * [`ports`] names the outside world as object-safe async traits:
//!   [`ports::ServerClock`], [`ports::MarketData`], [`ports::AccountData`],
//!   [`ports::OrderEntry`], and the live [`ports::UserDataSource`] and
//!   [`ports::MarketStreamSource`] whose [`feed`]s yield events and
//!   connection notices. `mbx-adapters-rest` and `mbx-adapters-ws`
//!   implement them; tests use `mockall` mocks (feature `mocks`).
//! * [`observer::RequestObserver`] is told what a transport waits for
//!   (a request in flight, `Retry-After`, a retry's backoff), so a program
//!   can show progress without the transport knowing about terminals.
//! * [`clock`] estimates the offset between the local clock and the server
//!   time; [`rate_limit`] is a ledger of used request weight that says how
//!   long to wait before a request of a given weight.
//! * [`preflight`] checks an order against its symbol's filters before it
//!   is sent, says which filter and rule it breaks and the nearest values
//!   that pass, and rounds prices and quantities to the symbol's grid.
//! * [`stream`] holds the events of every market stream and of the
//!   user-data stream; [`order_book::BookSync`] keeps a local
//!   [`order_book::OrderBook`] in step with the diff-depth stream (Binance's
//!   documented procedure as a state machine that says when to fetch a
//!   snapshot), and [`balance_mirror`] keeps balances from user-data events.
//!
//! ```
//! use mbx_domain::{BinanceError, model::Balance};
//!
//! let balance: Balance = serde_json::from_str(
//!     r#"{"asset":"BTC","free":"1.50000000","locked":"0.25000000"}"#,
//! ).unwrap();
//! assert_eq!(balance.total().to_string(), "1.75000000");
//!
//! let err = BinanceError::new(401, Some(-2014), "API-key format invalid.", "GET /api/v3/account");
//! assert!(err.hint().unwrap().as_str().contains("`X-MBX-APIKEY`"));
//! assert_eq!(err.category(), mbx_domain::Category::Auth);
//! ```
//!
//! A key design decision: this crate does no I/O. It has no HTTP client, no
//! sockets and no clock of its own; the services take the time and the
//! server's answers as arguments or through ports. That keeps every rule
//! (time sync, weight accounting, hints) testable without a network and
//! shared by the REST and WebSocket adapters.
#![deny(missing_docs)]

pub mod balance_mirror;
pub mod clock;
pub mod credentials;
pub mod endpoints;
pub mod environment;
mod error;
pub mod error_codes;
pub mod feed;
pub mod model;
pub mod observer;
pub mod order_book;
pub mod ports;
pub mod preflight;
pub mod rate_limit;
pub mod recording;
pub mod stream;
pub mod stream_name;

pub use error::{
    BinanceError, Category, Cause, ConfigError, Error, Hint, KeyProblem, endpoint_changes_state,
    ws_method_changes_state,
};
