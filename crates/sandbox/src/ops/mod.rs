//! The operations layer: one function per endpoint and [`ENDPOINTS`], the
//! one table that says how each is reached and charged. REST
//! ([`crate::api`]) and the WebSocket API ([`crate::ws`]) are two renderers
//! of the same call; neither holds a list of endpoints of its own.
//!
//! An operation takes the exchange, the authenticated [`Caller`] (for
//! `USER_DATA` and `TRADE` endpoints) and the parsed [`Params`], and
//! returns the wire type or an [`ApiError`]. It reads its own parameters
//! (`Params::only` first, so unknown names are `-1104`), never the
//! transport. A call goes:
//!
//! 1. the transport finds the row ([`find_rest`], [`find_ws`]), charges its
//!    [`Weight`] (computed from the parameters as sent, before any check)
//!    and takes an injected fault if one is due;
//! 2. [`Endpoint::call`] authenticates as the row's [`Op`] demands
//!    ([`Exchange::authenticate`], with the transport's [`Proof`]) and runs
//!    the operation;
//! 3. the transport renders the answer (REST: status, headers, JSON body;
//!    WebSocket API: the `{"id","status","result"|"error","rateLimits"}`
//!    envelope) and gives the weight back where the row's [`Refund`] says.
//!
//! Adding an endpoint: write the operation in the module of its area, add
//! one row to [`ENDPOINTS`]. The REST router is built from the table.
//!
//! The client keeps its own weight table (`mbx-adapters-rest`,
//! `documented_weight`) on purpose: it is an independent reading of the
//! same documents, and `tests/it/api.rs` compares the two, so a slip in
//! either one shows up as a failing test rather than as a shared mistake.

pub(crate) mod account;
pub(crate) mod lists;
pub(crate) mod market;
pub(crate) mod reference;
pub(crate) mod sor;
pub(crate) mod trade;
pub(crate) mod wallet;

use std::borrow::Cow;

use mbx_signing::payload::decode_component;
use serde::Serialize;

use self::HttpMethod::{Delete, Get, Post, Put};
use self::Weight::{ByParams, Fixed};
use crate::error::ApiError;
use crate::exchange::Need::{Read, Trade};
use crate::exchange::{Caller, Exchange, Need, Proof};
use crate::params::Params;

/// An HTTP method an endpoint is served on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT` (e.g. `order/amend/keepPriority`).
    Put,
    /// `DELETE`.
    Delete,
}

impl HttpMethod {
    /// The method's name, e.g. `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// An operation's answer: the JSON text of its wire type, or the error.
pub type Reply = Result<String, ApiError>;

/// An operation, with the security it runs under. The two shapes make it
/// impossible to register a signed operation as public or the reverse.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    /// Security `NONE`: no key, no signature.
    Public(fn(&Exchange, &Params) -> Reply),
    /// `USER_DATA` ([`Need::Read`]) or `TRADE` ([`Need::Trade`]): runs for
    /// the caller [`Exchange::authenticate`] found.
    Signed(Need, fn(&Exchange, Caller, &Params) -> Reply),
}

/// The request weight of an endpoint.
#[derive(Debug, Clone, Copy)]
pub enum Weight {
    /// The same for every call.
    Fixed(u32),
    /// Depends on the parameters (e.g. `depth`'s `limit`).
    ByParams(fn(&WeightInput<'_>) -> u32),
}

/// Whether a successful call gets its weight back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refund {
    /// The weight is kept.
    Never,
    /// Successful order placement and cancellation cost no weight
    /// (CHANGELOG 2026-03-27); failures keep it.
    OnSuccess,
    /// An amendment costs no weight only when it makes the order expire
    /// (CHANGELOG 2026-04-02).
    WhenOrderExpires,
}

/// One row of [`ENDPOINTS`].
#[derive(Debug)]
pub struct Endpoint {
    /// The WebSocket API method, e.g. `order.place`; `None` for REST only.
    pub ws_method: Option<&'static str>,
    /// The HTTP method.
    pub http_method: HttpMethod,
    /// The REST path, e.g. `/api/v3/order`.
    pub path: &'static str,
    /// What runs, under which security.
    pub op: Op,
    /// What a call costs.
    pub weight: Weight,
    /// Whether success gives the weight back.
    pub refund: Refund,
    /// Whether the answer shows the caller's order counts (REST:
    /// `X-MBX-ORDER-COUNT-10S`/`-1D` headers; WebSocket API: the `ORDERS`
    /// entries of `rateLimits`), once the caller is authenticated.
    pub shows_order_counts: bool,
    /// Whether the WebSocket API puts the answer in a one-element list
    /// (`sor.order.place`'s documented `result` is a list; REST's answer is
    /// the object).
    pub ws_result_in_list: bool,
}

/// Shorthand for the rows below: `(exchange, params)` operations.
macro_rules! public {
    ($op:path) => {
        Op::Public(|exchange, params| json($op(exchange, params)))
    };
}

/// Shorthand for the rows below: `(exchange, caller, params)` operations.
macro_rules! signed {
    ($need:expr, $op:path) => {
        Op::Signed($need, |exchange, caller, params| {
            json($op(exchange, caller, params))
        })
    };
}

/// A row served on both transports.
const fn both(
    ws_method: &'static str,
    http_method: HttpMethod,
    path: &'static str,
    op: Op,
    weight: Weight,
) -> Endpoint {
    Endpoint {
        ws_method: Some(ws_method),
        http_method,
        path,
        op,
        weight,
        refund: Refund::Never,
        shows_order_counts: false,
        ws_result_in_list: false,
    }
}

/// A row served over REST only.
const fn rest(http_method: HttpMethod, path: &'static str, op: Op, weight: Weight) -> Endpoint {
    Endpoint {
        ws_method: None,
        http_method,
        path,
        op,
        weight,
        refund: Refund::Never,
        shows_order_counts: false,
        ws_result_in_list: false,
    }
}

impl Endpoint {
    /// The same row, its weight given back on success.
    const fn refunded_on_success(self) -> Endpoint {
        self.refunded(Refund::OnSuccess)
    }

    /// The same row with this refund rule.
    const fn refunded(self, refund: Refund) -> Endpoint {
        Endpoint { refund, ..self }
    }

    /// The same row, its answers showing the caller's order counts.
    const fn showing_order_counts(self) -> Endpoint {
        Endpoint {
            shows_order_counts: true,
            ..self
        }
    }

    /// The same row, its WebSocket API answer a one-element list.
    const fn in_a_list_over_ws(self) -> Endpoint {
        Endpoint {
            ws_result_in_list: true,
            ..self
        }
    }
}

/// Every endpoint the sandbox serves over REST and the WebSocket API.
/// Weights are rest-api.md's (DIGEST § 9), the same on both transports.
#[rustfmt::skip]
pub static ENDPOINTS: &[Endpoint] = &[
    // Market data (security NONE).
    both("ping", Get, "/api/v3/ping", public!(market::ping), Fixed(1)),
    both("time", Get, "/api/v3/time", public!(market::time), Fixed(1)),
    both("exchangeInfo", Get, "/api/v3/exchangeInfo", public!(market::exchange_info), Fixed(20)),
    both("executionRules", Get, "/api/v3/executionRules", public!(reference::execution_rules), ByParams(execution_rules_weight)),
    both("depth", Get, "/api/v3/depth", public!(market::depth), ByParams(depth_weight)),
    both("trades.recent", Get, "/api/v3/trades", public!(market::trades), Fixed(25)),
    both("trades.historical", Get, "/api/v3/historicalTrades", public!(market::historical_trades), Fixed(25)),
    both("blockTrades.historical", Get, "/api/v3/historicalBlockTrades", public!(market::historical_block_trades), Fixed(25)),
    both("trades.aggregate", Get, "/api/v3/aggTrades", public!(market::agg_trades), Fixed(4)),
    both("klines", Get, "/api/v3/klines", public!(market::klines), Fixed(2)),
    both("uiKlines", Get, "/api/v3/uiKlines", public!(market::klines), Fixed(2)),
    both("avgPrice", Get, "/api/v3/avgPrice", public!(market::avg_price), Fixed(2)),
    both("ticker.price", Get, "/api/v3/ticker/price", public!(market::ticker_price), ByParams(one_symbol_or_all_weight)),
    both("ticker.book", Get, "/api/v3/ticker/bookTicker", public!(market::book_ticker), ByParams(one_symbol_or_all_weight)),
    both("ticker.24hr", Get, "/api/v3/ticker/24hr", public!(market::ticker_24hr), ByParams(ticker_24hr_weight)),
    both("ticker.tradingDay", Get, "/api/v3/ticker/tradingDay", public!(market::ticker_trading_day), ByParams(rolling_ticker_weight)),
    both("ticker", Get, "/api/v3/ticker", public!(market::ticker_rolling), ByParams(rolling_ticker_weight)),
    both("referencePrice", Get, "/api/v3/referencePrice", public!(reference::reference_price), Fixed(2)),
    both("referencePrice.calculation", Get, "/api/v3/referencePrice/calculation", public!(reference::reference_price_calculation), Fixed(2)),
    // Account (USER_DATA).
    both("account.status", Get, "/api/v3/account", signed!(Read, account::account), Fixed(20)),
    both("account.commission", Get, "/api/v3/account/commission", signed!(Read, account::commission), Fixed(20)),
    both("account.rateLimits.orders", Get, "/api/v3/rateLimit/order", signed!(Read, account::rate_limit_order), Fixed(40)),
    both("myTrades", Get, "/api/v3/myTrades", signed!(Read, account::my_trades), ByParams(my_trades_weight)),
    both("allOrders", Get, "/api/v3/allOrders", signed!(Read, account::all_orders), Fixed(20)),
    both("myAllocations", Get, "/api/v3/myAllocations", signed!(Read, sor::my_allocations), Fixed(20)),
    // Orders (TRADE to change them, USER_DATA to read them).
    both("order.place", Post, "/api/v3/order", signed!(Trade, trade::new_order), Fixed(1))
        .refunded_on_success()
        .showing_order_counts(),
    both("order.test", Post, "/api/v3/order/test", signed!(Trade, trade::test_order), ByParams(test_order_weight)),
    both("order.status", Get, "/api/v3/order", signed!(Read, trade::query_order), Fixed(4)),
    both("order.cancel", Delete, "/api/v3/order", signed!(Trade, trade::cancel_order), Fixed(1))
        .refunded_on_success(),
    both("order.cancelReplace", Post, "/api/v3/order/cancelReplace", signed!(Trade, trade::cancel_replace), Fixed(1))
        .refunded_on_success()
        .showing_order_counts(),
    both("openOrders.status", Get, "/api/v3/openOrders", signed!(Read, trade::open_orders), ByParams(open_orders_weight)),
    both("openOrders.cancelAll", Delete, "/api/v3/openOrders", signed!(Trade, trade::cancel_open_orders), Fixed(1))
        .refunded_on_success(),
    both("order.amend.keepPriority", Put, "/api/v3/order/amend/keepPriority", signed!(Trade, lists::amend_keep_priority), Fixed(4))
        .refunded(Refund::WhenOrderExpires),
    both("order.amendments", Get, "/api/v3/order/amendments", signed!(Read, lists::amendments), Fixed(4)),
    // Order lists.
    both("orderList.place.oco", Post, "/api/v3/orderList/oco", signed!(Trade, lists::place_oco), Fixed(1))
        .refunded_on_success()
        .showing_order_counts(),
    both("orderList.place.oto", Post, "/api/v3/orderList/oto", signed!(Trade, lists::place_oto), Fixed(1))
        .refunded_on_success()
        .showing_order_counts(),
    both("orderList.place.otoco", Post, "/api/v3/orderList/otoco", signed!(Trade, lists::place_otoco), Fixed(1))
        .refunded_on_success()
        .showing_order_counts(),
    both("orderList.place.opo", Post, "/api/v3/orderList/opo", signed!(Trade, lists::place_opo), Fixed(1))
        .refunded_on_success()
        .showing_order_counts(),
    both("orderList.place.opoco", Post, "/api/v3/orderList/opoco", signed!(Trade, lists::place_opoco), Fixed(1))
        .refunded_on_success()
        .showing_order_counts(),
    both("orderList.place", Post, "/api/v3/order/oco", signed!(Trade, lists::place_legacy_oco), Fixed(1))
        .refunded_on_success()
        .showing_order_counts(),
    both("orderList.cancel", Delete, "/api/v3/orderList", signed!(Trade, lists::cancel_list), Fixed(1))
        .refunded_on_success(),
    both("orderList.status", Get, "/api/v3/orderList", signed!(Read, lists::query_list), Fixed(4)),
    both("allOrderLists", Get, "/api/v3/allOrderList", signed!(Read, lists::all_lists), Fixed(20)),
    both("openOrderLists.status", Get, "/api/v3/openOrderList", signed!(Read, lists::open_lists), Fixed(6)),
    // Self-trade prevention and the account's filters.
    both("myPreventedMatches", Get, "/api/v3/myPreventedMatches", signed!(Read, lists::prevented_matches), ByParams(prevented_matches_weight)),
    both("myFilters", Get, "/api/v3/myFilters", signed!(Read, lists::my_filters), Fixed(40)),
    // Smart order routing (TRADE).
    both("sor.order.place", Post, "/api/v3/sor/order", signed!(Trade, sor::sor_order), Fixed(1))
        .refunded_on_success()
        .showing_order_counts()
        .in_a_list_over_ws(),
    both("sor.order.test", Post, "/api/v3/sor/order/test", signed!(Trade, sor::sor_order_test), ByParams(test_order_weight)),
    // Wallet (REST only; ccxt asks for the margin pairs while loading markets).
    rest(Get, "/sapi/v1/account/status", signed!(Read, wallet::account_status), Fixed(1)),
    rest(Get, "/sapi/v1/account/apiRestrictions", signed!(Read, wallet::api_restrictions), Fixed(1)),
    rest(Get, "/sapi/v1/capital/config/getall", signed!(Read, wallet::capital_config), Fixed(10)),
    rest(Get, "/sapi/v1/system/status", public!(wallet::system_status), Fixed(1)),
    rest(Get, "/sapi/v1/margin/allPairs", signed!(Read, wallet::margin_pairs), Fixed(1)),
    rest(Get, "/sapi/v1/margin/isolated/allPairs", signed!(Read, wallet::margin_pairs), Fixed(1)),
];

/// A documented endpoint the sandbox deliberately does not serve, and why.
/// REST ones answer HTTP 410 with a small HTML page (whatever the method,
/// as Binance does for the removed listenKey endpoints); WebSocket API ones
/// answer `-1020` like any method the server does not know.
#[derive(Debug)]
pub struct NotServed {
    /// Where it was served.
    pub endpoint: Retired,
    /// Why the sandbox does not serve it, with the source.
    pub reason: &'static str,
}

/// A retired endpoint or method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retired {
    /// A REST endpoint.
    Rest(HttpMethod, &'static str),
    /// A WebSocket API method.
    Ws(&'static str),
}

const LISTEN_KEY_REMOVED: &str =
    "listenKey user data streams were removed on 2026-02-20 (CHANGELOG 2026-01-21)";

/// Every documented endpoint the sandbox does not serve.
#[rustfmt::skip]
pub static NOT_SERVED: &[NotServed] = &[
    NotServed { endpoint: Retired::Rest(Post, "/api/v3/userDataStream"), reason: LISTEN_KEY_REMOVED },
    NotServed { endpoint: Retired::Rest(HttpMethod::Put, "/api/v3/userDataStream"), reason: LISTEN_KEY_REMOVED },
    NotServed { endpoint: Retired::Rest(Delete, "/api/v3/userDataStream"), reason: LISTEN_KEY_REMOVED },
    NotServed { endpoint: Retired::Ws("userDataStream.start"), reason: LISTEN_KEY_REMOVED },
    NotServed { endpoint: Retired::Ws("userDataStream.ping"), reason: LISTEN_KEY_REMOVED },
    NotServed { endpoint: Retired::Ws("userDataStream.stop"), reason: LISTEN_KEY_REMOVED },
];

/// The row serving `method` on `path`.
pub fn find_rest(method: &str, path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS
        .iter()
        .find(|endpoint| endpoint.path == path && endpoint.http_method.as_str() == method)
}

/// The row behind a WebSocket API method (without its `v3/` prefix).
pub fn find_ws(method: &str) -> Option<&'static Endpoint> {
    ENDPOINTS
        .iter()
        .find(|endpoint| endpoint.ws_method == Some(method))
}

/// A call as a transport received it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The parameters (`signature`, `timestamp`, `recvWindow` included).
    pub params: &'a Params,
    /// The API key, if one came with the request.
    pub api_key: Option<&'a str>,
    /// How the sender proves it holds the key.
    pub proof: Proof<'a>,
}

/// What [`Endpoint::call`] produced.
#[derive(Debug)]
pub struct Answer {
    /// Who called, once authenticated.
    pub caller: Option<Caller>,
    /// The operation's answer, or why it did not run or failed.
    pub reply: Reply,
    /// Whether the call gets its weight back (the row's [`Refund`] rule
    /// applied to this answer).
    pub refund: bool,
}

impl Endpoint {
    /// Authenticates as the operation demands, then runs it.
    pub fn call(&self, exchange: &Exchange, request: &Request<'_>) -> Answer {
        let (caller, reply) = match self.op {
            Op::Public(run) => (None, run(exchange, request.params)),
            Op::Signed(need, run) => {
                let authenticated =
                    exchange.authenticate(request.api_key, request.params, request.proof, need);
                match authenticated {
                    Ok(caller) => (Some(caller), run(exchange, caller, request.params)),
                    Err(err) => (None, Err(err)),
                }
            }
        };
        let refund = self.refunds(&reply);
        Answer {
            caller,
            reply,
            refund,
        }
    }

    /// Whether this answer gets the weight back.
    fn refunds(&self, reply: &Reply) -> bool {
        match (self.refund, reply) {
            (_, Err(_)) | (Refund::Never, _) => false,
            (Refund::OnSuccess, Ok(_)) => true,
            (Refund::WhenOrderExpires, Ok(body)) => serde_json::from_str::<serde_json::Value>(body)
                .is_ok_and(|answer| answer["amendedOrder"]["status"] == "EXPIRED"),
        }
    }

    /// The weight of a call with these parameters.
    pub fn weight(&self, input: &WeightInput<'_>) -> u32 {
        match self.weight {
            Weight::Fixed(weight) => weight,
            Weight::ByParams(weight) => weight(input),
        }
    }

    /// The weight of a REST call with this query string as received. Only
    /// a [`Weight::ByParams`] row reads it: most rows have a fixed weight,
    /// and decoding every parameter of every order just to ignore them
    /// showed in the sandbox's profile.
    pub fn rest_weight(&self, query: &str) -> u32 {
        match self.weight {
            Weight::Fixed(weight) => weight,
            Weight::ByParams(weight) => weight(&WeightInput::from_query(query)),
        }
    }
}

/// The parameters a weight rule may read, as sent: the weight is charged
/// before the request is checked, so a request rejected for its parameters
/// still pays.
#[derive(Debug, Default)]
pub struct WeightInput<'a> {
    pairs: Vec<(&'a str, Cow<'a, str>)>,
}

impl<'a> WeightInput<'a> {
    /// A REST query string as received: names as sent, values decoded
    /// where they are valid UTF-8.
    pub fn from_query(query: &'a str) -> WeightInput<'a> {
        let pairs = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let value = decode_component(value).unwrap_or(Cow::Borrowed(value));
                (name, value)
            })
            .collect();
        WeightInput { pairs }
    }

    /// Decoded `(name, value)` pairs, as the WebSocket API receives them.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> WeightInput<'a> {
        WeightInput {
            pairs: pairs
                .into_iter()
                .map(|(name, value)| (name, Cow::Borrowed(value)))
                .collect(),
        }
    }

    /// Whether `name` was sent.
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(known, _)| *known == name)
    }

    /// The first value of `name`.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, value)| value.as_ref())
    }

    /// How many symbols the `symbols` list names (0 when not sent).
    fn symbols_count(&self) -> usize {
        self.value("symbols")
            .map_or(0, |text| text.matches(',').count() + 1)
    }
}

fn execution_rules_weight(input: &WeightInput<'_>) -> u32 {
    if input.has("symbol") {
        2
    } else if input.has("symbols") {
        (input.symbols_count() as u32 * 2).min(40)
    } else {
        40
    }
}

fn depth_weight(input: &WeightInput<'_>) -> u32 {
    let limit: u32 = input
        .value("limit")
        .and_then(|limit| limit.parse().ok())
        .unwrap_or(100);
    match limit {
        0..=100 => 5,
        101..=500 => 25,
        501..=1000 => 50,
        _ => 250,
    }
}

fn one_symbol_or_all_weight(input: &WeightInput<'_>) -> u32 {
    if input.has("symbol") { 2 } else { 4 }
}

fn ticker_24hr_weight(input: &WeightInput<'_>) -> u32 {
    if input.has("symbol") {
        2
    } else if input.has("symbols") {
        match input.symbols_count() {
            0..=20 => 2,
            21..=100 => 40,
            _ => 80,
        }
    } else {
        80
    }
}

fn rolling_ticker_weight(input: &WeightInput<'_>) -> u32 {
    if input.has("symbols") {
        (input.symbols_count() as u32 * 4).min(200)
    } else {
        4
    }
}

fn test_order_weight(input: &WeightInput<'_>) -> u32 {
    if input.value("computeCommissionRates") == Some("true") {
        20
    } else {
        1
    }
}

fn prevented_matches_weight(input: &WeightInput<'_>) -> u32 {
    if input.has("orderId") { 20 } else { 2 }
}

fn open_orders_weight(input: &WeightInput<'_>) -> u32 {
    if input.has("symbol") { 6 } else { 80 }
}

fn my_trades_weight(input: &WeightInput<'_>) -> u32 {
    if input.has("orderId") { 5 } else { 20 }
}

/// Serialises an operation's wire type; a type that does not serialise is
/// an internal error (logged by the transport), never a panic.
fn json<T: Serialize>(result: Result<T, ApiError>) -> Reply {
    let value = result?;
    serde_json::to_string(&value).map_err(|err| {
        tracing::error!(%err, "an answer did not serialise");
        ApiError::internal()
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[track_caller]
    fn check_weight(method: &str, path: &str, query: &str, expected: u32) {
        let endpoint = find_rest(method, path).unwrap();
        assert_eq!(endpoint.weight(&WeightInput::from_query(query)), expected);
    }

    #[test]
    fn depth_weight_follows_the_limit() {
        check_weight("GET", "/api/v3/depth", "symbol=BTCUSDT&limit=5000", 250);
        check_weight("GET", "/api/v3/depth", "symbol=BTCUSDT&limit=500", 25);
        check_weight("GET", "/api/v3/depth", "symbol=BTCUSDT", 5);
    }

    #[test]
    fn ticker_weight_follows_the_symbols() {
        check_weight("GET", "/api/v3/ticker/24hr", "", 80);
        check_weight("GET", "/api/v3/ticker/24hr", "symbol=BNBBTC", 2);
        check_weight(
            "GET",
            "/api/v3/ticker/24hr",
            "symbols=%5B%22A%22%2C%22B%22%5D",
            2,
        );
        check_weight(
            "GET",
            "/api/v3/ticker",
            "symbols=%5B%22A%22%2C%22B%22%2C%22C%22%5D",
            12,
        );
    }

    #[test]
    fn trading_day_and_execution_rules_weigh_by_their_symbols() {
        check_weight("GET", "/api/v3/ticker/tradingDay", "symbol=BTCUSDT", 4);
        check_weight(
            "GET",
            "/api/v3/ticker/tradingDay",
            "symbols=%5B%22A%22%2C%22B%22%5D",
            8,
        );
        check_weight("GET", "/api/v3/executionRules", "symbol=BTCUSDT", 2);
        check_weight(
            "GET",
            "/api/v3/executionRules",
            "symbols=%5B%22A%22%2C%22B%22%2C%22C%22%5D",
            6,
        );
        check_weight("GET", "/api/v3/executionRules", "symbolStatus=TRADING", 40);
        check_weight("GET", "/api/v3/executionRules", "", 40);
        check_weight(
            "POST",
            "/api/v3/sor/order/test",
            "computeCommissionRates=true",
            20,
        );
    }

    #[test]
    fn signed_reads_weigh_by_their_filters() {
        check_weight("GET", "/api/v3/account", "timestamp=1", 20);
        check_weight("GET", "/api/v3/openOrders", "timestamp=1", 80);
        check_weight("GET", "/api/v3/openOrders", "symbol=BTCUSDT", 6);
        check_weight("GET", "/api/v3/myTrades", "symbol=BTCUSDT&orderId=1", 5);
        check_weight(
            "POST",
            "/api/v3/order/test",
            "computeCommissionRates=true",
            20,
        );
        check_weight("POST", "/api/v3/order/test", "", 1);
    }

    #[test]
    fn trading_endpoints_weigh_as_documented() {
        // rest-api.md: order lists 1 each, their queries 4/20/6, amend 4,
        // amendments 4, myFilters 40, myPreventedMatches 2 or 20.
        check_weight("POST", "/api/v3/orderList/oco", "", 1);
        check_weight("POST", "/api/v3/orderList/oto", "", 1);
        check_weight("POST", "/api/v3/orderList/otoco", "", 1);
        check_weight("POST", "/api/v3/order/oco", "", 1);
        check_weight("DELETE", "/api/v3/orderList", "", 1);
        check_weight("GET", "/api/v3/orderList", "", 4);
        check_weight("GET", "/api/v3/allOrderList", "", 20);
        check_weight("GET", "/api/v3/openOrderList", "", 6);
        check_weight("PUT", "/api/v3/order/amend/keepPriority", "", 4);
        check_weight("GET", "/api/v3/order/amendments", "", 4);
        check_weight("GET", "/api/v3/myFilters", "symbol=BTCUSDT", 40);
        check_weight(
            "GET",
            "/api/v3/myPreventedMatches",
            "symbol=BTCUSDT&preventedMatchId=1",
            2,
        );
        check_weight(
            "GET",
            "/api/v3/myPreventedMatches",
            "symbol=BTCUSDT&orderId=1",
            20,
        );
    }

    #[test]
    fn both_transports_read_the_same_weight() {
        let from_pairs = WeightInput::from_pairs([("symbols", r#"["A","B","C"]"#)]);
        let from_query = WeightInput::from_query("symbols=%5B%22A%22%2C%22B%22%2C%22C%22%5D");
        let ticker = find_ws("ticker").unwrap();
        assert_eq!(ticker.weight(&from_pairs), ticker.weight(&from_query));
        assert_eq!(ticker.weight(&from_pairs), 12);
    }

    #[test]
    fn every_route_and_method_is_listed_once() {
        let mut routes = HashSet::new();
        let mut methods = HashSet::new();
        for endpoint in ENDPOINTS {
            assert!(
                routes.insert((endpoint.http_method, endpoint.path)),
                "{} {} twice",
                endpoint.http_method.as_str(),
                endpoint.path
            );
            if let Some(method) = endpoint.ws_method {
                assert!(methods.insert(method), "{method} twice");
            }
        }
    }

    #[test]
    fn only_successful_order_entry_is_refunded() {
        let refunded: Vec<&str> = ENDPOINTS
            .iter()
            .filter(|endpoint| endpoint.refund == Refund::OnSuccess)
            .filter_map(|endpoint| endpoint.ws_method)
            .collect();
        assert_eq!(
            refunded,
            [
                "order.place",
                "order.cancel",
                "order.cancelReplace",
                "openOrders.cancelAll",
                "orderList.place.oco",
                "orderList.place.oto",
                "orderList.place.otoco",
                "orderList.place.opo",
                "orderList.place.opoco",
                "orderList.place",
                "orderList.cancel",
                "sor.order.place",
            ]
        );
        let amend = find_ws("order.amend.keepPriority").unwrap();
        assert_eq!(amend.refund, Refund::WhenOrderExpires);
        let expired = r#"{"amendedOrder":{"status":"EXPIRED"}}"#.to_owned();
        let open = r#"{"amendedOrder":{"status":"NEW"}}"#.to_owned();
        assert!(amend.refunds(&Ok(expired)));
        assert!(!amend.refunds(&Ok(open)));
    }
}
