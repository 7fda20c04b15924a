//! The sandbox serves every endpoint of the pinned Spot docs: each REST
//! endpoint and WebSocket API method of `mbx_domain::endpoints` is called
//! against the sandbox with valid parameters (signed where its security
//! type says), through the real REST and WebSocket API clients, and must
//! succeed. An endpoint missing from the sandbox answers `-1020` (REST:
//! 404 or 405), and the test names it.
//!
//! Two lists decide what is called and how:
//!
//! - [`REST_CALLS`] and [`WS_CALLS`]: the parameters of each endpoint
//!   (`{low}`, `{high}`, `{stop}`, `{stopLimit}` are BTCUSDT prices that
//!   rest on the book; `{orderId}` and `{orderListId}` are made for the
//!   call) and what must exist before it ([`Setup`]);
//! - `mbx_sandbox::ops::NOT_SERVED`: what the sandbox deliberately does not
//!   serve, with the reason (the removed listenKey endpoints); each must
//!   answer as that table says.
// See: issue "The sandbox serves every Spot endpoint in the docs"

use std::collections::BTreeSet;

use mbx_adapters_rest::{ClientConfig, Request, RestClient};
use mbx_adapters_ws::{ApiConfig, WsApi};
use mbx_domain::Error;
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::endpoints::{self, Security};
use mbx_sandbox::ops::{self, Retired};
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig};
use mbx_signing::{HmacKey, Signer};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// What must exist before a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    None,
    /// An open BUY order on BTCUSDT (`{orderId}`).
    OpenOrder,
    /// An open OCO order list on BTCUSDT (`{orderListId}`).
    OpenOrderList,
    /// A `session.logon` on the WebSocket API connection.
    Logon,
    /// A user data subscription on the connection.
    Subscription,
}

type Params = &'static [(&'static str, &'static str)];

const SYMBOL: Params = &[("symbol", "BTCUSDT")];
const NONE: Params = &[];
const LIMIT_BUY: Params = &[
    ("symbol", "BTCUSDT"),
    ("side", "BUY"),
    ("type", "LIMIT"),
    ("timeInForce", "GTC"),
    ("quantity", "0.001"),
    ("price", "{low}"),
];
const CANCEL_REPLACE: Params = &[
    ("symbol", "BTCUSDT"),
    ("side", "BUY"),
    ("type", "LIMIT"),
    ("timeInForce", "GTC"),
    ("quantity", "0.001"),
    ("price", "{low}"),
    ("cancelReplaceMode", "STOP_ON_FAILURE"),
    ("cancelOrderId", "{orderId}"),
];
const BY_ORDER_ID: Params = &[("symbol", "BTCUSDT"), ("orderId", "{orderId}")];
const AMEND: Params = &[
    ("symbol", "BTCUSDT"),
    ("orderId", "{orderId}"),
    ("newQty", "0.0005"),
];
const LEGACY_OCO: Params = &[
    ("symbol", "BTCUSDT"),
    ("side", "SELL"),
    ("quantity", "0.001"),
    ("price", "{high}"),
    ("stopPrice", "{stop}"),
    ("stopLimitPrice", "{stopLimit}"),
    ("stopLimitTimeInForce", "GTC"),
];
const OCO: Params = &[
    ("symbol", "BTCUSDT"),
    ("side", "SELL"),
    ("quantity", "0.001"),
    ("aboveType", "LIMIT_MAKER"),
    ("abovePrice", "{high}"),
    ("belowType", "STOP_LOSS_LIMIT"),
    ("belowStopPrice", "{stop}"),
    ("belowPrice", "{stopLimit}"),
    ("belowTimeInForce", "GTC"),
];
const OTO: Params = &[
    ("symbol", "BTCUSDT"),
    ("workingType", "LIMIT"),
    ("workingSide", "BUY"),
    ("workingPrice", "{low}"),
    ("workingQuantity", "0.001"),
    ("workingTimeInForce", "GTC"),
    ("pendingType", "LIMIT"),
    ("pendingSide", "SELL"),
    ("pendingPrice", "{high}"),
    ("pendingQuantity", "0.001"),
    ("pendingTimeInForce", "GTC"),
];
const OTOCO: Params = &[
    ("symbol", "BTCUSDT"),
    ("workingType", "LIMIT"),
    ("workingSide", "BUY"),
    ("workingPrice", "{low}"),
    ("workingQuantity", "0.001"),
    ("workingTimeInForce", "GTC"),
    ("pendingSide", "SELL"),
    ("pendingQuantity", "0.001"),
    ("pendingAboveType", "LIMIT_MAKER"),
    ("pendingAbovePrice", "{high}"),
    ("pendingBelowType", "STOP_LOSS_LIMIT"),
    ("pendingBelowStopPrice", "{stop}"),
    ("pendingBelowPrice", "{stopLimit}"),
    ("pendingBelowTimeInForce", "GTC"),
];
const OPO: Params = &[
    ("symbol", "BTCUSDT"),
    ("workingType", "LIMIT"),
    ("workingSide", "BUY"),
    ("workingPrice", "{low}"),
    ("workingQuantity", "0.001"),
    ("workingTimeInForce", "GTC"),
    ("pendingType", "LIMIT"),
    ("pendingSide", "SELL"),
    ("pendingPrice", "{high}"),
    ("pendingTimeInForce", "GTC"),
];
const OPOCO: Params = &[
    ("symbol", "BTCUSDT"),
    ("workingType", "LIMIT"),
    ("workingSide", "BUY"),
    ("workingPrice", "{low}"),
    ("workingQuantity", "0.001"),
    ("workingTimeInForce", "GTC"),
    ("pendingSide", "SELL"),
    ("pendingAboveType", "LIMIT_MAKER"),
    ("pendingAbovePrice", "{high}"),
    ("pendingBelowType", "STOP_LOSS_LIMIT"),
    ("pendingBelowStopPrice", "{stop}"),
    ("pendingBelowPrice", "{stopLimit}"),
    ("pendingBelowTimeInForce", "GTC"),
];
const CANCEL_LIST: Params = &[("symbol", "BTCUSDT"), ("orderListId", "{orderListId}")];
const LIST_ID: Params = &[("orderListId", "{orderListId}")];

/// `(method, path, setup, parameters)` of every REST endpoint.
#[rustfmt::skip]
const REST_CALLS: &[(&str, &str, Setup, Params)] = &[
    ("GET", "/api/v3/ping", Setup::None, NONE),
    ("GET", "/api/v3/time", Setup::None, NONE),
    ("GET", "/api/v3/exchangeInfo", Setup::None, SYMBOL),
    ("GET", "/api/v3/executionRules", Setup::None, SYMBOL),
    ("GET", "/api/v3/depth", Setup::None, &[("symbol", "BTCUSDT"), ("limit", "5")]),
    ("GET", "/api/v3/trades", Setup::None, SYMBOL),
    ("GET", "/api/v3/historicalTrades", Setup::None, &[("symbol", "BTCUSDT"), ("limit", "5")]),
    ("GET", "/api/v3/historicalBlockTrades", Setup::None, &[("symbol", "BTCUSDT"), ("fromId", "1")]),
    ("GET", "/api/v3/aggTrades", Setup::None, SYMBOL),
    ("GET", "/api/v3/klines", Setup::None, &[("symbol", "BTCUSDT"), ("interval", "1m"), ("limit", "5")]),
    ("GET", "/api/v3/uiKlines", Setup::None, &[("symbol", "BTCUSDT"), ("interval", "1m"), ("limit", "5")]),
    ("GET", "/api/v3/avgPrice", Setup::None, SYMBOL),
    ("GET", "/api/v3/ticker/24hr", Setup::None, SYMBOL),
    ("GET", "/api/v3/ticker/tradingDay", Setup::None, SYMBOL),
    ("GET", "/api/v3/ticker/price", Setup::None, SYMBOL),
    ("GET", "/api/v3/ticker/bookTicker", Setup::None, SYMBOL),
    ("GET", "/api/v3/ticker", Setup::None, SYMBOL),
    ("GET", "/api/v3/referencePrice", Setup::None, SYMBOL),
    ("GET", "/api/v3/referencePrice/calculation", Setup::None, SYMBOL),
    ("POST", "/api/v3/order", Setup::None, LIMIT_BUY),
    ("POST", "/api/v3/order/test", Setup::None, LIMIT_BUY),
    ("DELETE", "/api/v3/order", Setup::OpenOrder, BY_ORDER_ID),
    ("DELETE", "/api/v3/openOrders", Setup::OpenOrder, SYMBOL),
    ("POST", "/api/v3/order/cancelReplace", Setup::OpenOrder, CANCEL_REPLACE),
    ("PUT", "/api/v3/order/amend/keepPriority", Setup::OpenOrder, AMEND),
    ("POST", "/api/v3/order/oco", Setup::None, LEGACY_OCO),
    ("POST", "/api/v3/orderList/oco", Setup::None, OCO),
    ("POST", "/api/v3/orderList/oto", Setup::None, OTO),
    ("POST", "/api/v3/orderList/otoco", Setup::None, OTOCO),
    ("POST", "/api/v3/orderList/opo", Setup::None, OPO),
    ("POST", "/api/v3/orderList/opoco", Setup::None, OPOCO),
    ("DELETE", "/api/v3/orderList", Setup::OpenOrderList, CANCEL_LIST),
    ("POST", "/api/v3/sor/order", Setup::None, LIMIT_BUY),
    ("POST", "/api/v3/sor/order/test", Setup::None, LIMIT_BUY),
    ("GET", "/api/v3/account", Setup::None, NONE),
    ("GET", "/api/v3/order", Setup::OpenOrder, BY_ORDER_ID),
    ("GET", "/api/v3/openOrders", Setup::None, SYMBOL),
    ("GET", "/api/v3/allOrders", Setup::None, SYMBOL),
    ("GET", "/api/v3/orderList", Setup::OpenOrderList, LIST_ID),
    ("GET", "/api/v3/allOrderList", Setup::None, NONE),
    ("GET", "/api/v3/openOrderList", Setup::None, NONE),
    ("GET", "/api/v3/myTrades", Setup::None, SYMBOL),
    ("GET", "/api/v3/rateLimit/order", Setup::None, NONE),
    ("GET", "/api/v3/myPreventedMatches", Setup::OpenOrder, BY_ORDER_ID),
    ("GET", "/api/v3/myAllocations", Setup::None, SYMBOL),
    ("GET", "/api/v3/account/commission", Setup::None, SYMBOL),
    ("GET", "/api/v3/order/amendments", Setup::OpenOrder, BY_ORDER_ID),
    ("GET", "/api/v3/myFilters", Setup::None, SYMBOL),
    ("GET", "/sapi/v1/account/status", Setup::None, NONE),
    ("GET", "/sapi/v1/account/apiRestrictions", Setup::None, NONE),
    ("GET", "/sapi/v1/capital/config/getall", Setup::None, NONE),
];

/// `(method, setup, parameters)` of every WebSocket API method.
#[rustfmt::skip]
const WS_CALLS: &[(&str, Setup, Params)] = &[
    ("ping", Setup::None, NONE),
    ("time", Setup::None, NONE),
    ("exchangeInfo", Setup::None, SYMBOL),
    ("executionRules", Setup::None, SYMBOL),
    ("depth", Setup::None, &[("symbol", "BTCUSDT"), ("limit", "5")]),
    ("trades.recent", Setup::None, SYMBOL),
    ("trades.historical", Setup::None, &[("symbol", "BTCUSDT"), ("limit", "5")]),
    ("blockTrades.historical", Setup::None, &[("symbol", "BTCUSDT"), ("fromId", "1")]),
    ("trades.aggregate", Setup::None, SYMBOL),
    ("klines", Setup::None, &[("symbol", "BTCUSDT"), ("interval", "1m"), ("limit", "5")]),
    ("uiKlines", Setup::None, &[("symbol", "BTCUSDT"), ("interval", "1m"), ("limit", "5")]),
    ("avgPrice", Setup::None, SYMBOL),
    ("ticker.24hr", Setup::None, SYMBOL),
    ("ticker.tradingDay", Setup::None, &[("symbols", r#"["BTCUSDT","BNBBTC"]"#), ("timeZone", "00:00")]),
    ("ticker", Setup::None, SYMBOL),
    ("ticker.price", Setup::None, SYMBOL),
    ("ticker.book", Setup::None, SYMBOL),
    ("referencePrice", Setup::None, SYMBOL),
    ("referencePrice.calculation", Setup::None, SYMBOL),
    ("session.logon", Setup::None, NONE),
    ("session.status", Setup::None, NONE),
    ("session.logout", Setup::None, NONE),
    ("order.place", Setup::None, LIMIT_BUY),
    ("order.test", Setup::None, LIMIT_BUY),
    ("order.cancel", Setup::OpenOrder, BY_ORDER_ID),
    ("order.cancelReplace", Setup::OpenOrder, CANCEL_REPLACE),
    ("order.amend.keepPriority", Setup::OpenOrder, AMEND),
    ("openOrders.cancelAll", Setup::OpenOrder, SYMBOL),
    ("orderList.place", Setup::None, LEGACY_OCO),
    ("orderList.place.oco", Setup::None, OCO),
    ("orderList.place.oto", Setup::None, OTO),
    ("orderList.place.otoco", Setup::None, OTOCO),
    ("orderList.place.opo", Setup::None, OPO),
    ("orderList.place.opoco", Setup::None, OPOCO),
    ("orderList.cancel", Setup::OpenOrderList, CANCEL_LIST),
    ("sor.order.place", Setup::None, LIMIT_BUY),
    ("sor.order.test", Setup::None, LIMIT_BUY),
    ("account.status", Setup::None, NONE),
    ("order.status", Setup::OpenOrder, BY_ORDER_ID),
    ("openOrders.status", Setup::None, SYMBOL),
    ("allOrders", Setup::None, SYMBOL),
    ("orderList.status", Setup::OpenOrderList, LIST_ID),
    ("openOrderLists.status", Setup::None, NONE),
    ("allOrderLists", Setup::None, NONE),
    ("myTrades", Setup::None, SYMBOL),
    ("account.rateLimits.orders", Setup::None, NONE),
    ("myPreventedMatches", Setup::OpenOrder, BY_ORDER_ID),
    ("myAllocations", Setup::None, SYMBOL),
    ("account.commission", Setup::None, SYMBOL),
    ("order.amendments", Setup::OpenOrder, BY_ORDER_ID),
    ("myFilters", Setup::None, SYMBOL),
    ("userDataStream.subscribe", Setup::Logon, NONE),
    ("userDataStream.unsubscribe", Setup::Subscription, NONE),
    ("session.subscriptions", Setup::None, NONE),
    ("userDataStream.subscribe.signature", Setup::None, NONE),
];

/// Methods authenticated by the session's logon instead of a signature,
/// although their security type is signed (`USER_STREAM`).
const UNSIGNED_AFTER_LOGON: &[&str] = &["userDataStream.subscribe"];

/// Served by the sandbox but not in the Spot docs' tables: ccxt asks for
/// them while loading markets.
const UNDOCUMENTED_EXTRAS: &[(&str, &str)] = &[
    ("GET", "/sapi/v1/system/status"),
    ("GET", "/sapi/v1/margin/allPairs"),
    ("GET", "/sapi/v1/margin/isolated/allPairs"),
];

fn credentials() -> Credentials {
    Credentials::new(
        ApiKey::new(DEMO_API_KEY).unwrap(),
        Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
    )
}

/// Prices on BTCUSDT's tick grid around the reference price: `{low}` and
/// `{stop}`/`{stopLimit}` below every bid of the book, `{high}` above
/// every ask, all well inside `PERCENT_PRICE_BY_SIDE`.
struct Prices {
    low: String,
    high: String,
    stop: String,
    stop_limit: String,
}

impl Prices {
    async fn read(client: &RestClient) -> Prices {
        let reference: Value = client
            .call(Request::get("/api/v3/referencePrice").param("symbol", "BTCUSDT"))
            .await
            .unwrap();
        let reference: Decimal = reference["referencePrice"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let at = |factor: &str| {
            (reference * factor.parse::<Decimal>().unwrap())
                .round_dp(2)
                .to_string()
        };
        Prices {
            low: at("0.8"),
            high: at("1.2"),
            stop: at("0.9"),
            stop_limit: at("0.89"),
        }
    }
}

/// One call's outcome.
#[derive(Debug)]
enum Outcome {
    Ok,
    /// The endpoint is not there: `-1020`, or REST 404/405.
    NotServed(String),
    /// Served, but the call failed.
    Failed(String),
}

impl Outcome {
    fn text(&self) -> &str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotServed(text) | Outcome::Failed(text) => text,
        }
    }
}

fn outcome_of<T>(res: Result<T, Error>) -> Outcome {
    match res {
        Ok(_) => Outcome::Ok,
        Err(Error::Api(api)) if api.code == Some(-1020) || matches!(api.status, 404 | 405) => {
            Outcome::NotServed(format!("{} {:?} {}", api.status, api.code, api.msg))
        }
        Err(err) => Outcome::Failed(err.to_string()),
    }
}

/// Everything the calls need.
struct Harness {
    rest: RestClient,
    prices: Prices,
}

impl Harness {
    /// Makes what `setup` asks for on REST; `(orderId, orderListId)`.
    async fn prepare(&self, setup: Setup) -> (String, String) {
        let (mut order_id, mut list_id) = ("1".to_owned(), "1".to_owned());
        if setup == Setup::OpenOrder {
            let placed: Value = self
                .rest
                .call(
                    self.request("POST", "/api/v3/order", LIMIT_BUY, "", "")
                        .signed(),
                )
                .await
                .unwrap();
            order_id = placed["orderId"].to_string();
        }
        if setup == Setup::OpenOrderList {
            let placed: Value = self
                .rest
                .call(
                    self.request("POST", "/api/v3/orderList/oco", OCO, "", "")
                        .signed(),
                )
                .await
                .unwrap();
            list_id = placed["orderListId"].to_string();
        }
        (order_id, list_id)
    }

    fn resolve(&self, value: &str, order_id: &str, list_id: &str) -> String {
        value
            .replace("{low}", &self.prices.low)
            .replace("{high}", &self.prices.high)
            .replace("{stopLimit}", &self.prices.stop_limit)
            .replace("{stop}", &self.prices.stop)
            .replace("{orderId}", order_id)
            .replace("{orderListId}", list_id)
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        params: Params,
        order_id: &str,
        list_id: &str,
    ) -> Request {
        let mut request = Request::new(method, path).unwrap();
        for (name, value) in params {
            request = request.param(name, self.resolve(value, order_id, list_id));
        }
        request
    }

    async fn call_rest(&self, method: &str, path: &str, security: Security) -> Outcome {
        let Some((_, _, setup, params)) = REST_CALLS
            .iter()
            .find(|(known, at, _, _)| *known == method && *at == path)
        else {
            return Outcome::Failed("no parameters in REST_CALLS; add a row".to_owned());
        };
        let (order_id, list_id) = self.prepare(*setup).await;
        let mut request = self.request(method, path, params, &order_id, &list_id);
        if security.needs_signature() {
            request = request.signed();
        }
        outcome_of(self.rest.send(request).await)
    }

    async fn call_ws(&self, ws: &WsApi, method: &str, security: Security) -> Outcome {
        let Some((_, setup, params)) = WS_CALLS.iter().find(|(known, _, _)| *known == method)
        else {
            return Outcome::Failed("no parameters in WS_CALLS; add a row".to_owned());
        };
        match setup {
            Setup::Logon => {
                ws.signed_request("session.logon", Map::new())
                    .await
                    .unwrap();
            }
            Setup::Subscription => match ws.subscribe_user_data().await {
                // The logon's subscription to the same account will do.
                Err(err) if err.code() == Some(-2035) => {}
                other => {
                    other.unwrap();
                }
            },
            _ => {}
        }
        let (order_id, list_id) = self.prepare(*setup).await;
        let mut json = Map::new();
        for (name, value) in *params {
            let value = self.resolve(value, &order_id, &list_id);
            let value = if value.starts_with('[') {
                serde_json::from_str(&value).unwrap()
            } else {
                Value::String(value)
            };
            json.insert((*name).to_owned(), value);
        }
        let signed = security.needs_signature() && !UNSIGNED_AFTER_LOGON.contains(&method);
        let res = if signed {
            ws.signed_request(method, json).await
        } else {
            ws.request(method, json).await
        };
        outcome_of(res)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_endpoint_is_served() {
    // The walk places more than the 50 orders per 10 s Binance allows (the
    // order lists count every order); the ORDERS limit is not under test.
    let mut config = SandboxConfig::demo();
    config.limits.orders_per_10s = 1_000;
    let sandbox = Sandbox::start(config).await.unwrap();
    let rest = RestClient::new(
        ClientConfig::new(&sandbox.rest_url()).unwrap(),
        Some(credentials()),
    )
    .unwrap();
    let prices = Prices::read(&rest).await;
    let harness = Harness { rest, prices };
    let mut failures = Vec::new();
    let mut rest_called = 0;
    for endpoint in endpoints::rest_endpoints()
        .iter()
        .chain(endpoints::wallet_endpoints())
    {
        let (method, path) = (endpoint.method.as_str(), endpoint.path);
        let outcome = harness.call_rest(method, path, endpoint.security).await;
        match outcome {
            Outcome::Ok => rest_called += 1,
            outcome => failures.push(format!("{method} {path}: {}", outcome.text())),
        }
    }
    let (ws, mut user_items) =
        WsApi::connect(ApiConfig::new(sandbox.ws_api_url()), Some(credentials()))
            .await
            .unwrap();
    // User data events of the orders above arrive on this connection.
    let drain = tokio::spawn(async move { while user_items.recv().await.is_some() {} });
    let mut ws_called = 0;
    for method in endpoints::ws_methods() {
        let outcome = harness.call_ws(&ws, method.name, method.security).await;
        match outcome {
            Outcome::Ok => ws_called += 1,
            outcome => failures.push(format!("WS {}: {}", method.name, outcome.text())),
        }
    }
    let mut not_served = 0;
    for entry in ops::NOT_SERVED {
        let answered = match entry.endpoint {
            Retired::Rest(method, path) => {
                let request = Request::new(method.as_str(), path).unwrap();
                match harness.rest.send(request).await {
                    Err(Error::Api(api)) if api.status == 410 => None,
                    other => Some(format!("{other:?}")),
                }
            }
            Retired::Ws(method) => match ws.request(method, Map::new()).await {
                Err(err) if err.code() == Some(-1020) => None,
                other => Some(format!("{other:?}")),
            },
        };
        match answered {
            None => not_served += 1,
            Some(other) => failures.push(format!(
                "{:?} ({}) answered {other}",
                entry.endpoint, entry.reason
            )),
        }
    }
    ws.close().await;
    drain.abort();
    sandbox.shutdown().await;
    eprintln!(
        "REST: {rest_called} called; WebSocket API: {ws_called} called; not served by choice: \
         {not_served}"
    );
    assert!(
        failures.is_empty(),
        "{} endpoints fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The walk covered both documented tables (and the wallet endpoints).
    assert_eq!(
        rest_called,
        endpoints::rest_endpoints().len() + endpoints::wallet_endpoints().len()
    );
    assert_eq!(ws_called, endpoints::ws_methods().len());
}

#[test]
fn the_sandbox_serves_nothing_the_docs_do_not_list() {
    // The converse: every row of the sandbox's table is a documented
    // endpoint (or one of the extras ccxt needs), so the README's list and
    // the coverage above talk about the same things.
    let mut unlisted = BTreeSet::new();
    for endpoint in ops::ENDPOINTS {
        let method = endpoint.http_method.as_str();
        let documented = endpoints::rest_endpoint(method, endpoint.path).is_some()
            || UNDOCUMENTED_EXTRAS.contains(&(method, endpoint.path));
        if !documented {
            unlisted.insert(format!("{method} {}", endpoint.path));
        }
        if let Some(name) = endpoint.ws_method
            && endpoints::ws_method(name).is_none()
        {
            unlisted.insert(format!("WS {name}"));
        }
    }
    for name in mbx_sandbox::ws::session_methods() {
        if endpoints::ws_method(name).is_none() {
            unlisted.insert(format!("WS {name}"));
        }
    }
    assert!(unlisted.is_empty(), "{unlisted:?}");
    // And no table lists the same endpoint twice.
    let calls: BTreeSet<_> = REST_CALLS.iter().map(|(m, p, _, _)| (*m, *p)).collect();
    assert_eq!(calls.len(), REST_CALLS.len());
    let methods: BTreeSet<_> = WS_CALLS.iter().map(|(m, _, _)| *m).collect();
    assert_eq!(methods.len(), WS_CALLS.len());
}
