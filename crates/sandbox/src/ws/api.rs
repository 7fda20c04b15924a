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
//! status 401 with `-2015`. Injected faults ([`crate::Fault`], also aimed
//! at one method with [`crate::FaultTarget::WsApi`]) and the rate limiter
//! (per client address, shared with REST) apply to WebSocket API requests
//! as to REST, and each request is written to the request log as method
//! `WS`, path `/ws-api/v3/<method>`, and to the `tracing` log.
//!
//! Request IDs (web-socket-api.md § Request format; CHANGELOG: "64-bit
//! signed integers, alphanumeric strings, max of 36 in length, `null`"):
//! an integer that fits in an `i64`, a string of 1 to 36 letters, digits,
//! `-` and `_` (UUIDs), or `null` (also when `id` is missing) is echoed.
//! Any other string is answered `-1100` "Illegal characters found in
//! parameter 'id'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.", any other
//! value (a float, a number past the signed 64-bit range, `true`, an array)
//! `-1102` "Mandatory parameter 'id' was not sent, was empty/null, or
//! malformed."; both with status 400 and `"id":null`.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::Extensions;
use axum::response::{IntoResponse, Response};
use mbx_signing::payload::ws_api_payload;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::time::Instant;

use super::Control;
use super::conn::{Keepalive, Read, capped, keepalive_tick, on_read, send_shutdown};
use super::user_data::event_payload;
use crate::api::{Served, client_ip, shape_of, trace_request};
use crate::error::ApiError;
use crate::events::AccountEvent;
use crate::exchange::{Exchange, Fault, Need, Proof, RequestLogEntry, Target};
use crate::ops::{self, Endpoint, Request as Call, WeightInput};
use crate::params::Params;
use crate::time_unit::{Shape, TimeUnit};

/// Active subscriptions one session may hold.
const MAX_ACTIVE_SUBSCRIPTIONS: usize = 1000;
/// Subscription IDs one session may use over its life.
const MAX_SUBSCRIPTION_IDS: u32 = 65_535;
/// What the session's own methods weigh.
const SESSION_METHOD_WEIGHT: u32 = 2;

/// The legal range of a string request ID.
const ID_RANGE: &str = "^[a-zA-Z0-9-_]{1,36}$";

/// Whether `method` (without `v3/`) is a WebSocket API method.
pub(crate) fn is_method(method: &str) -> bool {
    Route::find(method).is_some()
}

/// `GET /ws-api/v3[?returnRateLimits=false][&timeUnit=MICROSECOND]`.
pub(crate) async fn connect(
    State(exchange): State<Exchange>,
    RawQuery(query): RawQuery,
    extensions: Extensions,
    ws: WebSocketUpgrade,
) -> Response {
    let query = query.unwrap_or_default();
    let return_rate_limits = !query
        .split('&')
        .any(|pair| pair == "returnRateLimits=false");
    let time_unit = match TimeUnit::from_query(&query) {
        Ok(time_unit) => time_unit,
        Err(err) => return err.into_response(),
    };
    let client = client_ip(&extensions);
    let _ = exchange.limiter().admit(client, exchange.now_ms(), 2);
    let setup = Setup {
        return_rate_limits,
        time_unit,
        client,
    };
    capped(ws).on_upgrade(move |socket| serve(socket, exchange, setup))
}

/// What the URL and the connection say about a session.
struct Setup {
    return_rate_limits: bool,
    time_unit: TimeUnit,
    client: IpAddr,
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
    time_unit: TimeUnit,
    /// Whose request weight the session's requests count as.
    client: IpAddr,
    subscriptions: Vec<Subscription>,
    next_subscription_id: u32,
}

#[derive(Debug, Clone)]
struct Logon {
    api_key: String,
    uid: u64,
    since: i64,
}

async fn serve(mut socket: WebSocket, exchange: Exchange, setup: Setup) {
    let live = exchange.live();
    let _open = live.opened();
    let mut controls = live.controls();
    let mut account_events = exchange.account_events();
    let mut keepalive = Keepalive::new(live.timing());
    let mut session = Session {
        connected_since: exchange.now_ms(),
        logon: None,
        return_rate_limits: setup.return_rate_limits,
        time_unit: setup.time_unit,
        client: setup.client,
        subscriptions: Vec::new(),
        next_subscription_id: 0,
    };
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Read::Message(message) = on_read(&mut socket, incoming).await else { return };
                match message {
                    Message::Text(text) => {
                        let listening = !session.subscriptions.is_empty();
                        let handled = handle(&exchange, &mut session, text.as_str()).await;
                        if !listening && !session.subscriptions.is_empty() {
                            // Subscribed now: events from here on, none of
                            // those published while nobody here listened.
                            account_events = account_events.resubscribe();
                        }
                        if let Some(hold) = handled.lose_answer {
                            // The request ran; its answer is lost: hold, then
                            // cut the connection without a close frame.
                            live.hold(hold).await;
                            return;
                        }
                        let latency = live.latency();
                        if !latency.is_zero() {
                            tokio::time::sleep(latency).await;
                        }
                        for reply in handled.replies {
                            if socket.send(Message::Text(reply.into())).await.is_err() {
                                return;
                            }
                        }
                    }
                    Message::Pong(payload) => keepalive.on_pong(&payload),
                    Message::Ping(_) | Message::Binary(_) | Message::Close(_) => {}
                }
            }
            // Without a subscription the session has no use for account
            // events: not waking it for each one keeps every other
            // connection's orders from costing this task a wake-up.
            event = account_events.recv(), if !session.subscriptions.is_empty() => match event {
                Ok(event) => {
                    for text in user_events(&session, &event) {
                        let text = session.time_unit.convert(text, Shape::Events);
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
                    send_shutdown(&mut socket, session.time_unit.convert(event, Shape::Events)).await;
                    return;
                }
                Ok(Control::DropDepthEvent(_)) | Err(broadcast::error::RecvError::Lagged(_)) => {}
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
        let id = match request.get("id") {
            None => Value::Null,
            Some(id) if valid_id(id) => id.clone(),
            Some(Value::String(_)) => {
                return Err((Value::Null, ApiError::illegal_chars("id", ID_RANGE)));
            }
            Some(_) => return Err((Value::Null, ApiError::mandatory("id"))),
        };
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

/// The session's own methods, which are not rows of
/// [`crate::ops::ENDPOINTS`]: they act on the connection, not the exchange.
static SESSION_METHODS: &[(&str, SessionMethod)] = &[
    ("session.logon", SessionMethod::Logon),
    ("session.status", SessionMethod::Status),
    ("session.logout", SessionMethod::Logout),
    ("userDataStream.subscribe", SessionMethod::Subscribe),
    (
        "userDataStream.subscribe.signature",
        SessionMethod::SubscribeSignature,
    ),
    ("userDataStream.unsubscribe", SessionMethod::Unsubscribe),
    ("session.subscriptions", SessionMethod::Subscriptions),
];

/// The names of the session's own methods, in the docs' order.
pub fn session_methods() -> impl Iterator<Item = &'static str> {
    SESSION_METHODS.iter().map(|(name, _)| *name)
}

impl Route {
    fn find(method: &str) -> Option<Route> {
        match SESSION_METHODS.iter().find(|(name, _)| *name == method) {
            Some((_, session)) => Some(Route::Session(*session)),
            None => ops::find_ws(method).map(Route::Endpoint),
        }
    }

    fn weight(&self, frame: &Frame) -> u32 {
        match self {
            Route::Endpoint(endpoint) => endpoint.weight(&WeightInput::from_pairs(frame.pairs())),
            Route::Session(_) => SESSION_METHOD_WEIGHT,
        }
    }
}

/// What one request frame produced.
struct Handled {
    /// Events first (e.g. `eventStreamTerminated`), then the response.
    replies: Vec<String>,
    /// The `lost-answer` fault: send nothing, hold this long, then cut the
    /// connection.
    lose_answer: Option<Duration>,
}

impl Handled {
    fn replies(replies: Vec<String>) -> Handled {
        Handled {
            replies,
            lose_answer: None,
        }
    }
}

/// Answers one request frame. The phases: read the frame, find the
/// method, take an injected fault or charge the weight, run, log, render.
async fn handle(exchange: &Exchange, session: &mut Session, text: &str) -> Handled {
    let started = Instant::now();
    let frame = match Frame::parse(text) {
        Ok(frame) => frame,
        Err((id, err)) => {
            let reply = envelope(
                exchange,
                session,
                &id,
                Outcome::err(err),
                true,
                None,
                Shape::Answer,
            );
            return Handled::replies(vec![reply]);
        }
    };
    let show_limits = frame.shows_rate_limits(session.return_rate_limits);
    let refuse = |session: &Session, err: ApiError| {
        log(
            exchange,
            &frame.method,
            Some(&err),
            err.status.as_u16(),
            started,
            false,
        );
        Handled::replies(vec![envelope(
            exchange,
            session,
            &frame.id,
            Outcome::err(err),
            show_limits,
            None,
            Shape::Answer,
        )])
    };
    let Some(route) = Route::find(&frame.method) else {
        return refuse(
            session,
            ApiError::bad_request(-1020, "This operation is not supported."),
        );
    };
    let fault = exchange.take_fault(Target::WsApi(&frame.method));
    let lose_answer = match fault {
        Some(Fault::LostAnswer { hold }) => Some(hold),
        Some(fault) => return refuse(session, crate::api::fault_error(exchange, fault).await),
        None => None,
    };
    let weight = route.weight(&frame);
    if let Err(err) = exchange
        .limiter()
        .admit(session.client, exchange.now_ms(), weight)
    {
        return refuse(session, err);
    }
    let shape = match &route {
        Route::Endpoint(endpoint) => shape_of(endpoint),
        Route::Session(_) => Shape::Answer,
    };
    let (outcome, uid_for_orders) = match route {
        Route::Endpoint(endpoint) => call_endpoint(exchange, session, endpoint, &frame, weight),
        Route::Session(method) => (session_method(exchange, session, method, &frame), None),
    };
    log(
        exchange,
        &frame.method,
        outcome.body.as_ref().err(),
        outcome.status,
        started,
        lose_answer.is_some(),
    );
    if lose_answer.is_some() {
        return Handled {
            replies: Vec::new(),
            lose_answer,
        };
    }
    let mut replies = outcome.events.clone();
    replies.push(envelope(
        exchange,
        session,
        &frame.id,
        outcome,
        show_limits,
        uid_for_orders,
        shape,
    ));
    Handled::replies(replies)
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
        exchange.limiter().refund(session.client, weight);
    }
    let uid_for_orders = answer
        .caller
        .filter(|_| endpoint.shows_order_counts)
        .map(|caller| caller.uid);
    let reply = match answer.reply {
        Ok(body) if endpoint.ws_result_in_list => Ok(format!("[{body}]")),
        other => other,
    };
    (Outcome::from_reply(reply), uid_for_orders)
}

fn log(
    exchange: &Exchange,
    method: &str,
    err: Option<&ApiError>,
    status: u16,
    started: Instant,
    lost: bool,
) {
    let path = format!("/ws-api/v3/{}", logged_method(method));
    trace_request(&Served {
        method: "WS",
        path: &path,
        status,
        code: err.map(|err| err.code),
        reason: err.map(|err| err.msg.as_str()),
        lost,
        took: started.elapsed(),
    });
    exchange.log_request(RequestLogEntry {
        method: "WS".to_owned(),
        path,
        status,
        code: err.map(|err| err.code),
    });
}

/// A signed 64-bit integer, a string of 1 to 36 letters, digits, `-` and
/// `_`, or `null`.
fn valid_id(id: &Value) -> bool {
    match id {
        Value::Null => true,
        Value::Number(number) => number.is_i64(),
        Value::String(text) => {
            (1..=36).contains(&text.len())
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
        _ => false,
    }
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

/// The response frame, its times in the session's unit.
fn envelope(
    exchange: &Exchange,
    session: &Session,
    id: &Value,
    outcome: Outcome,
    show_limits: bool,
    uid_for_orders: Option<u64>,
    shape: Shape,
) -> String {
    let text = envelope_text(
        exchange,
        session.client,
        id,
        outcome,
        show_limits,
        uid_for_orders,
    );
    session.time_unit.convert(text, shape)
}

fn envelope_text(
    exchange: &Exchange,
    client: IpAddr,
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
        text.push_str(&rate_limits(exchange, client, now, uid_for_orders));
    }
    text.push('}');
    text
}

/// `rateLimits`: the account's `ORDERS` counts when asked for, then the
/// `REQUEST_WEIGHT` used.
fn rate_limits(
    exchange: &Exchange,
    client: IpAddr,
    now: i64,
    uid_for_orders: Option<u64>,
) -> String {
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
        count: limiter.used_weight(client, now),
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
