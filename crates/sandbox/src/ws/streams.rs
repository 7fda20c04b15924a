//! WebSocket Streams connections: `/ws`, `/ws/<stream>[/<stream>…]` (raw
//! payloads) and `/stream?streams=<a>/<b>` (combined envelope), with live
//! `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY` and
//! `GET_PROPERTY` (web-socket-streams.md § Live Subscribing/Unsubscribing).
//!
//! Limits: 5 incoming messages (ping, pong or JSON) per second, more
//! disconnects; 1024 streams per connection, a `SUBSCRIBE` beyond that is
//! refused with code 2 "Invalid request: too many streams" (Binance
//! documents the limit, not its message).
//!
//! Names may arrive URL-encoded (`/ws/%E8%BF%99...456@trade`, the
//! `streams` parameter): they are decoded first. `timeUnit=MICROSECOND`
//! in the URL gives times in microseconds ([`crate::time_unit`]).

use std::collections::HashSet;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use futures_util::SinkExt as _;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::time::Instant;

use super::conn::{
    Keepalive, MessageRate, Read, capped, keepalive_tick, on_read, send_shutdown, send_too_slow,
};
use super::names::{StreamName, parse_stream};
use super::{Control, Live};
use crate::exchange::Exchange;
use crate::time_unit::TimeUnit;

/// Streams one connection may listen to.
pub(crate) const MAX_STREAMS: usize = 1024;
/// Incoming messages allowed per second.
pub(crate) const MAX_MESSAGES_PER_SECOND: u32 = 5;

/// What a stream connection starts with.
struct Start {
    names: Vec<String>,
    combined: bool,
    time_unit: TimeUnit,
}

/// Upgrades, or refuses a bad `timeUnit` with 400 `-1194`.
fn upgrade(
    exchange: Exchange,
    ws: WebSocketUpgrade,
    query: Option<&str>,
    names: Vec<String>,
    combined: bool,
) -> Response {
    let time_unit = match TimeUnit::from_query(query.unwrap_or("")) {
        Ok(time_unit) => time_unit,
        Err(err) => return err.into_response(),
    };
    let start = Start {
        names,
        combined,
        time_unit,
    };
    capped(ws).on_upgrade(move |socket| serve(socket, exchange, start))
}

/// `GET /ws`: raw payloads, no stream yet.
pub(crate) async fn raw_root(
    State(exchange): State<Exchange>,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    upgrade(exchange, ws, query.as_deref(), Vec::new(), false)
}

/// `GET /ws/<stream>[/<stream>…]`: raw payloads (the path is decoded).
pub(crate) async fn raw(
    State(exchange): State<Exchange>,
    Path(streams): Path<String>,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    let names = streams
        .split('/')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    upgrade(exchange, ws, query.as_deref(), names, false)
}

/// `GET /stream?streams=<a>/<b>`: combined payloads.
pub(crate) async fn combined(
    State(exchange): State<Exchange>,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    let names = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.strip_prefix("streams="))
        .flat_map(|value| {
            let decoded = mbx_signing::payload::decode_component(value)
                .map(|text| text.into_owned())
                .unwrap_or_default();
            decoded
                .split('/')
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    upgrade(exchange, ws, query.as_deref(), names, true)
}

/// The streams a connection listens to, in subscription order; counted in
/// the feed's interest table until dropped.
struct Subscriptions<'a> {
    live: &'a Live,
    names: Vec<String>,
    set: HashSet<String>,
}

impl Subscriptions<'_> {
    fn add(&mut self, name: &str) {
        if self.set.insert(name.to_owned()) {
            self.names.push(name.to_owned());
            self.live.feed().add(name);
        }
    }

    fn remove(&mut self, name: &str) {
        if self.set.remove(name) {
            self.names.retain(|known| known != name);
            self.live.feed().remove(name);
        }
    }
}

impl Drop for Subscriptions<'_> {
    fn drop(&mut self) {
        for name in &self.names {
            self.live.feed().remove(name);
        }
    }
}

async fn serve(mut socket: WebSocket, exchange: Exchange, start: Start) {
    let live = exchange.live();
    let _open = live.opened();
    let mut controls = live.controls();
    let mut frames = live.feed().receiver(&exchange);
    let mut keepalive = Keepalive::new(live.timing());
    let mut rate = MessageRate::new(MAX_MESSAGES_PER_SECOND);
    let mut combined = start.combined;
    let time_unit = start.time_unit;
    let mut subs = Subscriptions {
        live,
        names: Vec::new(),
        set: HashSet::new(),
    };
    for name in start.names.iter().take(MAX_STREAMS) {
        if parse_stream(name).is_some() {
            subs.add(name);
        }
    }
    // Diff-depth streams whose next event this connection loses (a fault).
    let mut drop_next: HashSet<String> = HashSet::new();
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Read::Message(message) = on_read(&mut socket, incoming).await else { return };
                if !rate.admit(Instant::now()) {
                    return;
                }
                match message {
                    Message::Text(text) => {
                        let reply = control(&text, &mut subs, &mut combined);
                        if socket.send(Message::Text(reply.into())).await.is_err() {
                            return;
                        }
                    }
                    Message::Pong(payload) => keepalive.on_pong(&payload),
                    Message::Ping(_) | Message::Binary(_) | Message::Close(_) => {}
                }
            }
            frame = frames.recv() => match frame {
                Ok(frame) => {
                    // This frame and those already queued behind it go out
                    // with one flush (one write for a burst, not one each).
                    let mut fed = false;
                    let mut next = Some(frame);
                    let mut burst = 0;
                    while let Some(frame) = next.take() {
                        if subs.set.contains(&*frame.stream) {
                            if drop_next.remove(&*frame.stream) {
                                tracing::debug!(stream = &*frame.stream, "diff-depth event dropped (fault injection)");
                            } else {
                                let text = frame.text(combined, time_unit);
                                if socket.feed(Message::Text(text)).await.is_err() {
                                    return;
                                }
                                fed = true;
                            }
                        }
                        burst += 1;
                        if burst < MAX_BURST {
                            match frames.try_recv() {
                                Ok(frame) => next = Some(frame),
                                Err(broadcast::error::TryRecvError::Empty) => {}
                                Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                                    tracing::debug!(missed, "stream connection too slow: closed");
                                    let _ = socket.flush().await;
                                    send_too_slow(&mut socket).await;
                                    return;
                                }
                                Err(broadcast::error::TryRecvError::Closed) => {
                                    let _ = socket.flush().await;
                                    return;
                                }
                            }
                        }
                    }
                    if fed && socket.flush().await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "stream connection too slow: closed");
                    send_too_slow(&mut socket).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            control = controls.recv() => match control {
                Ok(Control::Drop) | Err(broadcast::error::RecvError::Closed) => return,
                Ok(Control::Shutdown) => {
                    let event = server_shutdown(exchange.now_ms(), combined);
                    send_shutdown(&mut socket, time_unit.convert(event, crate::time_unit::Shape::Events)).await;
                    return;
                }
                Ok(Control::DropDepthEvent(symbol)) => {
                    drop_next.extend(diff_depth_streams(&subs.names, &symbol));
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

/// Frames a stream connection takes from the feed before one flush: bounds
/// the time between two looks at its other business (pings, control
/// messages, shutdown).
const MAX_BURST: usize = 256;

/// The diff-depth streams of `symbol` (uppercase) among `names`.
fn diff_depth_streams<'a>(
    names: &'a [String],
    symbol: &'a str,
) -> impl Iterator<Item = String> + 'a {
    names
        .iter()
        .filter_map(move |name| match parse_stream(name) {
            Some((lower, StreamName::DiffDepth { .. })) if lower.to_ascii_uppercase() == symbol => {
                Some(name.clone())
            }
            _ => None,
        })
}

/// The `serverShutdown` event, raw or combined.
pub(crate) fn server_shutdown(now: i64, combined: bool) -> String {
    let event = format!("{{\"e\":\"serverShutdown\",\"E\":{now}}}");
    if combined {
        format!("{{\"stream\":\"!serverShutdown\",\"data\":{event}}}")
    } else {
        event
    }
}

#[derive(Debug, Deserialize)]
enum Method {
    #[serde(rename = "SUBSCRIBE")]
    Subscribe,
    #[serde(rename = "UNSUBSCRIBE")]
    Unsubscribe,
    #[serde(rename = "LIST_SUBSCRIPTIONS")]
    ListSubscriptions,
    #[serde(rename = "SET_PROPERTY")]
    SetProperty,
    #[serde(rename = "GET_PROPERTY")]
    GetProperty,
}

#[derive(Debug, Deserialize)]
struct Request {
    method: Method,
    #[serde(default)]
    params: Option<Value>,
}

/// Answers one control message.
fn control(text: &str, subs: &mut Subscriptions<'_>, combined: &mut bool) -> String {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => return error_reply(3, &format!("Invalid JSON: {err}"), &Value::Null),
    };
    let id = value.get("id").cloned();
    let request: Request = match serde_json::from_str(text) {
        Ok(request) => request,
        Err(err) => {
            let id = id.unwrap_or(Value::Null);
            return error_reply(2, &format!("Invalid request: {err}"), &id);
        }
    };
    let id = match id {
        Some(id) if valid_id(&id) => id,
        _ => {
            return error_reply(
                2,
                "Invalid request: request ID must be an unsigned integer",
                &Value::Null,
            );
        }
    };
    let params: Vec<Value> = match request.params {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(params)) => params,
        Some(_) => return error_reply(2, "Invalid request: invalid params", &id),
    };
    match request.method {
        Method::Subscribe | Method::Unsubscribe => {
            let mut names = Vec::with_capacity(params.len());
            for param in &params {
                match param.as_str() {
                    Some(name) if parse_stream(name).is_some() => names.push(name),
                    _ => return error_reply(2, "Invalid request: invalid stream", &id),
                }
            }
            if matches!(request.method, Method::Subscribe) {
                let new: HashSet<&str> = names
                    .iter()
                    .copied()
                    .filter(|name| !subs.set.contains(*name))
                    .collect();
                if subs.set.len() + new.len() > MAX_STREAMS {
                    return error_reply(2, "Invalid request: too many streams", &id);
                }
                for name in names {
                    subs.add(name);
                }
            } else {
                for name in names {
                    subs.remove(name);
                }
            }
            result_reply(&Value::Null, &id)
        }
        Method::ListSubscriptions => {
            if !params.is_empty() {
                return error_reply(2, "Invalid request: too many parameters", &id);
            }
            result_reply(&Value::from(subs.names.clone()), &id)
        }
        Method::SetProperty => {
            if params.len() > 2 {
                return error_reply(2, "Invalid request: too many parameters", &id);
            }
            match params.first() {
                Some(Value::String(name)) if name == "combined" => match params.get(1) {
                    Some(Value::Bool(value)) => {
                        *combined = *value;
                        result_reply(&Value::Null, &id)
                    }
                    _ => error_reply(1, "Invalid value type: expected Boolean", &id),
                },
                Some(Value::String(_)) => error_reply(0, "Unknown property", &id),
                _ => error_reply(2, "Invalid request: property name must be a string", &id),
            }
        }
        Method::GetProperty => {
            if params.len() > 1 {
                return error_reply(2, "Invalid request: too many parameters", &id);
            }
            match params.first() {
                Some(Value::String(name)) if name == "combined" => {
                    result_reply(&Value::Bool(*combined), &id)
                }
                Some(Value::String(_)) => error_reply(0, "Unknown property", &id),
                _ => error_reply(2, "Invalid request: property name must be a string", &id),
            }
        }
    }
}

/// A signed 64-bit integer, an "alphanumeric" string of at most 36
/// characters, or `null`. Hyphens are accepted: binance-sdk-spot sends
/// UUIDs (`str(uuid4())`, 36 characters) and Binance answers them.
fn valid_id(id: &Value) -> bool {
    match id {
        Value::Null => true,
        Value::Number(number) => number.is_i64(),
        Value::String(text) => {
            text.len() <= 36
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
        _ => false,
    }
}

fn result_reply(result: &Value, id: &Value) -> String {
    format!("{{\"result\":{result},\"id\":{id}}}")
}

fn error_reply(code: i64, msg: &str, id: &Value) -> String {
    let msg = Value::from(msg);
    format!("{{\"error\":{{\"code\":{code},\"msg\":{msg}}},\"id\":{id}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(live: &Live, messages: &[&str]) -> Vec<String> {
        let mut subs = Subscriptions {
            live,
            names: Vec::new(),
            set: HashSet::new(),
        };
        let mut combined = false;
        messages
            .iter()
            .map(|message| control(message, &mut subs, &mut combined))
            .collect()
    }

    #[test]
    fn documented_replies() {
        let live = Live::default();
        let replies = run(
            &live,
            &[
                r#"{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@depth"],"id":1}"#,
                r#"{"method":"UNSUBSCRIBE","params":["btcusdt@depth"],"id":312}"#,
                r#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#,
                r#"{"method":"SET_PROPERTY","params":["combined",true],"id":5}"#,
                r#"{"method":"GET_PROPERTY","params":["combined"],"id":2}"#,
            ],
        );
        assert_eq!(
            replies,
            [
                r#"{"result":null,"id":1}"#,
                r#"{"result":null,"id":312}"#,
                r#"{"result":["btcusdt@aggTrade"],"id":3}"#,
                r#"{"result":null,"id":5}"#,
                r#"{"result":true,"id":2}"#,
            ]
        );
    }

    #[test]
    fn documented_errors() {
        let live = Live::default();
        let replies = run(
            &live,
            &[
                r#"{"method":"SET_PROPERTY","params":["colour",true],"id":1}"#,
                r#"{"method":"SET_PROPERTY","params":["combined","yes"],"id":2}"#,
                r#"{"method":"GET_PROPERTY","params":[7],"id":3}"#,
                r#"{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":[1]}"#,
                r#"{"method":"SUBSCRIBEX","params":[],"id":4}"#,
                r#"{"params":[],"id":5}"#,
                r#"{"method":"SUBSCRIBE","params":["!ticker@arr"],"id":6}"#,
                r#"{"method":"#,
            ],
        );
        assert_eq!(
            replies[0],
            r#"{"error":{"code":0,"msg":"Unknown property"},"id":1}"#
        );
        assert!(replies[1].contains(r#""code":1,"msg":"Invalid value type: expected Boolean""#));
        assert!(replies[2].contains("property name must be a string"));
        assert!(replies[3].contains("request ID must be an unsigned integer"));
        assert!(replies[4].contains("unknown variant `SUBSCRIBEX`, expected one of `SUBSCRIBE`"));
        assert!(replies[5].contains("missing field `method`"));
        assert!(replies[6].contains(r#""code":2,"msg":"Invalid request: invalid stream""#));
        assert!(replies[7].starts_with(r#"{"error":{"code":3,"msg":"Invalid JSON: "#));
    }

    #[test]
    fn more_than_1024_streams_are_refused() {
        let live = Live::default();
        let names: Vec<String> = (0..1025).map(|i| format!("\"s{i}usdt@trade\"")).collect();
        let first = format!(
            r#"{{"method":"SUBSCRIBE","params":[{}],"id":1}}"#,
            names[..1024].join(",")
        );
        let second = format!(
            r#"{{"method":"SUBSCRIBE","params":[{}],"id":2}}"#,
            names[1024]
        );
        let replies = run(&live, &[&first, &second]);
        assert_eq!(replies[0], r#"{"result":null,"id":1}"#);
        assert!(replies[1].contains("too many streams"));
    }
}
