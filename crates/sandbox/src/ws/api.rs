//! The WebSocket API at `/ws-api/v3` (web-socket-api.md): requests
//! `{"id","method","params"}`, responses `{"id","status","result"|"error",
//! "rateLimits"}`, session authentication and User Data Stream
//! subscriptions with events `{"subscriptionId":N,"event":{..}}`.
//!
//! Methods that mirror REST run the REST handler itself (same parameter
//! checks, engine calls, error codes and JSON), with the WebSocket
//! signature rule: the payload is every parameter but `signature`, sorted by
//! name, not percent-encoded ([`ws_api_payload`]). It is handed to
//! [`Exchange::authenticate`] as the "body" with the signature pair
//! appended, so timestamps, `recvWindow`, signatures and permissions are
//! checked by the same code as REST. After `session.logon`, requests without
//! `signature` run on the logged-on key: [`SESSION_API_KEY`] tells
//! `authenticate` that key's signature was already checked.
//!
//! Choices where the docs are silent: `session.logon` and
//! `userDataStream.subscribe` accept every key type (the docs say Ed25519
//! only; CHANGELOG 2025-04-29 announces HMAC and RSA); a request that is not
//! JSON, or has no `method`, is status 400 with `-1102`; an unknown method is
//! status 400 with `-1020`; `userDataStream.subscribe` without a logon is
//! status 401 with `-2015`. Injected faults ([`crate::Fault`]) and the rate
//! limiter apply to WebSocket API requests as to REST, and each request is
//! written to the request log as method `WS`, path `/ws-api/v3/<method>`.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use mbx_signing::payload::{encode_component, ws_api_payload};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;

use super::Control;
use super::conn::{Keepalive, keepalive_tick, send_shutdown};
use crate::api::{Req, account, market, trade};
use crate::engine::Order;
use crate::error::{ApiError, ErrorCode};
use crate::events::AccountEvent;
use crate::exchange::{Exchange, Need, RequestLogEntry};
use crate::params::Params;
use crate::wire::dec;

tokio::task_local! {
    /// The API key of the logged-on session a request runs for (its
    /// signature was verified by `session.logon`).
    pub(crate) static SESSION_API_KEY: String;
}

/// Active subscriptions one session may hold.
const MAX_ACTIVE_SUBSCRIPTIONS: usize = 1000;
/// Subscription IDs one session may use over its life.
const MAX_SUBSCRIPTION_IDS: u32 = 65_535;

static EXECUTION_ID: AtomicU64 = AtomicU64::new(1);

/// `GET /ws-api/v3`.
pub(crate) async fn connect(
    State(exchange): State<Exchange>,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    let return_rate_limits = !query
        .unwrap_or_default()
        .split('&')
        .any(|pair| pair == "returnRateLimits=false");
    let _ = exchange.limiter().admit(exchange.now_ms(), 2);
    ws.on_upgrade(move |socket| serve(socket, exchange, return_rate_limits))
}

#[derive(Debug)]
struct Subscription {
    id: u32,
    uid: u64,
    by_logon: bool,
}

#[derive(Debug)]
struct Session {
    connected_since: i64,
    logon: Option<Logon>,
    return_rate_limits: bool,
    subscriptions: Vec<Subscription>,
    next_subscription_id: u32,
}

#[derive(Debug, Clone)]
struct Logon {
    api_key: String,
    uid: u64,
    since: i64,
}

async fn serve(mut socket: WebSocket, exchange: Exchange, return_rate_limits: bool) {
    let live = exchange.live();
    let _open = live.opened();
    let mut controls = live.controls();
    let mut account_events = exchange.account_events();
    let mut keepalive = Keepalive::new(live.timing());
    let mut session = Session {
        connected_since: exchange.now_ms(),
        logon: None,
        return_rate_limits,
        subscriptions: Vec::new(),
        next_subscription_id: 0,
    };
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(message)) = incoming else { return };
                match message {
                    Message::Text(text) => {
                        let replies = handle(&exchange, &mut session, text.as_str()).await;
                        let latency = live.latency();
                        if !latency.is_zero() {
                            tokio::time::sleep(latency).await;
                        }
                        for reply in replies {
                            if socket.send(Message::Text(reply.into())).await.is_err() {
                                return;
                            }
                        }
                    }
                    Message::Pong(payload) => keepalive.on_pong(&payload),
                    Message::Close(_) => return,
                    Message::Ping(_) | Message::Binary(_) => {}
                }
            }
            event = account_events.recv() => match event {
                Ok(event) => {
                    for text in user_events(&session, &event) {
                        if socket.send(Message::Text(text.into())).await.is_err() {
                            return;
                        }
                    }
                }
                // Events were lost: close rather than go on with a gap, so
                // the client reconnects and reconciles its account.
                Err(broadcast::error::RecvError::Lagged(_)) if !session.subscriptions.is_empty() => {
                    let _ = socket.send(Message::Close(Some(CloseFrame {
                        code: 1011,
                        reason: Utf8Bytes::from_static("user data events lost; reconnect"),
                    }))).await;
                    return;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            control = controls.recv() => match control {
                Ok(Control::Drop) | Err(broadcast::error::RecvError::Closed) => return,
                Ok(Control::Shutdown) => {
                    let event = format!(
                        "{{\"event\":{{\"e\":\"serverShutdown\",\"E\":{}}}}}",
                        exchange.now_ms()
                    );
                    send_shutdown(&mut socket, event).await;
                    return;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
            },
            _ = tokio::time::sleep_until(keepalive.next_wakeup()) => {
                if !keepalive_tick(&mut socket, &mut keepalive).await {
                    return;
                }
            }
        }
    }
}

/// What a request produced: the response, maybe preceded by events.
struct Outcome {
    status: u16,
    body: Result<String, ApiError>,
    events: Vec<String>,
}

impl Outcome {
    fn ok(body: String) -> Outcome {
        Outcome {
            status: 200,
            body: Ok(body),
            events: Vec::new(),
        }
    }

    fn err(err: ApiError) -> Outcome {
        Outcome {
            status: err.status.as_u16(),
            body: Err(err),
            events: Vec::new(),
        }
    }
}

/// Answers one request frame: events first (e.g. `eventStreamTerminated`),
/// then the response.
async fn handle(exchange: &Exchange, session: &mut Session, text: &str) -> Vec<String> {
    let malformed = || {
        ApiError::bad_request(
            -1102,
            "A mandatory parameter was not sent, was empty/null, or malformed.",
        )
    };
    let Ok(Value::Object(request)) = serde_json::from_str::<Value>(text) else {
        return vec![envelope(
            exchange,
            &Value::Null,
            Outcome::err(malformed()),
            true,
            None,
        )];
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        let err = ApiError::bad_request(
            -1102,
            "Mandatory parameter 'method' was not sent, was empty/null, or malformed.",
        );
        return vec![envelope(exchange, &id, Outcome::err(err), true, None)];
    };
    let method = method.strip_prefix("v3/").unwrap_or(method);
    let params: Vec<(String, String)> = match request.get("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, value)| (name.clone(), param_text(value)))
            .collect(),
        Some(_) => {
            return vec![envelope(
                exchange,
                &id,
                Outcome::err(malformed()),
                true,
                None,
            )];
        }
    };
    let mut show_limits = session.return_rate_limits;
    if let Some((_, value)) = params.iter().find(|(name, _)| name == "returnRateLimits") {
        show_limits = value != "false";
    }
    let Some(route) = route(method) else {
        let err = ApiError::bad_request(-1020, "This operation is not supported.");
        log(exchange, method, &err);
        return vec![envelope(
            exchange,
            &id,
            Outcome::err(err),
            show_limits,
            None,
        )];
    };
    let now = exchange.now_ms();
    if let Some(fault) = exchange.take_fault() {
        let err = crate::api::fault_error(exchange, fault).await;
        log(exchange, method, &err);
        return vec![envelope(
            exchange,
            &id,
            Outcome::err(err),
            show_limits,
            None,
        )];
    }
    let weight = match &route {
        Route::Rest(http_method, path, _) => {
            let query: Vec<String> = params
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            crate::api::weight(http_method, path, &query.join("&"))
        }
        Route::Local(_) => 2,
    };
    let admitted = exchange.limiter().admit(now, weight);
    if let Err(err) = admitted {
        log(exchange, method, &err);
        return vec![envelope(
            exchange,
            &id,
            Outcome::err(err),
            show_limits,
            None,
        )];
    }
    let mut uid_for_orders = None;
    let outcome = match route {
        Route::Rest(_, _, call) => {
            let req = build_req(&params, session.logon.as_ref());
            let session_key = (!req.params.has("signature"))
                .then(|| session.logon.as_ref().map(|logon| logon.api_key.clone()))
                .flatten();
            let response = match &session_key {
                Some(key) => {
                    SESSION_API_KEY
                        .scope(key.clone(), run(call, exchange, req))
                        .await
                }
                None => run(call, exchange, req).await,
            };
            let outcome = to_outcome(response).await;
            if outcome.body.is_ok() && refunds(method) {
                exchange.limiter().refund(weight);
            }
            if counts_orders(method) {
                let req = build_req(&params, session.logon.as_ref());
                let auth = || req.auth(exchange, Need::Read).ok().map(|caller| caller.uid);
                uid_for_orders = match &session_key {
                    Some(key) => SESSION_API_KEY.sync_scope(key.clone(), auth),
                    None => auth(),
                };
            }
            outcome
        }
        Route::Local(local) => local_method(exchange, session, local, &params),
    };
    match &outcome.body {
        Ok(_) => exchange.log_request(RequestLogEntry {
            method: "WS".to_owned(),
            path: format!("/ws-api/v3/{method}"),
            status: outcome.status,
            code: None,
        }),
        Err(err) => log(exchange, method, err),
    }
    let mut replies = outcome.events.clone();
    replies.push(envelope(
        exchange,
        &id,
        outcome,
        show_limits,
        uid_for_orders,
    ));
    replies
}

fn log(exchange: &Exchange, method: &str, err: &ApiError) {
    exchange.log_request(RequestLogEntry {
        method: "WS".to_owned(),
        path: format!("/ws-api/v3/{}", logged_method(method)),
        status: err.status.as_u16(),
        code: Some(err.code),
    });
}

/// A client's method name as the request log keeps it: at most 64
/// characters, so a hostile frame cannot fill the log with megabytes.
fn logged_method(method: &str) -> &str {
    method
        .char_indices()
        .nth(64)
        .map_or(method, |(end, _)| &method[..end])
}

/// A parameter value as text: strings as they are, other JSON as written.
fn param_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The REST request equivalent to a WebSocket API request.
fn build_req(params: &[(String, String)], logon: Option<&Logon>) -> Req {
    let signature = params
        .iter()
        .find(|(name, _)| name == "signature")
        .map(|(_, value)| value.as_str());
    let api_key_param = params
        .iter()
        .find(|(name, _)| name == "apiKey")
        .map(|(_, value)| value.clone());
    let business: Vec<(&str, &str)> = params
        .iter()
        .filter(|(name, _)| name != "apiKey" && name != "returnRateLimits")
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let (api_key, raw_body) = match signature {
        Some(signature) => {
            let payload = ws_api_payload(params.iter().map(|(n, v)| (n.as_str(), v.as_str())));
            (
                api_key_param,
                format!("{payload}&signature={}", encode_component(signature)),
            )
        }
        None => (
            api_key_param.or_else(|| logon.map(|logon| logon.api_key.clone())),
            String::new(),
        ),
    };
    Req {
        params: Params::from_pairs(&business),
        api_key,
        raw_query: String::new(),
        raw_body,
    }
}

#[derive(Debug, Clone, Copy)]
enum Call {
    Ping,
    Time,
    ExchangeInfo,
    Depth,
    Trades,
    HistoricalTrades,
    AggTrades,
    Klines,
    AvgPrice,
    Ticker24h,
    TickerPrice,
    TickerBook,
    Ticker,
    Account,
    Commission,
    RateLimitOrder,
    MyTrades,
    AllOrders,
    OrderPlace,
    OrderTest,
    OrderStatus,
    OrderCancel,
    OrderCancelReplace,
    OpenOrders,
    OpenOrdersCancelAll,
}

#[derive(Debug, Clone, Copy)]
enum LocalMethod {
    Logon,
    Status,
    Logout,
    Subscribe,
    SubscribeSignature,
    Unsubscribe,
    Subscriptions,
}

enum Route {
    Rest(Method, &'static str, Call),
    Local(LocalMethod),
}

fn route(method: &str) -> Option<Route> {
    let get = |path, call| Some(Route::Rest(Method::GET, path, call));
    let post = |path, call| Some(Route::Rest(Method::POST, path, call));
    let delete = |path, call| Some(Route::Rest(Method::DELETE, path, call));
    let local = |method| Some(Route::Local(method));
    match method {
        "ping" => get("/api/v3/ping", Call::Ping),
        "time" => get("/api/v3/time", Call::Time),
        "exchangeInfo" => get("/api/v3/exchangeInfo", Call::ExchangeInfo),
        "depth" => get("/api/v3/depth", Call::Depth),
        "trades.recent" => get("/api/v3/trades", Call::Trades),
        "trades.historical" => get("/api/v3/historicalTrades", Call::HistoricalTrades),
        "trades.aggregate" => get("/api/v3/aggTrades", Call::AggTrades),
        "klines" => get("/api/v3/klines", Call::Klines),
        "uiKlines" => get("/api/v3/uiKlines", Call::Klines),
        "avgPrice" => get("/api/v3/avgPrice", Call::AvgPrice),
        "ticker.24hr" => get("/api/v3/ticker/24hr", Call::Ticker24h),
        "ticker.price" => get("/api/v3/ticker/price", Call::TickerPrice),
        "ticker.book" => get("/api/v3/ticker/bookTicker", Call::TickerBook),
        "ticker" => get("/api/v3/ticker", Call::Ticker),
        "account.status" => get("/api/v3/account", Call::Account),
        "account.commission" => get("/api/v3/account/commission", Call::Commission),
        "account.rateLimits.orders" => get("/api/v3/rateLimit/order", Call::RateLimitOrder),
        "myTrades" => get("/api/v3/myTrades", Call::MyTrades),
        "allOrders" => get("/api/v3/allOrders", Call::AllOrders),
        "order.place" => post("/api/v3/order", Call::OrderPlace),
        "order.test" => post("/api/v3/order/test", Call::OrderTest),
        "order.status" => get("/api/v3/order", Call::OrderStatus),
        "order.cancel" => delete("/api/v3/order", Call::OrderCancel),
        "order.cancelReplace" => post("/api/v3/order/cancelReplace", Call::OrderCancelReplace),
        "openOrders.status" => get("/api/v3/openOrders", Call::OpenOrders),
        "openOrders.cancelAll" => delete("/api/v3/openOrders", Call::OpenOrdersCancelAll),
        "session.logon" => local(LocalMethod::Logon),
        "session.status" => local(LocalMethod::Status),
        "session.logout" => local(LocalMethod::Logout),
        "userDataStream.subscribe" => local(LocalMethod::Subscribe),
        "userDataStream.subscribe.signature" => local(LocalMethod::SubscribeSignature),
        "userDataStream.unsubscribe" => local(LocalMethod::Unsubscribe),
        "session.subscriptions" => local(LocalMethod::Subscriptions),
        _ => None,
    }
}

/// Successful placements and cancellations cost no weight (2026-04-02).
fn refunds(method: &str) -> bool {
    matches!(
        method,
        "order.place" | "order.cancel" | "openOrders.cancelAll" | "order.cancelReplace"
    )
}

/// Methods whose responses also show the `ORDERS` counts.
fn counts_orders(method: &str) -> bool {
    matches!(method, "order.place" | "order.cancelReplace")
}

async fn run(call: Call, exchange: &Exchange, req: Req) -> Response {
    let state = State(exchange.clone());
    match call {
        Call::Ping => market::ping(req).await.into_response(),
        Call::Time => market::time(state, req).await.into_response(),
        Call::ExchangeInfo => market::exchange_info(state, req).await.into_response(),
        Call::Depth => market::depth(state, req).await.into_response(),
        Call::Trades => market::trades(state, req).await.into_response(),
        Call::HistoricalTrades => market::historical_trades(state, req).await.into_response(),
        Call::AggTrades => market::agg_trades(state, req).await.into_response(),
        Call::Klines => market::klines(state, req).await.into_response(),
        Call::AvgPrice => market::avg_price(state, req).await.into_response(),
        Call::Ticker24h => market::ticker_24hr(state, req).await.into_response(),
        Call::TickerPrice => market::ticker_price(state, req).await.into_response(),
        Call::TickerBook => market::book_ticker(state, req).await.into_response(),
        Call::Ticker => market::ticker_rolling(state, req).await.into_response(),
        Call::Account => account::account(state, req).await.into_response(),
        Call::Commission => account::commission(state, req).await.into_response(),
        Call::RateLimitOrder => account::rate_limit_order(state, req).await.into_response(),
        Call::MyTrades => account::my_trades(state, req).await.into_response(),
        Call::AllOrders => account::all_orders(state, req).await.into_response(),
        Call::OrderPlace => trade::new_order(state, req).await.into_response(),
        Call::OrderTest => trade::test_order(state, req).await.into_response(),
        Call::OrderStatus => trade::query_order(state, req).await.into_response(),
        Call::OrderCancel => trade::cancel_order(state, req).await.into_response(),
        Call::OrderCancelReplace => trade::cancel_replace(state, req).await.into_response(),
        Call::OpenOrders => trade::open_orders(state, req).await.into_response(),
        Call::OpenOrdersCancelAll => trade::cancel_open_orders(state, req).await.into_response(),
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    code: i64,
    msg: String,
}

/// Reads a REST handler's response back: status and body text.
async fn to_outcome(response: Response) -> Outcome {
    let status = response.status();
    let code = response.extensions().get::<ErrorCode>().map(|code| code.0);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if status.is_success() {
        return Outcome {
            status: status.as_u16(),
            body: Ok(text),
            events: Vec::new(),
        };
    }
    let err = match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => ApiError::new(status, body.code, body.msg),
        Err(_) => ApiError::new(status, code.unwrap_or(-1000), text),
    };
    Outcome::err(err)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RateLimitStatus {
    rate_limit_type: &'static str,
    interval: &'static str,
    interval_num: u32,
    limit: u32,
    count: u32,
}

/// The response frame.
fn envelope(
    exchange: &Exchange,
    id: &Value,
    outcome: Outcome,
    show_limits: bool,
    uid_for_orders: Option<u64>,
) -> String {
    let now = exchange.now_ms();
    let mut text = format!("{{\"id\":{id},\"status\":{}", outcome.status);
    match outcome.body {
        Ok(body) => {
            text.push_str(",\"result\":");
            text.push_str(&body);
        }
        Err(err) => {
            let msg = Value::from(err.msg.as_str());
            text.push_str(&format!(",\"error\":{{\"code\":{},\"msg\":{msg}", err.code));
            if let Some(seconds) = err.retry_after {
                let retry_after = now + (seconds as i64) * 1000;
                text.push_str(&format!(
                    ",\"data\":{{\"serverTime\":{now},\"retryAfter\":{retry_after}}}"
                ));
            }
            text.push('}');
        }
    }
    if show_limits {
        let mut limiter = exchange.limiter();
        let config = limiter.config().clone();
        let mut limits = Vec::new();
        if let Some(uid) = uid_for_orders {
            let (ten, day) = limiter.order_counts(uid, now);
            limits.push(RateLimitStatus {
                rate_limit_type: "ORDERS",
                interval: "SECOND",
                interval_num: 10,
                limit: config.orders_per_10s,
                count: ten,
            });
            limits.push(RateLimitStatus {
                rate_limit_type: "ORDERS",
                interval: "DAY",
                interval_num: 1,
                limit: config.orders_per_day,
                count: day,
            });
        }
        limits.push(RateLimitStatus {
            rate_limit_type: "REQUEST_WEIGHT",
            interval: "MINUTE",
            interval_num: 1,
            limit: config.request_weight_per_minute,
            count: limiter.used_weight(now),
        });
        text.push_str(",\"rateLimits\":");
        text.push_str(&serde_json::to_string(&limits).unwrap_or_else(|_| "[]".to_owned()));
    }
    text.push('}');
    text
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionStatus<'a> {
    api_key: Option<&'a str>,
    authorized_since: Option<i64>,
    connected_since: i64,
    return_rate_limits: bool,
    server_time: i64,
    user_data_stream: bool,
}

fn session_status(exchange: &Exchange, session: &Session) -> String {
    let status = SessionStatus {
        api_key: session.logon.as_ref().map(|logon| logon.api_key.as_str()),
        authorized_since: session.logon.as_ref().map(|logon| logon.since),
        connected_since: session.connected_since,
        return_rate_limits: session.return_rate_limits,
        server_time: exchange.now_ms(),
        user_data_stream: !session.subscriptions.is_empty(),
    };
    serde_json::to_string(&status).unwrap_or_default()
}

/// Checks `apiKey`, `timestamp`, `recvWindow` and `signature` of a
/// `session.logon` or `userDataStream.subscribe.signature`.
fn verify_key(exchange: &Exchange, params: &[(String, String)]) -> Result<(String, u64), ApiError> {
    let req = build_req(params, None);
    req.params.only(&[])?;
    let caller = req.auth(exchange, Need::Read)?;
    Ok((req.api_key.unwrap_or_default(), caller.uid))
}

fn terminated(exchange: &Exchange, subscription_id: u32) -> String {
    format!(
        "{{\"subscriptionId\":{subscription_id},\"event\":{{\"e\":\"eventStreamTerminated\",\"E\":{}}}}}",
        exchange.now_ms()
    )
}

fn subscribe(session: &mut Session, uid: u64, by_logon: bool) -> Outcome {
    if session.subscriptions.iter().any(|sub| sub.uid == uid) {
        return Outcome::err(ApiError::bad_request(
            -2035,
            "User Data Stream subscription already active.",
        ));
    }
    if session.next_subscription_id >= MAX_SUBSCRIPTION_IDS
        || session.subscriptions.len() >= MAX_ACTIVE_SUBSCRIPTIONS
    {
        return Outcome::err(ApiError::bad_request(
            -2042,
            "Maximum subscription ID reached for this connection.",
        ));
    }
    let id = session.next_subscription_id;
    session.next_subscription_id += 1;
    session
        .subscriptions
        .push(Subscription { id, uid, by_logon });
    Outcome::ok(format!("{{\"subscriptionId\":{id}}}"))
}

fn local_method(
    exchange: &Exchange,
    session: &mut Session,
    method: LocalMethod,
    params: &[(String, String)],
) -> Outcome {
    let no_params = || -> Result<(), ApiError> {
        let names: Vec<(&str, &str)> = params
            .iter()
            .filter(|(name, _)| name != "returnRateLimits")
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        Params::from_pairs(&names).only(&[])
    };
    match method {
        LocalMethod::Logon => match verify_key(exchange, params) {
            Ok((api_key, uid)) => {
                let mut events = Vec::new();
                if session.logon.as_ref().is_some_and(|logon| logon.uid != uid) {
                    events = close_where(exchange, session, |sub| sub.by_logon);
                }
                session.logon = Some(Logon {
                    api_key,
                    uid,
                    since: exchange.now_ms(),
                });
                let mut outcome = Outcome::ok(session_status(exchange, session));
                outcome.events = events;
                outcome
            }
            Err(err) => Outcome::err(err),
        },
        LocalMethod::Status => match no_params() {
            Ok(()) => Outcome::ok(session_status(exchange, session)),
            Err(err) => Outcome::err(err),
        },
        LocalMethod::Logout => {
            if let Err(err) = no_params() {
                return Outcome::err(err);
            }
            let events = close_where(exchange, session, |sub| sub.by_logon);
            session.logon = None;
            let mut outcome = Outcome::ok(session_status(exchange, session));
            outcome.events = events;
            outcome
        }
        LocalMethod::Subscribe => {
            if let Err(err) = no_params() {
                return Outcome::err(err);
            }
            let Some(logon) = session.logon.clone() else {
                return Outcome::err(ApiError::rejected_key());
            };
            subscribe(session, logon.uid, true)
        }
        LocalMethod::SubscribeSignature => match verify_key(exchange, params) {
            Ok((_, uid)) => subscribe(session, uid, false),
            Err(err) => Outcome::err(err),
        },
        LocalMethod::Unsubscribe => {
            let names: Vec<(&str, &str)> = params
                .iter()
                .filter(|(name, _)| name != "returnRateLimits")
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let params = Params::from_pairs(&names);
            if let Err(err) = params.only(&["subscriptionId"]) {
                return Outcome::err(err);
            }
            let wanted = match params.opt_long("subscriptionId") {
                Ok(wanted) => wanted,
                Err(err) => return Outcome::err(err),
            };
            let exists = match wanted {
                Some(id) => session
                    .subscriptions
                    .iter()
                    .any(|sub| i64::from(sub.id) == id),
                None => !session.subscriptions.is_empty(),
            };
            if !exists {
                return Outcome::err(ApiError::bad_request(
                    -2036,
                    "User Data Stream subscription not active.",
                ));
            }
            let events = close_where(exchange, session, |sub| {
                wanted.is_none_or(|id| i64::from(sub.id) == id)
            });
            let mut outcome = Outcome::ok("{}".to_owned());
            outcome.events = events;
            outcome
        }
        LocalMethod::Subscriptions => {
            if let Err(err) = no_params() {
                return Outcome::err(err);
            }
            let rows: Vec<String> = session
                .subscriptions
                .iter()
                .map(|sub| format!("{{\"subscriptionId\":{}}}", sub.id))
                .collect();
            Outcome::ok(format!("[{}]", rows.join(",")))
        }
    }
}

/// Ends the subscriptions matching `which`; their `eventStreamTerminated` events.
fn close_where(
    exchange: &Exchange,
    session: &mut Session,
    which: impl Fn(&Subscription) -> bool,
) -> Vec<String> {
    let mut events = Vec::new();
    session.subscriptions.retain(|sub| {
        if which(sub) {
            events.push(terminated(exchange, sub.id));
            false
        } else {
            true
        }
    });
    events
}

/// The frames an account event becomes on this session: one per
/// subscription to its account.
fn user_events(session: &Session, event: &AccountEvent) -> Vec<String> {
    let uid = match event {
        AccountEvent::Execution { uid, .. }
        | AccountEvent::Position { uid, .. }
        | AccountEvent::BalanceUpdate { uid, .. } => *uid,
    };
    let ids: Vec<u32> = session
        .subscriptions
        .iter()
        .filter(|sub| sub.uid == uid)
        .map(|sub| sub.id)
        .collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let payload = event_payload(event);
    ids.into_iter()
        .map(|id| format!("{{\"subscriptionId\":{id},\"event\":{payload}}}"))
        .collect()
}

/// The user data event payload (user-data-stream.md), fields in its order.
pub(crate) fn event_payload(event: &AccountEvent) -> String {
    match event {
        AccountEvent::Execution {
            execution_type,
            order,
            fill,
            time,
            ..
        } => serde_json::to_string(&ExecutionReport::new(
            execution_type,
            order,
            fill.as_ref(),
            *time,
        ))
        .unwrap_or_default(),
        AccountEvent::Position { balances, time, .. } => {
            let position = AccountPosition {
                e: "outboundAccountPosition",
                time: *time,
                u: *time,
                balances: balances
                    .iter()
                    .map(|(asset, free, locked)| PositionBalance {
                        a: asset,
                        f: dec(*free),
                        l: dec(*locked),
                    })
                    .collect(),
            };
            serde_json::to_string(&position).unwrap_or_default()
        }
        AccountEvent::BalanceUpdate {
            asset, delta, time, ..
        } => {
            let update = BalanceUpdate {
                e: "balanceUpdate",
                time: *time,
                a: asset,
                d: dec(*delta),
                clear_time: *time,
            };
            serde_json::to_string(&update).unwrap_or_default()
        }
    }
}

#[derive(Serialize)]
struct AccountPosition<'a> {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    u: i64,
    #[serde(rename = "B")]
    balances: Vec<PositionBalance<'a>>,
}

#[derive(Serialize)]
struct PositionBalance<'a> {
    a: &'a str,
    f: String,
    l: String,
}

#[derive(Serialize)]
struct BalanceUpdate<'a> {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    a: &'a str,
    d: String,
    #[serde(rename = "T")]
    clear_time: i64,
}

#[derive(Serialize)]
struct ExecutionReport<'a> {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    s: &'a str,
    c: &'a str,
    #[serde(rename = "S")]
    side: &'static str,
    o: &'static str,
    f: &'static str,
    q: String,
    p: String,
    #[serde(rename = "P")]
    stop_price: String,
    #[serde(rename = "F")]
    iceberg: String,
    g: i64,
    #[serde(rename = "C")]
    orig_client_order_id: &'a str,
    x: &'static str,
    #[serde(rename = "X")]
    status: &'static str,
    r: &'static str,
    i: u64,
    l: String,
    z: String,
    #[serde(rename = "L")]
    last_price: String,
    n: String,
    #[serde(rename = "N")]
    commission_asset: Option<&'a str>,
    #[serde(rename = "T")]
    transaction_time: i64,
    t: i64,
    #[serde(rename = "I")]
    execution_id: u64,
    w: bool,
    m: bool,
    #[serde(rename = "M")]
    ignore: bool,
    #[serde(rename = "O")]
    created: i64,
    #[serde(rename = "Z")]
    cumulative_quote: String,
    #[serde(rename = "Y")]
    last_quote: String,
    #[serde(rename = "Q")]
    quote_order_qty: String,
    #[serde(rename = "W", skip_serializing_if = "Option::is_none")]
    working_time: Option<i64>,
    #[serde(rename = "V")]
    stp_mode: &'static str,
}

impl<'a> ExecutionReport<'a> {
    fn new(
        execution_type: &'static str,
        order: &'a Order,
        fill: Option<&'a crate::engine::Fill>,
        time: i64,
    ) -> ExecutionReport<'a> {
        let zero = rust_decimal::Decimal::ZERO;
        let (last_qty, last_price) = fill.map_or((zero, zero), |fill| (fill.qty, fill.price));
        let working = order.working_time != -1;
        ExecutionReport {
            e: "executionReport",
            time,
            s: &order.symbol,
            c: &order.client_order_id,
            side: order.side.as_str(),
            o: order.order_type.as_str(),
            f: order.time_in_force.as_str(),
            q: dec(order.orig_qty),
            p: dec(order.price),
            stop_price: dec(zero),
            iceberg: dec(zero),
            g: -1,
            orig_client_order_id: if execution_type == "CANCELED" {
                &order.client_order_id
            } else {
                ""
            },
            x: execution_type,
            status: order.status.as_str(),
            r: "NONE",
            i: order.order_id,
            l: dec(last_qty),
            z: dec(order.executed_qty),
            last_price: dec(last_price),
            n: fill.map_or_else(|| "0".to_owned(), |fill| dec(fill.commission)),
            commission_asset: fill.map(|fill| fill.commission_asset.as_str()),
            transaction_time: time,
            t: fill.map_or(-1, |fill| fill.trade_id as i64),
            execution_id: EXECUTION_ID.fetch_add(1, Ordering::Relaxed),
            w: order.status.is_open() && working,
            m: fill.is_some() && working && order.working_time < time,
            ignore: false,
            created: order.time,
            cumulative_quote: dec(order.cumm_quote_qty),
            last_quote: dec(last_price * last_qty),
            quote_order_qty: dec(order.orig_quote_qty),
            working_time: working.then_some(order.working_time),
            stp_mode: "NONE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_request_becomes_a_sorted_unencoded_payload() {
        let params = vec![
            ("symbol".to_owned(), "BTCUSDT".to_owned()),
            ("apiKey".to_owned(), "k".to_owned()),
            ("timestamp".to_owned(), "1".to_owned()),
            ("signature".to_owned(), "a+b/c=".to_owned()),
        ];
        let req = build_req(&params, None);
        assert_eq!(req.api_key.as_deref(), Some("k"));
        assert_eq!(
            req.raw_body,
            "apiKey=k&symbol=BTCUSDT&timestamp=1&signature=a%2Bb%2Fc%3D"
        );
        assert!(!req.params.has("apiKey"));
        assert!(req.params.has("signature"));
    }

    #[test]
    fn values_keep_their_json_text() {
        assert_eq!(param_text(&Value::from("0.01000000")), "0.01000000");
        assert_eq!(param_text(&Value::from(100)), "100");
        assert_eq!(param_text(&Value::from(true)), "true");
        assert_eq!(param_text(&serde_json::json!(["BNBBTC"])), "[\"BNBBTC\"]");
    }
}
