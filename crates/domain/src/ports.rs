//! The outside world, as object-safe async traits.
//!
//! This crate does no I/O itself: `mbx-adapters-rest` implements the REST
//! ports over HTTPS, `mbx-adapters-ws` the stream ports over WebSocket, and
//! tests use the `mockall` mocks generated for them (`MockX`, with the
//! `mocks` feature or in this crate's own tests).

use async_trait::async_trait;

use crate::error::Error;
use crate::feed::{Feed, StreamItem, UserItem};
use crate::model::{
    Account, AccountTrade, Amended, ApiRestrictions, AvgPrice, Decimal, Depth, ExchangeInfo, Kline,
    Millis, MyFilters, NewOrder, NewOrderList, Order, OrderAck, OrderCommissions, OrderList,
    OrderListRef, OrderRef, PriceTicker, ReferencePrice, Trade,
};
use crate::rate_limit::ServerBackoff;

/// Where the server time comes from. `adapters-rest` asks
/// `GET /api/v3/time`; tests use a fixed clock.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ServerClock: Send + Sync {
    /// The server time, in milliseconds.
    async fn server_time(&self) -> Result<Millis, Error>;
}

/// The local wall clock, in milliseconds since the Unix epoch. A port so
/// that the services never read the real time in tests.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait LocalClock: Send + Sync {
    /// The local time now.
    fn now_ms(&self) -> Millis;
}

/// Public market data (security type `NONE`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
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
    /// `GET /api/v3/ticker/price` for one symbol: the last trade price.
    async fn ticker_price(&self, symbol: &str) -> Result<PriceTicker, Error>;
    /// `GET /api/v3/avgPrice`: the average price the filters use.
    async fn avg_price(&self, symbol: &str) -> Result<AvgPrice, Error>;
    /// `GET /api/v3/referencePrice` (CHANGELOG 2026-05-06). A server that
    /// does not serve it answers `-1020` (404); callers skip what needs it.
    async fn reference_price(&self, symbol: &str) -> Result<ReferencePrice, Error>;
}

/// Private account data (security type `USER_DATA`, signed).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
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
    /// `GET /api/v3/allOrders` for one symbol, orders updated from
    /// `start_time` on when given (at most `limit`, default 500).
    async fn all_orders(
        &self,
        symbol: &str,
        start_time: Option<Millis>,
        limit: Option<u32>,
    ) -> Result<Vec<Order>, Error>;
    /// `GET /api/v3/myTrades`.
    async fn my_trades(&self, symbol: &str, limit: Option<u32>)
    -> Result<Vec<AccountTrade>, Error>;
    /// `GET /api/v3/myFilters` (weight 40): the filters that apply to this
    /// account on `symbol`, `MAX_ASSET` included. A server that does not
    /// serve it answers `-1020` (404).
    async fn my_filters(&self, symbol: &str) -> Result<MyFilters, Error>;
    /// `GET /api/v3/openOrderList` (weight 6): the account's open order
    /// lists on every symbol.
    async fn open_order_lists(&self) -> Result<Vec<OrderList>, Error>;
    /// `GET /api/v3/allOrderList` (weight 20): order lists of every status
    /// on every symbol, from `start_time` on when given (at most `limit`,
    /// default 500; the server allows at most 24 hours from `start_time`).
    async fn all_order_lists(
        &self,
        start_time: Option<Millis>,
        limit: Option<u32>,
    ) -> Result<Vec<OrderList>, Error>;
}

/// Placing, testing, querying and canceling orders (security type
/// `TRADE`, signed): over REST (`mbx-adapters-rest`) or the WebSocket API
/// (`mbx-adapters-ws`).
///
/// Implementations send each request once. When the outcome of a placement
/// is unknown (an error whose category is
/// [`crate::Category::UnknownOutcome`]: no answer after the request left, a
/// 5xx, `-1007`), they return that error and decide nothing: resolving it
/// (look the order up by its `newClientOrderId`, never send it again
/// blindly) is the use-case's job (`mbx_client::orders`).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrderEntry: Send + Sync {
    /// `POST /api/v3/order` (`order.place`), sent once.
    async fn place_order(&self, order: &NewOrder) -> Result<OrderAck, Error>;
    /// `POST /api/v3/order/test` (`order.test`) with
    /// `computeCommissionRates=true`: checked by the matching engine, never
    /// placed; the answer is the commission the order would pay.
    async fn test_order(&self, order: &NewOrder) -> Result<OrderCommissions, Error>;
    /// `GET /api/v3/order` (`order.status`). `-2013` when no such order.
    async fn query_order(&self, symbol: &str, order: &OrderRef) -> Result<Order, Error>;
    /// `DELETE /api/v3/order` (`order.cancel`).
    async fn cancel_order(&self, symbol: &str, order: &OrderRef) -> Result<Order, Error>;
    /// `DELETE /api/v3/openOrders` (`openOrders.cancelAll`): every open
    /// order on `symbol`, order lists included (flattened). `-2011` when
    /// there is none.
    async fn cancel_open_orders(&self, symbol: &str) -> Result<Vec<Order>, Error>;
    /// `POST /api/v3/orderList/{oco,oto,otoco,opo,opoco}`
    /// (`orderList.place.*`), sent once; an unknown outcome is returned as
    /// for [`OrderEntry::place_order`].
    async fn place_order_list(&self, list: &NewOrderList) -> Result<OrderList, Error>;
    /// `GET /api/v3/orderList` (`orderList.status`). `-2013` when no such
    /// list.
    async fn query_order_list(&self, list: &OrderListRef) -> Result<OrderList, Error>;
    /// `DELETE /api/v3/orderList` (`orderList.cancel`): every order of the
    /// list.
    async fn cancel_order_list(
        &self,
        symbol: &str,
        list: &OrderListRef,
    ) -> Result<OrderList, Error>;
    /// `PUT /api/v3/order/amend/keepPriority` (`order.amend.keepPriority`):
    /// the order's quantity reduced to `new_qty`, keeping its place in the
    /// queue; the order takes `new_client_order_id`. Sent once.
    async fn amend_order(
        &self,
        symbol: &str,
        order: &OrderRef,
        new_qty: Decimal,
        new_client_order_id: &str,
    ) -> Result<Amended, Error>;
}

/// The account's user-data stream (WebSocket API
/// `userDataStream.subscribe.signature`).
///
/// The feed yields the account's events and notices about the connection;
/// after a reconnect it subscribes again and says so with
/// [`crate::feed::ApiNotice::Resubscribed`]. Events sent while it was away
/// are lost: the use-case reconciles over [`AccountData`] then.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserDataSource: Send + Sync {
    /// Subscribes; the first item comes after the subscription is active.
    async fn subscribe(&self) -> Result<Feed<UserItem>, Error>;
}

/// Market streams (`wss://stream.binance.com:9443`), kept up across
/// reconnects and rotations.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MarketStreamSource: Send + Sync {
    /// Subscribes to `streams` (Binance's names, e.g. `btcusdt@aggTrade`).
    async fn subscribe(&self, streams: &[String]) -> Result<Feed<StreamItem>, Error>;
}

/// What a client knows of its own rate-limit state: the weight used in the
/// current minute (as the server last said) and any wait the server
/// imposed. For reports such as `mbx doctor`; nothing is sent to find out.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait RateLimitStatus: Send + Sync {
    /// The request weight used in the current minute, if known.
    fn used_weight_1m(&self) -> Option<u32>;
    /// The `Retry-After` wait or ban still running, if any.
    fn backoff(&self) -> Option<ServerBackoff>;
}
