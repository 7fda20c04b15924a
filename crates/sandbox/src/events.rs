//! What the exchange core reports, for WebSocket streams, user data and tests.
//!
//! The engine returns [`Event`]s from every call that changes something
//! (`advance`, `place`, `cancel`, `adjust_balance`); it owns no channel and
//! knows nothing of who listens. [`crate::Exchange`] publishes them on two
//! `tokio::sync::broadcast` channels, market events to everyone and account
//! events tagged with their `uid`; a slow receiver loses old events
//! (`Lagged`), never blocks the engine.

use rust_decimal::Decimal;

use crate::engine::{Fill, Order, OrderList};
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
        /// `NEW`, `TRADE`, `CANCELED`, `EXPIRED`, `REPLACED`,
        /// `TRADE_PREVENTION` (enums.md § Execution types).
        execution_type: &'static str,
        /// The order after the change.
        order: Box<Order>,
        /// The fill, for `TRADE`.
        fill: Option<Fill>,
        /// Event time (ms).
        time: i64,
        /// The engine's execution ID (`I`; what an amendment answers as
        /// `executionId`).
        execution_id: u64,
        /// The client order ID before an amendment (`C` of `REPLACED`).
        orig_client_order_id: Option<String>,
        /// The prevented match, for `TRADE_PREVENTION`.
        prevention: Option<Prevention>,
    },
    /// An order list changed (`listStatus`).
    ListStatus {
        /// The account.
        uid: u64,
        /// The list after the change.
        list: Box<OrderList>,
        /// Its orders' client order IDs now, in the list's order.
        client_order_ids: Vec<String>,
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

/// A match self-trade prevention stopped, as one order's report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Prevention {
    /// `preventedMatchId` (`v`).
    pub match_id: u64,
    /// Quantity this order lost in this match (`B`).
    pub last_qty: Decimal,
    /// The other order (`U`).
    pub counter_order_id: u64,
    /// The symbol of the other order (`Cs`).
    pub counter_symbol: String,
    /// The price the match would have had (`pL`).
    pub price: Decimal,
}
