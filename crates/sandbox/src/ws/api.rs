//! The WebSocket API renderer at `/ws-api/v3` (web-socket-api.md): requests
//! `{"id","method","params"}`, responses `{"id","status","result"|"error",
//! "rateLimits"}`, session authentication and User Data Stream
//! subscriptions with events `{"subscriptionId":N,"event":{..}}`.
//!
//! Methods that mirror REST are rows of [`crate::ops::ENDPOINTS`]: the same
//! operation, weight and refund rule as REST, rendered into the envelope.
//! Their signature rule is the WebSocket one: the payload is every
//! parameter but `signature`, sorted by name, not percent-encoded
//! ([`ws_api_payload`]), checked by [`Exchange::authenticate`] with
//! [`Proof::WsApi`], so timestamps, `recvWindow`, signatures and
//! permissions are checked by the same code as REST. After `session.logon`,
//! requests without `signature` run on the logged-on key
//! ([`Proof::Session`]). The session's own methods (`session.*`,
//! `userDataStream.*`) live here.
//!
//! Choices where the docs are silent: `session.logon` and
//! `userDataStream.subscribe` accept every key type (the docs say Ed25519
//! only; CHANGELOG 2025-04-29 announces HMAC and RSA); a request that is not
//! JSON, or has no `method`, is status 400 with `-1102`; an unknown method is
//! status 400 with `-1020`; `userDataStream.subscribe` without a logon is
//! status 401 with `-2015`. Injected faults ([`crate::Fault`]) and the rate
//! limiter apply to WebSocket API requests as to REST, and each request is
//! written to the request log as method `WS`, path `/ws-api/v3/<method>`.

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::response::Response;
use mbx_signing::payload::ws_api_payload;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

use super::Control;
use super::conn::{Keepalive, keepalive_tick, send_shutdown};
use super::user_data::event_payload;
use crate::error::ApiError;
use crate::events::AccountEvent;
use crate::exchange::{Exchange, Need, Proof, RequestLogEntry};
use crate::ops::{self, Endpoint, Request as Call, WeightInput};
use crate::params::Params;

/// Active subscriptions one session may hold.
const MAX_ACTIVE_SUBSCRIPTIONS: usize = 1000;
/// Subscription IDs one session may use over its life.
const MAX_SUBSCRIPTION_IDS: u32 = 65_535;
/// What the session's own methods weigh.
const SESSION_METHOD_WEIGHT: u32 = 2;

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

    fn from_reply(reply: Result<String, ApiError>) -> Outcome {
        match reply {
            Ok(body) => Outcome::ok(body),
            Err(err) => Outcome::err(err),
        }
    }

    fn with_events(mut self, events: Vec<String>) -> Outcome {
        self.events = events;
        self
    }
}

/// One request frame, read.
struct Frame {
    id: Value,
    /// Without the `v3/` prefix.
    method: String,
    /// Each value as text: strings as they are, other JSON as written.
    params: Vec<(String, String)>,
}

impl Frame {
    /// Reads a frame; a frame that is not a request is `-1102`, answered
    /// with the `id` if one could be read.
    fn parse(text: &str) -> Result<Frame, (Value, ApiError)> {
        let malformed = || {
            ApiError::bad_request(
                -1102,
                "A mandatory parameter was not sent, was empty/null, or malformed.",
            )
        };
        let Ok(Value::Object(request)) = serde_json::from_str::<Value>(text) else {
            return Err((Value::Null, malformed()));
        };
        let id = request.get("id").cloned().unwrap_or(Value::Null);
        let Some(method) = request.get("method").and_then(Value::as_str) else {
            let err = ApiError::bad_request(
                -1102,
                "Mandatory parameter 'method' was not sent, was empty/null, or malformed.",
            );
            return Err((id, err));
        };
        let method = method.strip_prefix("v3/").unwrap_or(method).to_owned();
        let params = match request.get("params") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(name, value)| (name.clone(), param_text(value)))
                .collect(),
            Some(_) => return Err((id, malformed())),
        };
        Ok(Frame { id, method, params })
    }

    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// Whether the answer shows `rateLimits`: the request's
    /// `returnRateLimits`, else the connection's.
    fn shows_rate_limits(&self, connection_default: bool) -> bool {
        self.pairs()
            .find(|(name, _)| *name == "returnRateLimits")
            .map_or(connection_default, |(_, value)| value != "false")
    }

    /// The parameters without `returnRateLimits` (read by the envelope).
    fn business_params(&self) -> Params {
        let pairs: Vec<(&str, &str)> = self
            .pairs()
            .filter(|(name, _)| *name != "returnRateLimits")
            .collect();
        Params::from_pairs(&pairs)
    }
}

/// A frame's parameters as the operations layer reads them, with the key
/// and the proof the sender gave.
struct Signed {
    /// Every parameter but `apiKey` and `returnRateLimits`.
    params: Params,
    api_key: Option<String>,
    /// The signed payload, when the frame has a `signature`.
    payload: String,
    /// No `signature`, and the key is the session's logged-on key.
    by_session: bool,
}

impl Signed {
    fn read(frame: &Frame, logon: Option<&Logon>) -> Signed {
        let api_key_param = frame
            .pairs()
            .find(|(name, _)| *name == "apiKey")
            .map(|(_, value)| value.to_owned());
        let business: Vec<(&str, &str)> = frame
            .pairs()
            .filter(|(name, _)| *name != "apiKey" && *name != "returnRateLimits")
            .collect();
        let params = Params::from_pairs(&business);
        if params.has("signature") {
            return Signed {
                params,
                api_key: api_key_param,
                payload: ws_api_payload(frame.pairs()),
                by_session: false,
            };
        }
        let api_key = api_key_param.or_else(|| logon.map(|logon| logon.api_key.clone()));
        let by_session = logon.is_some_and(|logon| api_key.as_deref() == Some(&logon.api_key));
        Signed {
            params,
            api_key,
            payload: String::new(),
            by_session,
        }
    }

    fn request(&self) -> Call<'_> {
        Call {
            params: &self.params,
            api_key: self.api_key.as_deref(),
            proof: if self.by_session {
                Proof::Session
            } else {
                Proof::WsApi {
                    payload: &self.payload,
                }
            },
        }
    }
}

/// Where a method goes.
enum Route {
    /// A row of the operations table.
    Endpoint(&'static Endpoint),
    /// One of the session's own methods.
    Session(SessionMethod),
}

#[derive(Debug, Clone, Copy)]
enum SessionMethod {
    Logon,
    Status,
    Logout,
    Subscribe,
    SubscribeSignature,
    Unsubscribe,
    Subscriptions,
}

impl Route {
    fn find(method: &str) -> Option<Route> {
        let session = match method {
            "session.logon" => SessionMethod::Logon,
            "session.status" => SessionMethod::Status,
            "session.logout" => SessionMethod::Logout,
            "userDataStream.subscribe" => SessionMethod::Subscribe,
            "userDataStream.subscribe.signature" => SessionMethod::SubscribeSignature,
            "userDataStream.unsubscribe" => SessionMethod::Unsubscribe,
            "session.subscriptions" => SessionMethod::Subscriptions,
            _ => return ops::find_ws(method).map(Route::Endpoint),
        };
        Some(Route::Session(session))
    }

    fn weight(&self, frame: &Frame) -> u32 {
        match self {
            Route::Endpoint(endpoint) => endpoint.weight(&WeightInput::from_pairs(frame.pairs())),
            Route::Session(_) => SESSION_METHOD_WEIGHT,
        }
    }
}

/// Answers one request frame: events first (e.g. `eventStreamTerminated`),
/// then the response. The phases: read the frame, find the method, take an
/// injected fault or charge the weight, run, log, render.
async fn handle(exchange: &Exchange, session: &mut Session, text: &str) -> Vec<String> {
    let frame = match Frame::parse(text) {
        Ok(frame) => frame,
        Err((id, err)) => return vec![envelope(exchange, &id, Outcome::err(err), true, None)],
    };
    let show_limits = frame.shows_rate_limits(session.return_rate_limits);
    let refuse = |err: ApiError| {
        log(exchange, &frame.method, Some(&err), err.status.as_u16());
        vec![envelope(
            exchange,
            &frame.id,
            Outcome::err(err),
            show_limits,
            None,
        )]
    };
    let Some(route) = Route::find(&frame.method) else {
        return refuse(ApiError::bad_request(
            -1020,
            "This operation is not supported.",
        ));
    };
    if let Some(fault) = exchange.take_fault() {
        return refuse(crate::api::fault_error(exchange, fault).await);
    }
    let weight = route.weight(&frame);
    if let Err(err) = exchange.limiter().admit(exchange.now_ms(), weight) {
        return refuse(err);
    }
    let (outcome, uid_for_orders) = match route {
        Route::Endpoint(endpoint) => call_endpoint(exchange, session, endpoint, &frame, weight),
        Route::Session(method) => (session_method(exchange, session, method, &frame), None),
    };
    log(
        exchange,
        &frame.method,
        outcome.body.as_ref().err(),
        outcome.status,
    );
    let mut replies = outcome.events.clone();
    replies.push(envelope(
        exchange,
        &frame.id,
        outcome,
        show_limits,
        uid_for_orders,
    ));
    replies
}

/// Runs a table row for this session; also the account whose order
/// counts the answer shows, if the row shows them.
fn call_endpoint(
    exchange: &Exchange,
    session: &Session,
    endpoint: &Endpoint,
    frame: &Frame,
    weight: u32,
) -> (Outcome, Option<u64>) {
    let signed = Signed::read(frame, session.logon.as_ref());
    let answer = endpoint.call(exchange, &signed.request());
    if answer.refund {
        exchange.limiter().refund(weight);
    }
    let uid_for_orders = answer
        .caller
        .filter(|_| endpoint.shows_order_counts)
        .map(|caller| caller.uid);
    (Outcome::from_reply(answer.reply), uid_for_orders)
}

fn log(exchange: &Exchange, method: &str, err: Option<&ApiError>, status: u16) {
    exchange.log_request(RequestLogEntry {
        method: "WS".to_owned(),
        path: format!("/ws-api/v3/{}", logged_method(method)),
        status,
        code: err.map(|err| err.code),
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
            if let Some(data) = &err.data {
                text.push_str(&format!(",\"data\":{data}"));
            } else if let Some(seconds) = err.retry_after {
                let retry_after = now + (seconds as i64) * 1000;
                text.push_str(&format!(
                    ",\"data\":{{\"serverTime\":{now},\"retryAfter\":{retry_after}}}"
                ));
            }
            text.push('}');
        }
    }
    if show_limits {
        text.push_str(",\"rateLimits\":");
        text.push_str(&rate_limits(exchange, now, uid_for_orders));
    }
    text.push('}');
    text
}

/// `rateLimits`: the account's `ORDERS` counts when asked for, then the
/// `REQUEST_WEIGHT` used.
fn rate_limits(exchange: &Exchange, now: i64, uid_for_orders: Option<u64>) -> String {
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
    serde_json::to_string(&limits).unwrap_or_else(|_| "[]".to_owned())
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
fn verify_key(exchange: &Exchange, frame: &Frame) -> Result<(String, u64), ApiError> {
    let signed = Signed::read(frame, None);
    signed.params.only(&[])?;
    let request = signed.request();
    let caller =
        exchange.authenticate(request.api_key, request.params, request.proof, Need::Read)?;
    Ok((signed.api_key.unwrap_or_default(), caller.uid))
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

/// The session's own methods.
fn session_method(
    exchange: &Exchange,
    session: &mut Session,
    method: SessionMethod,
    frame: &Frame,
) -> Outcome {
    let params = frame.business_params();
    match method {
        SessionMethod::Logon => match verify_key(exchange, frame) {
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
                Outcome::ok(session_status(exchange, session)).with_events(events)
            }
            Err(err) => Outcome::err(err),
        },
        SessionMethod::Status => match params.only(&[]) {
            Ok(()) => Outcome::ok(session_status(exchange, session)),
            Err(err) => Outcome::err(err),
        },
        SessionMethod::Logout => {
            if let Err(err) = params.only(&[]) {
                return Outcome::err(err);
            }
            let events = close_where(exchange, session, |sub| sub.by_logon);
            session.logon = None;
            Outcome::ok(session_status(exchange, session)).with_events(events)
        }
        SessionMethod::Subscribe => {
            if let Err(err) = params.only(&[]) {
                return Outcome::err(err);
            }
            let Some(logon) = session.logon.clone() else {
                return Outcome::err(ApiError::rejected_key());
            };
            subscribe(session, logon.uid, true)
        }
        SessionMethod::SubscribeSignature => match verify_key(exchange, frame) {
            Ok((_, uid)) => subscribe(session, uid, false),
            Err(err) => Outcome::err(err),
        },
        SessionMethod::Unsubscribe => unsubscribe(exchange, session, &params),
        SessionMethod::Subscriptions => {
            if let Err(err) = params.only(&[]) {
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

/// `userDataStream.unsubscribe`: one subscription, or all without an ID.
fn unsubscribe(exchange: &Exchange, session: &mut Session, params: &Params) -> Outcome {
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
    Outcome::ok("{}".to_owned()).with_events(events)
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
        | AccountEvent::ListStatus { uid, .. }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(params: &[(&str, &str)]) -> Frame {
        Frame {
            id: Value::Null,
            method: "order.place".to_owned(),
            params: params
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn signed_request_becomes_a_sorted_unencoded_payload() {
        let frame = frame(&[
            ("symbol", "BTCUSDT"),
            ("apiKey", "k"),
            ("timestamp", "1"),
            ("signature", "a+b/c="),
        ]);
        let signed = Signed::read(&frame, None);
        assert_eq!(signed.api_key.as_deref(), Some("k"));
        assert_eq!(signed.payload, "apiKey=k&symbol=BTCUSDT&timestamp=1");
        assert!(!signed.by_session);
        assert!(!signed.params.has("apiKey"));
        assert_eq!(signed.params.get("signature"), Some("a+b/c="));
    }

    #[test]
    fn unsigned_request_runs_on_the_logged_on_key_only() {
        let logon = Logon {
            api_key: "k".to_owned(),
            uid: 1,
            since: 0,
        };
        let own = Signed::read(&frame(&[("timestamp", "1")]), Some(&logon));
        assert_eq!((own.api_key.as_deref(), own.by_session), (Some("k"), true));
        let other = Signed::read(&frame(&[("apiKey", "j"), ("timestamp", "1")]), Some(&logon));
        assert_eq!(
            (other.api_key.as_deref(), other.by_session),
            (Some("j"), false)
        );
        let none = Signed::read(&frame(&[("timestamp", "1")]), None);
        assert_eq!((none.api_key, none.by_session), (None, false));
    }

    #[test]
    fn values_keep_their_json_text() {
        assert_eq!(param_text(&Value::from("0.01000000")), "0.01000000");
        assert_eq!(param_text(&Value::from(100)), "100");
        assert_eq!(param_text(&Value::from(true)), "true");
        assert_eq!(param_text(&serde_json::json!(["BNBBTC"])), "[\"BNBBTC\"]");
    }
}
