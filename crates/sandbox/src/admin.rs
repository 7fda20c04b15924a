//! The fault-injection admin API under `/sandbox/...`, on the REST port,
//! without Binance authentication. Every action is also a
//! [`crate::Sandbox`] method.
//!
//! | Request | Effect |
//! |---|---|
//! | `GET /sandbox/requests` | the request log: `[{"method","path","status","code"}]` |
//! | `POST /sandbox/clock?offsetMs=-5000` | sandbox clock = system clock + offset (at most ±365 days) |
//! | `POST /sandbox/latency?ms=250` | delay every REST request and WebSocket API response (at most 600000) |
//! | `POST /sandbox/fail?count=3&fault=429` | the next `count` requests fail: `429`, `418`, `5xx`, `timeout`, `lost-answer` |
//! | `GET /sandbox/faults` | `{"pending":N}`: requests still to fail |
//! | `POST /sandbox/websockets/drop` | drop every WebSocket connection now (no close frame) |
//! | `POST /sandbox/websockets/shutdown` | send `serverShutdown` on every WebSocket, then close |
//! | `POST /sandbox/ws/drop-depth-event?symbol=BTCUSDT` | every open stream connection loses its next diff-depth event of the symbol |
//! | `POST /sandbox/deposit?asset=BTC&amount=0.5[&uid=N]` | credit a balance (`balanceUpdate` + `outboundAccountPosition`) |
//! | `POST /sandbox/withdraw?asset=BTC&amount=0.5[&uid=N]` | debit a free balance (same events) |
//!
//! `fail` takes, besides `count` (1 to 1000000000, default 1) and `fault`:
//! `holdMs` (with `lost-answer`: how long the answer is held before the
//! connection is cut, 0 to 600000, default 0); `method` and `path` (only
//! that REST endpoint, e.g. `method=POST&path=/api/v3/order`) or
//! `wsMethod` (only that WebSocket API method, e.g. `order.place`).
//! Without them a fault hits any `/api` or `/sapi` request and any
//! WebSocket API request. Pending faults are counters (at most 64 rules),
//! never one entry per request.
//!
//! Without `uid`, deposits and withdrawals go to the first configured
//! account. Answers are `{}` on success and `{"error":".."}` with status
//! 400 otherwise, naming the allowed range.
//!
//! **Who may ask** (against cross-site requests and DNS rebinding: a web
//! page must not drive the sandbox from a browser): the client's address
//! is loopback, its `Host` is a loopback name (`localhost`, `*.localhost`)
//! or address (`127.0.0.0/8`, `[::1]`), and an `Origin`, if sent, is a
//! loopback one too; otherwise 403 `{"error":".."}`. The WebSocket
//! upgrades (`/ws`, `/stream`, `/ws-api/v3`) take the same `Host` and
//! `Origin` checks ([`browser_guard`]) and refuse with 403 and Binance's
//! `-1002`. Plain REST (`/api/...`) is not checked: the programs that use
//! it send no `Origin`, and a browser page cannot read the answers of a
//! cross-origin request anyway.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use crate::engine::HOUSE_UID;
use crate::error::ApiError;
use crate::exchange::{Exchange, Fault, FaultTarget, MAX_CLOCK_OFFSET_MS};
use crate::params::Params;

/// The longest `holdMs` and latency `ms`: ten minutes, past any client's
/// timeout.
pub const MAX_HOLD_MS: u64 = 600_000;
/// The largest `count` of one `fail` request.
pub const MAX_FAIL_COUNT: u64 = 1_000_000_000;
/// The largest deposit or withdrawal.
pub const MAX_TRANSFER: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// The `/sandbox/...` routes.
pub fn routes(exchange: Exchange) -> Router {
    Router::new()
        .route("/sandbox/requests", get(requests))
        .route("/sandbox/clock", post(clock))
        .route("/sandbox/latency", post(latency))
        .route("/sandbox/fail", post(fail))
        .route("/sandbox/faults", get(faults))
        .route("/sandbox/websockets/drop", post(drop_websockets))
        .route("/sandbox/websockets/shutdown", post(shutdown_websockets))
        .route("/sandbox/ws/drop-depth-event", post(drop_depth_event))
        .route("/sandbox/deposit", post(deposit))
        .route("/sandbox/withdraw", post(withdraw))
        .layer(middleware::from_fn(admin_guard))
        .with_state(exchange)
}

/// Whether a `Host` header (or an `Origin`'s host) names this machine:
/// `localhost`, `*.localhost`, `127.0.0.0/8` or `[::1]`, with any port.
///
/// ```
/// use mbx_sandbox::admin::is_loopback_host;
/// assert!(is_loopback_host("127.0.0.1:9900"));
/// assert!(is_loopback_host("[::1]:9900"));
/// assert!(is_loopback_host("LocalHost"));
/// assert!(!is_loopback_host("rebind.example.com:9900"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    if let Some(rest) = host.strip_prefix('[') {
        let Some((addr, port)) = rest.split_once(']') else {
            return false;
        };
        return is_port(port) && addr.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if is_port(&format!(":{port}")) => name,
        Some(_) => return false,
        None => host,
    };
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether an `Origin` header is a page served from this machine
/// (`http://localhost:3000`); `null` is not.
///
/// ```
/// use mbx_sandbox::admin::is_loopback_origin;
/// assert!(is_loopback_origin("http://127.0.0.1:3000"));
/// assert!(!is_loopback_origin("https://evil.example"));
/// assert!(!is_loopback_origin("null"));
/// ```
pub fn is_loopback_origin(origin: &str) -> bool {
    origin
        .split_once("://")
        .is_some_and(|(_, host)| is_loopback_host(host))
}

/// `""` or `:` followed by digits.
fn is_port(text: &str) -> bool {
    text.is_empty()
        || text
            .strip_prefix(':')
            .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
}

/// Why a request from a browser's reach is refused, if it is: a `Host`
/// that is not this machine (DNS rebinding) or an `Origin` from another
/// site (cross-site request).
fn browser_refusal(headers: &HeaderMap) -> Option<&'static str> {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok());
    if !host.is_some_and(is_loopback_host) {
        return Some("Host is not a loopback name or address");
    }
    let origin = headers.get(header::ORIGIN);
    if origin.is_some_and(|origin| !origin.to_str().is_ok_and(is_loopback_origin)) {
        return Some("Origin is not a loopback page");
    }
    None
}

/// Refuses a WebSocket upgrade whose `Host` or `Origin` is not this
/// machine's: 403 with `-1002` "You are not authorized to execute this
/// request.".
pub async fn browser_guard(req: Request, next: Next) -> Response {
    if let Some(reason) = browser_refusal(req.headers()) {
        tracing::warn!(
            path = req.uri().path(),
            "WebSocket upgrade refused: {reason}"
        );
        return ApiError::new(
            StatusCode::FORBIDDEN,
            -1002,
            "You are not authorized to execute this request.",
        )
        .into_response();
    }
    next.run(req).await
}

async fn admin_guard(req: Request, next: Next) -> Response {
    let remote = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let refusal = if remote.is_some_and(|addr| !addr.ip().is_loopback()) {
        Some("the admin API answers loopback clients only")
    } else {
        browser_refusal(req.headers()).map(|reason| match reason {
            "Origin is not a loopback page" => {
                "the admin API answers no web page but this machine's (Origin)"
            }
            _ => "the admin API answers requests addressed to a loopback host only (Host)",
        })
    };
    if let Some(reason) = refusal {
        tracing::warn!(path = req.uri().path(), "admin request refused: {reason}");
        return (StatusCode::FORBIDDEN, Json(json!({ "error": reason }))).into_response();
    }
    next.run(req).await
}

/// An admin request's parameters, by name.
type Query = HashMap<String, String>;

/// Why an admin request is refused: the text of its `{"error":..}`.
type Refusal = String;

/// Reads the query string, refusing names not in `allowed`.
fn read_query(raw: Option<String>, allowed: &[&str]) -> Result<Query, Refusal> {
    let params = Params::parse(raw.as_deref().unwrap_or(""), "").map_err(|err| err.msg)?;
    let mut query = Query::new();
    for name in allowed {
        if let Some(value) = params.get(name) {
            query.insert((*name).to_owned(), value.to_owned());
        }
    }
    if params.only(allowed).is_err() {
        return Err(format!(
            "unknown parameter; this request takes {}",
            allowed.join(", ")
        ));
    }
    Ok(query)
}

/// An integer parameter within `min..=max`, `default` when absent.
fn ranged<T>(query: &Query, name: &str, min: T, max: T, default: Option<T>) -> Result<T, Refusal>
where
    T: FromStr + PartialOrd + Copy + std::fmt::Display,
{
    let value = match (query.get(name), default) {
        (Some(text), _) => text.parse::<T>().ok(),
        (None, Some(default)) => Some(default),
        (None, None) => None,
    };
    value
        .filter(|value| *value >= min && *value <= max)
        .ok_or_else(|| format!("{name} must be an integer from {min} to {max}"))
}

fn bad(msg: impl Into<String>) -> Response {
    let msg: String = msg.into();
    (StatusCode::BAD_REQUEST, Json(json!({ "error": msg }))).into_response()
}

fn done() -> Response {
    Json(json!({})).into_response()
}

/// Runs an admin action: `{}`, or 400 with the refusal.
fn answer(action: impl FnOnce() -> Result<(), Refusal>) -> Response {
    match action() {
        Ok(()) => done(),
        Err(refusal) => bad(refusal),
    }
}

#[derive(Serialize)]
struct LogRow {
    method: String,
    path: String,
    status: u16,
    code: Option<i64>,
}

async fn requests(State(exchange): State<Exchange>) -> Response {
    let rows: Vec<LogRow> = exchange
        .request_log()
        .into_iter()
        .map(|entry| LogRow {
            method: entry.method,
            path: entry.path,
            status: entry.status,
            code: entry.code,
        })
        .collect();
    Json(rows).into_response()
}

async fn clock(State(exchange): State<Exchange>, RawQuery(raw): RawQuery) -> Response {
    answer(|| {
        let query = read_query(raw, &["offsetMs"])?;
        let offset = ranged(
            &query,
            "offsetMs",
            -MAX_CLOCK_OFFSET_MS,
            MAX_CLOCK_OFFSET_MS,
            None,
        )?;
        exchange.set_clock_offset_ms(offset);
        Ok(())
    })
}

async fn latency(State(exchange): State<Exchange>, RawQuery(raw): RawQuery) -> Response {
    answer(|| {
        let query = read_query(raw, &["ms"])?;
        let ms = ranged(&query, "ms", 0, MAX_HOLD_MS, None)?;
        exchange.live().set_latency(Duration::from_millis(ms));
        Ok(())
    })
}

/// Reads a fault name: `429`, `418`, `5xx` (or `500`), `timeout`,
/// `lost-answer` (with no hold: the connection is cut at once).
pub fn parse_fault(text: &str) -> Option<Fault> {
    match text.to_ascii_lowercase().as_str() {
        "429" | "too-many-requests" => Some(Fault::TooManyRequests),
        "418" | "banned" => Some(Fault::Banned),
        "5xx" | "500" | "server-error" => Some(Fault::ServerError),
        "timeout" | "408" => Some(Fault::Timeout),
        "lost-answer" => Some(Fault::LostAnswer {
            hold: Duration::ZERO,
        }),
        _ => None,
    }
}

/// The fault names `parse_fault` reads, for messages.
pub const FAULT_NAMES: &str = "429, 418, 5xx, timeout, lost-answer";

async fn fail(State(exchange): State<Exchange>, RawQuery(raw): RawQuery) -> Response {
    answer(|| {
        let query = read_query(
            raw,
            &["count", "fault", "holdMs", "method", "path", "wsMethod"],
        )?;
        let count = ranged(&query, "count", 1, MAX_FAIL_COUNT, Some(1))?;
        let Some(mut fault) = query.get("fault").and_then(|text| parse_fault(text)) else {
            return Err(format!("fault must be one of {FAULT_NAMES}"));
        };
        if query.contains_key("holdMs") {
            let Fault::LostAnswer { hold } = &mut fault else {
                return Err("holdMs goes with fault=lost-answer only".to_owned());
            };
            *hold = Duration::from_millis(ranged(&query, "holdMs", 0, MAX_HOLD_MS, None)?);
        }
        let target = fault_target(&query)?;
        exchange
            .fail_next_on(count, fault, target)
            .map_err(|err| err.to_string())?;
        Ok(())
    })
}

/// `method` with `path`, `wsMethod`, or neither.
fn fault_target(query: &Query) -> Result<FaultTarget, Refusal> {
    match (
        query.get("method"),
        query.get("path"),
        query.get("wsMethod"),
    ) {
        (None, None, None) => Ok(FaultTarget::Any),
        (Some(method), Some(path), None) => {
            let method = method.to_ascii_uppercase();
            if crate::ops::find_rest(&method, path).is_none() {
                return Err(format!(
                    "the sandbox serves no {method} {path}; method and path name one REST endpoint, e.g. method=POST&path=/api/v3/order"
                ));
            }
            Ok(FaultTarget::rest(&method, path))
        }
        (None, None, Some(ws_method)) => {
            let target = FaultTarget::ws_api(ws_method);
            let FaultTarget::WsApi { method } = &target else {
                return Err("wsMethod names one WebSocket API method".to_owned());
            };
            if !crate::ws::is_api_method(method) {
                return Err(format!(
                    "the WebSocket API has no method {method}; wsMethod names one, e.g. order.place"
                ));
            }
            Ok(target)
        }
        _ => Err(
            "give method and path (a REST endpoint) or wsMethod (a WebSocket API method), not both"
                .to_owned(),
        ),
    }
}

async fn faults(State(exchange): State<Exchange>) -> Response {
    Json(json!({ "pending": exchange.pending_faults() })).into_response()
}

async fn drop_websockets(State(exchange): State<Exchange>) -> Response {
    exchange.live().drop_all();
    done()
}

async fn shutdown_websockets(State(exchange): State<Exchange>) -> Response {
    exchange.live().server_shutdown();
    done()
}

async fn drop_depth_event(State(exchange): State<Exchange>, RawQuery(raw): RawQuery) -> Response {
    answer(|| {
        let query = read_query(raw, &["symbol"])?;
        let Some(symbol) = query.get("symbol") else {
            return Err("symbol is required, e.g. symbol=BTCUSDT".to_owned());
        };
        if exchange.engine().market().get(symbol).is_none() {
            return Err(format!("the sandbox lists no symbol {symbol}"));
        }
        exchange.live().drop_depth_event(symbol);
        Ok(())
    })
}

async fn deposit(State(exchange): State<Exchange>, RawQuery(raw): RawQuery) -> Response {
    transfer(&exchange, raw, false)
}

async fn withdraw(State(exchange): State<Exchange>, RawQuery(raw): RawQuery) -> Response {
    transfer(&exchange, raw, true)
}

fn transfer(exchange: &Exchange, raw: Option<String>, withdraw: bool) -> Response {
    answer(|| {
        let query = read_query(raw, &["asset", "amount", "uid"])?;
        let Some(asset) = query
            .get("asset")
            .filter(|asset| (1..=20).contains(&asset.chars().count()))
        else {
            return Err("asset is required (1 to 20 characters)".to_owned());
        };
        let amount = match query
            .get("amount")
            .map(|text| crate::params::parse_decimal("amount", text))
        {
            Some(Ok(amount)) if amount > Decimal::ZERO && amount <= MAX_TRANSFER => amount,
            _ => {
                return Err(format!(
                    "amount must be a decimal (like 0.5) greater than 0 and at most {MAX_TRANSFER}"
                ));
            }
        };
        let uid = match query.get("uid").map(|text| text.parse::<u64>()) {
            Some(Ok(uid)) => uid,
            Some(Err(_)) => return Err("uid must be an integer".to_owned()),
            None => match first_account(exchange) {
                Some(uid) => uid,
                None => return Err("the sandbox has no account".to_owned()),
            },
        };
        let delta = if withdraw { -amount } else { amount };
        adjust_balance(exchange, uid, asset, delta).map_err(|err| err.msg)?;
        Ok(())
    })
}

fn first_account(exchange: &Exchange) -> Option<u64> {
    exchange
        .engine()
        .accounts()
        .map(|account| account.uid)
        .find(|uid| *uid != HOUSE_UID)
}

/// Moves `delta` into (or, negative, out of) the free balance of `asset`
/// and tells user data subscribers (`balanceUpdate`, then
/// `outboundAccountPosition`).
pub(crate) fn adjust_balance(
    exchange: &Exchange,
    uid: u64,
    asset: &str,
    delta: Decimal,
) -> Result<(), ApiError> {
    let asset = asset.to_ascii_uppercase();
    let now = exchange.now_ms();
    exchange.engine().adjust_balance(uid, &asset, delta, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_names() {
        assert_eq!(parse_fault("429"), Some(Fault::TooManyRequests));
        assert_eq!(parse_fault("418"), Some(Fault::Banned));
        assert_eq!(parse_fault("5xx"), Some(Fault::ServerError));
        assert_eq!(parse_fault("TIMEOUT"), Some(Fault::Timeout));
        assert_eq!(
            parse_fault("lost-answer"),
            Some(Fault::LostAnswer {
                hold: Duration::ZERO
            })
        );
        assert_eq!(parse_fault("404"), None);
    }

    #[track_caller]
    fn check_host(host: &str, loopback: bool) {
        assert_eq!(is_loopback_host(host), loopback, "{host}");
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:80",
            "127.1.2.3:9900",
            "localhost",
            "localhost:9900",
            "LOCALHOST.:1",
            "app.localhost:3000",
            "[::1]",
            "[::1]:9900",
        ] {
            check_host(host, true);
        }
        for host in [
            "",
            "example.com",
            "localhost.example.com:9900",
            "127.0.0.1.nip.io:9900",
            "10.0.0.1:9900",
            "[::2]:9900",
            "[::1",
            "127.0.0.1:port",
            "localhost:",
            "0.0.0.0:9900",
        ] {
            check_host(host, false);
        }
    }

    #[test]
    fn loopback_origins() {
        assert!(is_loopback_origin("http://localhost:3000"));
        assert!(is_loopback_origin("https://[::1]"));
        assert!(!is_loopback_origin("http://localhost.evil.example"));
        assert!(!is_loopback_origin("localhost"));
        assert!(!is_loopback_origin("null"));
    }

    #[test]
    fn browser_requests_need_loopback_host_and_origin() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, value.parse().unwrap());
            }
            map
        };
        assert_eq!(browser_refusal(&headers(&[("host", "127.0.0.1:1")])), None);
        assert!(browser_refusal(&headers(&[])).is_some());
        assert!(browser_refusal(&headers(&[("host", "evil.example:1")])).is_some());
        assert!(
            browser_refusal(&headers(&[
                ("host", "127.0.0.1:1"),
                ("origin", "https://evil.example")
            ]))
            .is_some()
        );
        assert_eq!(
            browser_refusal(&headers(&[
                ("host", "localhost:1"),
                ("origin", "http://localhost:5173")
            ])),
            None
        );
    }
}
