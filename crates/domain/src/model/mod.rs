//! What the Binance Spot API talks about, with exact decimals.
//!
//! Field names follow Binance's JSON (camelCase on the wire, snake_case
//! here). Prices, quantities and balances are [`Decimal`]s parsed from the
//! server's strings; a `Decimal` keeps its scale, so `"0.00000000"` prints
//! back unchanged. Enums that Binance may extend carry an `Other` variant
//! instead of failing to parse.

mod account;
mod exchange;
mod market;
mod order;
mod order_list;
mod text;

pub use account::{Account, ApiRestrictions, Balance, CommissionRates};
pub use exchange::{
    AssetFilter, ExchangeFilter, ExchangeInfo, MyFilters, RateLimit, RateLimitInterval,
    RateLimitType, SymbolFilter, SymbolInfo, SymbolStatus,
};
pub use market::{
    AggTrade, AvgPrice, BookTicker, Depth, Kline, Level, PriceTicker, ReferencePrice, ServerTime,
    Ticker24h, Trade,
};
pub use order::{
    AccountTrade, Canceled, CommissionDiscount, Fill, MakerTaker, NewOrder, Order, OrderAck,
    OrderCommissions, OrderRef, OrderStatus, OrderType, ResponseType, Side, StpMode, TimeInForce,
};
pub use order_list::{
    Amended, AmendedOrder, LegRole, ListKind, ListOrder, NewOrderList, OrderList, OrderListRef,
};

pub use rust_decimal::Decimal;

/// Milliseconds since the Unix epoch (Binance's default time unit).
pub type Millis = i64;
