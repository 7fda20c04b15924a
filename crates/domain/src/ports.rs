//! The outside world, as object-safe async traits.
//!
//! This crate does no I/O itself: `mbx-adapters-rest` implements these ports
//! over HTTPS, tests use the `mockall` mocks generated for them (`MockX` in
//! this crate's own tests).

use async_trait::async_trait;

use crate::error::Error;
use crate::model::{
    Account, AccountTrade, ApiRestrictions, Depth, ExchangeInfo, Kline, Millis, NewOrder, Order,
    OrderAck, PriceTicker, Trade,
};

/// Where the server time comes from. `adapters-rest` asks
/// `GET /api/v3/time`; tests use a fixed clock.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait ServerClock: Send + Sync {
    /// The server time, in milliseconds.
    async fn server_time(&self) -> Result<Millis, Error>;
}

/// The local wall clock, in milliseconds since the Unix epoch. A port so
/// that the services never read the real time in tests.
#[cfg_attr(test, mockall::automock)]
pub trait LocalClock: Send + Sync {
    /// The local time now.
    fn now_ms(&self) -> Millis;
}

/// Public market data (security type `NONE`).
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait MarketData: Send + Sync {
    /// `GET /api/v3/ping`.
    async fn ping(&self) -> Result<(), Error>;
    /// `GET /api/v3/exchangeInfo`, for all symbols or the ones given.
    async fn exchange_info(&self, symbols: &[String]) -> Result<ExchangeInfo, Error>;
    /// `GET /api/v3/depth`.
    async fn depth(&self, symbol: &str, limit: Option<u32>) -> Result<Depth, Error>;
    /// `GET /api/v3/trades`.
    async fn trades(&self, symbol: &str, limit: Option<u32>) -> Result<Vec<Trade>, Error>;
    /// `GET /api/v3/klines`.
    async fn klines(
        &self,
        symbol: &str,
        interval: &str,
        limit: Option<u32>,
    ) -> Result<Vec<Kline>, Error>;
    /// `GET /api/v3/ticker/price` for every symbol.
    async fn ticker_prices(&self) -> Result<Vec<PriceTicker>, Error>;
}

/// Private account data (security type `USER_DATA`, signed).
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait AccountData: Send + Sync {
    /// `GET /api/v3/account`.
    async fn account(&self, omit_zero_balances: bool) -> Result<Account, Error>;
    /// `GET /sapi/v1/account/apiRestrictions`: what the API key may do.
    async fn api_restrictions(&self) -> Result<ApiRestrictions, Error>;
    /// `GET /api/v3/openOrders` for one symbol.
    async fn open_orders(&self, symbol: &str) -> Result<Vec<Order>, Error>;
    /// `GET /api/v3/openOrders` for every symbol (weight 80).
    async fn all_open_orders(&self) -> Result<Vec<Order>, Error>;
    /// `GET /api/v3/myTrades`.
    async fn my_trades(&self, symbol: &str, limit: Option<u32>)
    -> Result<Vec<AccountTrade>, Error>;
}

/// Placing, querying and canceling orders (security type `TRADE`, signed).
///
/// Implementations never send an order twice blindly: when the outcome of a
/// placement is unknown (timeout, 5xx, `-1007`), they query the order by its
/// `newClientOrderId`.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait OrderEntry: Send + Sync {
    /// `POST /api/v3/order`.
    async fn place_order(&self, order: &NewOrder) -> Result<OrderAck, Error>;
    /// `GET /api/v3/order` by client order id.
    async fn query_order(&self, symbol: &str, client_order_id: &str) -> Result<Order, Error>;
    /// `DELETE /api/v3/order` by client order id.
    async fn cancel_order(&self, symbol: &str, client_order_id: &str) -> Result<Order, Error>;
}
