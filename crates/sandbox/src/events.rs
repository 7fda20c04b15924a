//! What the exchange core reports, for WebSocket streams, user data and tests.
//!
//! The engine returns [`Event`]s from every call that changes something
//! (`advance`, `place`, `cancel`, `adjust_balance`); it owns no channel and
//! knows nothing of who listens. [`crate::Exchange`] publishes them on two
//! `tokio::sync::broadcast` channels, market events to everyone and account
//! events tagged with their `uid`; a slow receiver loses old events
//! (`Lagged`), never blocks the engine.

use rust_decimal::Decimal;

use crate::engine::{Fill, Order};
use crate::market::Trade;

/// One thing the engine reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// For every market-data listener.
    Market(MarketEvent),
    /// For the account's user-data subscribers.
    Account(AccountEvent),
}

/// Something that happened on a symbol's market.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MarketEvent {
    /// A trade printed.
    Trade {
        /// The symbol.
        symbol: String,
        /// The trade.
        trade: Trade,
    },
    /// The book changed; `final_update_id` is what REST `depth` reports as
    /// `lastUpdateId` from now on, `first_update_id` the first change since
    /// the previous event.
    BookChanged {
        /// The symbol.
        symbol: String,
        /// First update ID in this change.
        first_update_id: u64,
        /// Last update ID in this change.
        final_update_id: u64,
        /// Event time (sandbox clock, ms).
        time: i64,
    },
}

/// Something that happened to an account.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AccountEvent {
    /// An order changed (`executionReport`).
    Execution {
        /// The account.
        uid: u64,
        /// `NEW`, `TRADE`, `CANCELED`, `EXPIRED`, `REJECTED`.
        execution_type: &'static str,
        /// The order after the change.
        order: Box<Order>,
        /// The fill, for `TRADE`.
        fill: Option<Fill>,
        /// Event time (ms).
        time: i64,
    },
    /// A deposit or withdrawal (`balanceUpdate`), from the admin API.
    BalanceUpdate {
        /// The account.
        uid: u64,
        /// The asset.
        asset: String,
        /// The signed change of its free balance.
        delta: Decimal,
        /// Event time (ms).
        time: i64,
    },
    /// Balances changed (`outboundAccountPosition`): the assets touched.
    Position {
        /// The account.
        uid: u64,
        /// `(asset, free, locked)`.
        balances: Vec<(String, Decimal, Decimal)>,
        /// Event time (ms).
        time: i64,
    },
}
