//! The use-cases of mbx, over ports: what the `mbx` command-line tool does,
//! for any program that embeds the crates.
//!
//! # Brief overview
//!
//! Every use-case takes the outside world as `mbx-domain` ports
//! (`Arc<dyn AccountData>`, `Arc<dyn MarketData>`, a user-data stream, a
//! clock), never a concrete adapter, so it is tested with `mockall` mocks
//! and runs the same over REST, the WebSocket API or the sandbox.
//!
//! * [`config`]: the profile file and the one credentials loader, with one
//!   precedence (explicit profile, environment, default profile);
//! * [`balances`]: balances valued in a quote asset;
//! * [`account_feed`]: the account live, reconciled over REST after every
//!   reconnect (balances and orders), for `mbx user-stream` and
//!   `mbx balances --watch`;
//! * [`market_feed`]: market streams live;
//! * [`book_feed`]: local order books kept live from the diff-depth stream
//!   and REST snapshots (Binance's procedure), resynchronised on gaps and
//!   checked against fresh snapshots, for `mbx book`;
//! * [`record`]: market streams recorded to disk (every frame with its
//!   receive time, depth snapshots at the start and after reconnects,
//!   compressed files of an hour each, a manifest), and [`replay`]: a
//!   recording read back as the live feed would have delivered it;
//! * [`orders`]: orders placed safely: pre-flight checks against the
//!   symbol's filters (rules cached per environment), rounding, one send,
//!   and an unknown outcome resolved by looking the order up, never by
//!   sending it again; order status, cancels, history and trades;
//! * [`session`]: when a live use-case stops (count, duration, a stop
//!   signal);
//! * [`doctor`] and [`clock`]: structured findings about credentials,
//!   connectivity, the clock and permissions;
//! * [`backoff::FileBackoffStore`]: bans and `Retry-After` waits kept
//!   between runs.
//!
//! ```no_run
//! use mbx_client::balances::{self, BalancesQuery};
//! # async fn run(rest: std::sync::Arc<dyn mbx_domain::ports::AccountData>, market: std::sync::Arc<dyn mbx_domain::ports::MarketData>) -> Result<(), mbx_domain::Error> {
//! let query = BalancesQuery { include_zero: false, quote: Some("USDT".into()) };
//! let sheet = balances::fetch(rest.as_ref(), market.as_ref(), &query).await?;
//! println!("total {} USDT", sheet.total());
//! # Ok(())
//! # }
//! ```
//!
//! A key design decision: this crate holds the rules (what a Binance answer
//! means, when to reconcile, what a doctor finding says), not the terminal.
//! Printing, colours and prompts stay in the `mbx` binary.
#![deny(missing_docs)]

pub mod account_feed;
pub mod backoff;
pub mod balances;
pub mod book_feed;
pub mod clock;
pub mod config;
pub mod doctor;
pub mod explain;
pub mod market_feed;
pub mod orders;
pub mod record;
pub mod replay;
pub mod session;
