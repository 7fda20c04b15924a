//! Live events: market-stream events and user-data events, with exact decimals.
//!
//! These are the types a consumer of `mbx-adapters-ws` sees. The adapter
//! decodes Binance's one-letter JSON keys in its `wire` module and converts
//! at the edge into these owned types; nothing here knows about JSON or
//! sockets. Payload shapes: `shared/binance-docs/web-socket-streams.md` and
//! `shared/binance-docs/user-data-stream.md`.
//!
//! Times are [`Millis`] as the server sends them: milliseconds since the Unix
//! epoch (microseconds on a connection opened with `timeUnit=MICROSECOND`).
//! Balances are [`Balance`]s, the same type `GET /api/v3/account` returns.
//! Prices, quantities and balances are [`Decimal`]s that keep the server's
//! scale; nothing goes through `f64`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{Balance, Millis};

/// One event from a market stream (`wss://stream.binance.com:9443`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum MarketEvent {
    /// A raw trade (`<symbol>@trade`).
    Trade(Trade),
    /// An aggregate trade (`<symbol>@aggTrade`).
    AggTrade(AggTrade),
    /// A kline update (`<symbol>@kline_<interval>`).
    Kline(Box<KlineUpdate>),
    /// The top levels of the book (`<symbol>@depth<5|10|20>`).
    PartialDepth(PartialDepth),
    /// A diff-depth update (`<symbol>@depth`).
    DepthUpdate(DepthUpdate),
    /// The best bid and ask (`<symbol>@bookTicker`).
    BookTicker(BookTicker),
    /// 24 h rolling statistics (`<symbol>@ticker`).
    Ticker(Box<Ticker24h>),
    /// 24 h rolling mini statistics (`<symbol>@miniTicker`).
    MiniTicker(MiniTicker),
    /// The mini tickers of every symbol that changed (`!miniTicker@arr`).
    MiniTickers {
        /// One per symbol.
        tickers: Vec<MiniTicker>,
    },
    /// Rolling-window statistics (`<symbol>@ticker_<1h|4h|1d>`).
    RollingTicker(Box<RollingTicker>),
    /// The rolling-window tickers of every symbol that changed
    /// (`!ticker_<1h|4h|1d>@arr`).
    RollingTickers {
        /// One per symbol.
        tickers: Vec<RollingTicker>,
    },
    /// The average price over an interval (`<symbol>@avgPrice`).
    AvgPrice(AvgPrice),
    /// The reference price (`<symbol>@referencePrice`).
    ReferencePrice(ReferencePrice),
    /// A block trade (`<symbol>@blockTrade`).
    BlockTrade(BlockTrade),
    /// The server is about to close the connection; reconnect now.
    ServerShutdown(ServerShutdown),
}

impl MarketEvent {
    /// The symbol the event is about, if it has one.
    pub fn symbol(&self) -> Option<&str> {
        match self {
            MarketEvent::Trade(it) => Some(&it.symbol),
            MarketEvent::AggTrade(it) => Some(&it.symbol),
            MarketEvent::Kline(it) => Some(&it.symbol),
            MarketEvent::PartialDepth(_) | MarketEvent::ServerShutdown(_) => None,
            MarketEvent::DepthUpdate(it) => Some(&it.symbol),
            MarketEvent::BookTicker(it) => Some(&it.symbol),
            MarketEvent::Ticker(it) => Some(&it.symbol),
            MarketEvent::MiniTicker(it) => Some(&it.symbol),
            MarketEvent::RollingTicker(it) => Some(&it.symbol),
            MarketEvent::AvgPrice(it) => Some(&it.symbol),
            MarketEvent::ReferencePrice(it) => Some(&it.symbol),
            MarketEvent::BlockTrade(it) => Some(&it.symbol),
            MarketEvent::MiniTickers { .. } | MarketEvent::RollingTickers { .. } => None,
        }
    }
}

/// A raw trade: one buyer, one seller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trade {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Upper-case symbol, e.g. `BNBBTC`.
    pub symbol: String,
    /// Trade ID.
    pub trade_id: u64,
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub quantity: Decimal,
    /// When the trade happened.
    pub trade_time: Millis,
    /// The buyer was the maker (so the taker sold).
    pub buyer_is_maker: bool,
}

/// The trades that one taker order filled at one price, aggregated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggTrade {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Upper-case symbol.
    pub symbol: String,
    /// Aggregate trade ID.
    pub agg_trade_id: u64,
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub quantity: Decimal,
    /// First trade ID in the aggregate.
    pub first_trade_id: u64,
    /// Last trade ID in the aggregate.
    pub last_trade_id: u64,
    /// When the trade happened.
    pub trade_time: Millis,
    /// The buyer was the maker (so the taker sold).
    pub buyer_is_maker: bool,
}

/// An update of the current kline (candle), sent until it closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KlineUpdate {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Upper-case symbol.
    pub symbol: String,
    /// The candle.
    pub kline: Kline,
}

/// One candle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kline {
    /// Start time.
    pub open_time: Millis,
    /// Close time.
    pub close_time: Millis,
    /// Interval, e.g. `1m`.
    pub interval: String,
    /// First trade ID (`-1` when the candle has no trade).
    pub first_trade_id: i64,
    /// Last trade ID (`-1` when the candle has no trade).
    pub last_trade_id: i64,
    /// Open price.
    pub open: Decimal,
    /// Close price (the last price while the candle is open).
    pub close: Decimal,
    /// High price.
    pub high: Decimal,
    /// Low price.
    pub low: Decimal,
    /// Base asset volume.
    pub volume: Decimal,
    /// Number of trades.
    pub trade_count: u64,
    /// The candle is closed: this is its final update.
    pub is_closed: bool,
    /// Quote asset volume.
    pub quote_volume: Decimal,
    /// Taker buy base asset volume.
    pub taker_buy_base_volume: Decimal,
    /// Taker buy quote asset volume.
    pub taker_buy_quote_volume: Decimal,
}

/// One price level of a book: a price and the quantity resting there.
///
/// In a diff-depth update a zero quantity means "remove the level".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub quantity: Decimal,
}

/// The top levels of a book (`<symbol>@depth<5|10|20>`).
///
/// The payload carries no symbol; on a combined stream the stream name
/// tells which symbol it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartialDepth {
    /// The book's update ID.
    pub last_update_id: u64,
    /// Bids, best first.
    pub bids: Vec<Level>,
    /// Asks, best first.
    pub asks: Vec<Level>,
}

/// A diff-depth update (`depthUpdate`): set these levels, `[U; u]` in order.
///
/// How to keep a local book with it: `shared/binance-docs/web-socket-streams.md`
/// § "How to manage a local order book correctly".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepthUpdate {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Upper-case symbol.
    pub symbol: String,
    /// First update ID in the event (`U`).
    pub first_update_id: u64,
    /// Final update ID in the event (`u`).
    pub final_update_id: u64,
    /// Bid levels to set; quantity zero removes the level.
    pub bids: Vec<Level>,
    /// Ask levels to set; quantity zero removes the level.
    pub asks: Vec<Level>,
}

/// The best bid and ask of a symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookTicker {
    /// The book's update ID.
    pub update_id: u64,
    /// Upper-case symbol.
    pub symbol: String,
    /// Best bid price.
    pub bid_price: Decimal,
    /// Best bid quantity.
    pub bid_quantity: Decimal,
    /// Best ask price.
    pub ask_price: Decimal,
    /// Best ask quantity.
    pub ask_quantity: Decimal,
}

/// 24 h rolling-window statistics of a symbol (`24hrTicker`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticker24h {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Upper-case symbol.
    pub symbol: String,
    /// Price change.
    pub price_change: Decimal,
    /// Price change in percent.
    pub price_change_percent: Decimal,
    /// Weighted average price.
    pub weighted_avg_price: Decimal,
    /// Price of the last trade before the window.
    pub first_trade_price: Decimal,
    /// Last price.
    pub last_price: Decimal,
    /// Last quantity.
    pub last_quantity: Decimal,
    /// Best bid price.
    pub bid_price: Decimal,
    /// Best bid quantity.
    pub bid_quantity: Decimal,
    /// Best ask price.
    pub ask_price: Decimal,
    /// Best ask quantity.
    pub ask_quantity: Decimal,
    /// Open price.
    pub open_price: Decimal,
    /// High price.
    pub high_price: Decimal,
    /// Low price.
    pub low_price: Decimal,
    /// Base asset volume.
    pub volume: Decimal,
    /// Quote asset volume.
    pub quote_volume: Decimal,
    /// Window open time.
    pub open_time: Millis,
    /// Window close time.
    pub close_time: Millis,
    /// First trade ID in the window (`-1` when none).
    pub first_trade_id: i64,
    /// Last trade ID in the window (`-1` when none).
    pub last_trade_id: i64,
    /// Number of trades.
    pub trade_count: u64,
}

/// 24 h rolling-window mini statistics of a symbol (`24hrMiniTicker`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MiniTicker {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Upper-case symbol.
    pub symbol: String,
    /// Last (close) price.
    pub close_price: Decimal,
    /// Open price.
    pub open_price: Decimal,
    /// High price.
    pub high_price: Decimal,
    /// Low price.
    pub low_price: Decimal,
    /// Base asset volume.
    pub volume: Decimal,
    /// Quote asset volume.
    pub quote_volume: Decimal,
}

/// Rolling-window statistics of a symbol (`1hTicker`, `4hTicker`,
/// `1dTicker`). The window opens on a minute and closes at the update, so
/// it may be up to a minute wider than its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollingTicker {
    /// The window: `1h`, `4h` or `1d` (from the event type).
    pub window: String,
    /// When the server sent the event.
    pub event_time: Millis,
    /// Upper-case symbol.
    pub symbol: String,
    /// Price change.
    pub price_change: Decimal,
    /// Price change in percent.
    pub price_change_percent: Decimal,
    /// Open price.
    pub open_price: Decimal,
    /// High price.
    pub high_price: Decimal,
    /// Low price.
    pub low_price: Decimal,
    /// Last price.
    pub last_price: Decimal,
    /// Weighted average price.
    pub weighted_avg_price: Decimal,
    /// Base asset volume.
    pub volume: Decimal,
    /// Quote asset volume.
    pub quote_volume: Decimal,
    /// Window open time.
    pub open_time: Millis,
    /// Window close time.
    pub close_time: Millis,
    /// First trade ID in the window (`-1` when none).
    pub first_trade_id: i64,
    /// Last trade ID in the window (`-1` when none).
    pub last_trade_id: i64,
    /// Number of trades.
    pub trade_count: u64,
}

/// The average price of a symbol over an interval (`avgPrice`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvgPrice {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Upper-case symbol.
    pub symbol: String,
    /// The averaging interval, e.g. `5m`.
    pub interval: String,
    /// The average price.
    pub price: Decimal,
    /// Time of the last trade.
    pub last_trade_time: Millis,
}

/// The reference price of a symbol (`referencePrice`). The event has no
/// event time; `time` is when the engine held this price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferencePrice {
    /// Upper-case symbol.
    pub symbol: String,
    /// The reference price; `None` when there is none.
    pub price: Option<Decimal>,
    /// When the reference price was valid (engine time).
    pub time: Millis,
}

/// A block trade (`blockTrade`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockTrade {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Upper-case symbol.
    pub symbol: String,
    /// Block trade ID.
    pub trade_id: u64,
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub quantity: Decimal,
    /// When the trade happened.
    pub trade_time: Millis,
    /// The buyer was the maker.
    pub buyer_is_maker: bool,
}

/// `serverShutdown`: the server will close the connection soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerShutdown {
    /// When the server sent the event.
    pub event_time: Millis,
}

/// One user-data event (WebSocket API `userDataStream.subscribe*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum UserEvent {
    /// Absolute balances of the assets an account change touched.
    AccountPosition(AccountPosition),
    /// A deposit, withdrawal or transfer: a signed delta of one asset.
    BalanceUpdate(BalanceUpdate),
    /// Any change of an order.
    ExecutionReport(Box<ExecutionReport>),
    /// A change of an order list (OCO, OTO, …).
    ListStatus(ListStatus),
    /// The subscription ended (logout, unsubscribe).
    EventStreamTerminated(EventStreamTerminated),
    /// Part of a balance was locked or unlocked by another system.
    ExternalLockUpdate(ExternalLockUpdate),
}

impl UserEvent {
    /// When the server sent the event.
    pub fn event_time(&self) -> Millis {
        match self {
            UserEvent::AccountPosition(it) => it.event_time,
            UserEvent::BalanceUpdate(it) => it.event_time,
            UserEvent::ExecutionReport(it) => it.event_time,
            UserEvent::ListStatus(it) => it.event_time,
            UserEvent::EventStreamTerminated(it) => it.event_time,
            UserEvent::ExternalLockUpdate(it) => it.event_time,
        }
    }
}

/// `outboundAccountPosition`: absolute balances after an account change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPosition {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Time of the account update these balances reflect.
    pub last_update_time: Millis,
    /// The assets the change may have touched, with their new balances.
    pub balances: Vec<Balance>,
}

/// `balanceUpdate`: a deposit, withdrawal or transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceUpdate {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Asset.
    pub asset: String,
    /// Signed change of the free balance.
    pub delta: Decimal,
    /// When the change cleared.
    pub clear_time: Millis,
}

/// `externalLockUpdate`: `delta` moved from free to locked (or back when negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalLockUpdate {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Asset.
    pub asset: String,
    /// Signed change of the locked part.
    pub delta: Decimal,
    /// When the change happened.
    pub transaction_time: Millis,
}

/// `eventStreamTerminated`: the user-data subscription ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventStreamTerminated {
    /// When the server sent the event.
    pub event_time: Millis,
}

/// `executionReport`: every change of an order. Enum-like fields (side,
/// status, …) keep the server's text, so a new value never breaks decoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionReport {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Symbol.
    pub symbol: String,
    /// Client order ID.
    pub client_order_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Order type, e.g. `LIMIT`.
    pub order_type: String,
    /// Time in force, e.g. `GTC`.
    pub time_in_force: String,
    /// Order quantity.
    pub quantity: Decimal,
    /// Order price.
    pub price: Decimal,
    /// Stop price.
    pub stop_price: Decimal,
    /// Iceberg quantity.
    pub iceberg_quantity: Decimal,
    /// Order list ID (`-1` when none).
    pub order_list_id: i64,
    /// Client order ID of the order being canceled (empty otherwise).
    pub orig_client_order_id: String,
    /// Execution type: `NEW`, `CANCELED`, `REPLACED`, `REJECTED`, `TRADE`, `EXPIRED`, `TRADE_PREVENTION`.
    pub execution_type: String,
    /// Order status, e.g. `PARTIALLY_FILLED`.
    pub order_status: String,
    /// Reject reason (`NONE` when not rejected).
    pub reject_reason: String,
    /// Order ID.
    pub order_id: u64,
    /// Quantity of the last fill.
    pub last_executed_quantity: Decimal,
    /// Cumulative filled quantity.
    pub cumulative_filled_quantity: Decimal,
    /// Price of the last fill.
    pub last_executed_price: Decimal,
    /// Commission of the last fill.
    pub commission: Decimal,
    /// Commission asset (none when there was no fill).
    pub commission_asset: Option<String>,
    /// Transaction time.
    pub transaction_time: Millis,
    /// Trade ID (`-1` when none).
    pub trade_id: i64,
    /// Execution ID.
    pub execution_id: u64,
    /// The order is on the book.
    pub is_on_book: bool,
    /// This fill was the maker side.
    pub is_maker: bool,
    /// Order creation time.
    pub creation_time: Millis,
    /// Cumulative quote quantity.
    pub cumulative_quote_quantity: Decimal,
    /// Quote quantity of the last fill.
    pub last_quote_quantity: Decimal,
    /// Quote order quantity.
    pub quote_order_quantity: Decimal,
    /// Working time (only once the order is on the book).
    pub working_time: Option<Millis>,
    /// Self-trade-prevention mode.
    pub self_trade_prevention_mode: Option<String>,
}

/// `listStatus`: a change of an order list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListStatus {
    /// When the server sent the event.
    pub event_time: Millis,
    /// Symbol.
    pub symbol: String,
    /// Order list ID.
    pub order_list_id: i64,
    /// Contingency type, e.g. `OCO`.
    pub contingency_type: String,
    /// List status type, e.g. `EXEC_STARTED`.
    pub list_status_type: String,
    /// List order status, e.g. `EXECUTING`.
    pub list_order_status: String,
    /// List reject reason.
    pub list_reject_reason: String,
    /// List client order ID.
    pub list_client_order_id: String,
    /// Transaction time.
    pub transaction_time: Millis,
    /// The orders of the list.
    pub orders: Vec<ListOrder>,
}

/// One order of an order list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOrder {
    /// Symbol.
    pub symbol: String,
    /// Order ID.
    pub order_id: u64,
    /// Client order ID.
    pub client_order_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_with_a_type_and_decimal_strings() {
        let event = UserEvent::ExecutionReport(Box::new(ExecutionReport {
            event_time: 1,
            symbol: "ETHBTC".to_owned(),
            client_order_id: "abc".to_owned(),
            side: "BUY".to_owned(),
            order_type: "LIMIT".to_owned(),
            time_in_force: "GTC".to_owned(),
            quantity: "1.00000000".parse().unwrap(),
            price: "0.10264410".parse().unwrap(),
            stop_price: Decimal::ZERO,
            iceberg_quantity: Decimal::ZERO,
            order_list_id: -1,
            orig_client_order_id: String::new(),
            execution_type: "NEW".to_owned(),
            order_status: "NEW".to_owned(),
            reject_reason: "NONE".to_owned(),
            order_id: 4293153,
            last_executed_quantity: Decimal::ZERO,
            cumulative_filled_quantity: Decimal::ZERO,
            last_executed_price: Decimal::ZERO,
            commission: Decimal::ZERO,
            commission_asset: None,
            transaction_time: 2,
            trade_id: -1,
            execution_id: 3,
            is_on_book: true,
            is_maker: false,
            creation_time: 2,
            cumulative_quote_quantity: Decimal::ZERO,
            last_quote_quantity: Decimal::ZERO,
            quote_order_quantity: Decimal::ZERO,
            working_time: Some(2),
            self_trade_prevention_mode: Some("NONE".to_owned()),
        }));
        let value = serde_json::to_value(&event).unwrap();
        assert_eq!(value["type"], "executionReport");
        assert_eq!(value["price"], "0.10264410");
        assert_eq!(value["orderListId"], -1);
        let back: UserEvent = serde_json::from_value(value).unwrap();
        assert_eq!(back, event);

        let shutdown = MarketEvent::ServerShutdown(ServerShutdown { event_time: 5 });
        assert_eq!(
            serde_json::to_string(&shutdown).unwrap(),
            r#"{"type":"serverShutdown","eventTime":5}"#
        );
        assert_eq!(shutdown.symbol(), None);
    }
}
