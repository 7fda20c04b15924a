//! The fault-injection admin API under `/sandbox/...`, on the REST port,
//! without Binance authentication and answered only to loopback clients
//! (others get 403). Every action is also a [`crate::Sandbox`] method.
//!
//! | Request | Effect |
//! |---|---|
//! | `GET /sandbox/requests` | the request log: `[{"method","path","status","code"}]` |
//! | `POST /sandbox/clock?offsetMs=-5000` | sandbox clock = system clock + offset |
//! | `POST /sandbox/latency?ms=250` | delay every REST request and WebSocket API response |
//! | `POST /sandbox/fail?count=3&fault=429` | the next `count` requests fail: `429`, `418`, `5xx`, `timeout` |
//! | `POST /sandbox/websockets/drop` | drop every WebSocket connection now (no close frame) |
//! | `POST /sandbox/websockets/shutdown` | send `serverShutdown` on every WebSocket, then close |
//! | `POST /sandbox/deposit?asset=BTC&amount=0.5[&uid=N]` | credit a balance (`balanceUpdate` + `outboundAccountPosition`) |
//! | `POST /sandbox/withdraw?asset=BTC&amount=0.5[&uid=N]` | debit a free balance (same events) |
//!
//! Without `uid`, deposits and withdrawals go to the first configured
//! account. Answers are `{}` on success and `{"error":".."}` with status
//! 400 otherwise.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use crate::engine::HOUSE_UID;
use crate::error::ApiError;
use crate::exchange::{Exchange, Fault};

/// The `/sandbox/...` routes.
pub fn routes(exchange: Exchange) -> Router {
    Router::new()
        .route("/sandbox/requests", get(requests))
        .route("/sandbox/clock", post(clock))
        .route("/sandbox/latency", post(latency))
        .route("/sandbox/fail", post(fail))
        .route("/sandbox/websockets/drop", post(drop_websockets))
        .route("/sandbox/websockets/shutdown", post(shutdown_websockets))
        .route("/sandbox/deposit", post(deposit))
        .route("/sandbox/withdraw", post(withdraw))
        .layer(middleware::from_fn(loopback_only))
        .with_state(exchange)
}

/// Adds the configured latency before every `/api` and `/sapi` request.
pub async fn delay(State(exchange): State<Exchange>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") || path.starts_with("/sapi/") {
        let latency = exchange.live().latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }
    next.run(req).await
}

async fn loopback_only(req: Request, next: Next) -> Response {
    let remote = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    if remote.is_some_and(|addr| !addr.ip().is_loopback()) {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"error": "the admin API answers loopback clients only"})),
        )
            .into_response();
    }
    next.run(req).await
}

type Params = Query<std::collections::HashMap<String, String>>;

fn bad(msg: impl Into<String>) -> Response {
    let msg: String = msg.into();
    (StatusCode::BAD_REQUEST, Json(json!({ "error": msg }))).into_response()
}

fn done() -> Response {
    Json(json!({})).into_response()
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

async fn clock(State(exchange): State<Exchange>, Query(params): Params) -> Response {
    match params.get("offsetMs").map(|text| text.parse::<i64>()) {
        Some(Ok(offset)) => {
            exchange.set_clock_offset_ms(offset);
            done()
        }
        _ => bad("offsetMs must be an integer (milliseconds)"),
    }
}

async fn latency(State(exchange): State<Exchange>, Query(params): Params) -> Response {
    match params.get("ms").map(|text| text.parse::<u64>()) {
        Some(Ok(ms)) => {
            exchange.live().set_latency(Duration::from_millis(ms));
            done()
        }
        _ => bad("ms must be a non-negative integer"),
    }
}

/// Reads a fault name: `429`, `418`, `5xx` (or `500`), `timeout`.
pub fn parse_fault(text: &str) -> Option<Fault> {
    match text.to_ascii_lowercase().as_str() {
        "429" | "too-many-requests" => Some(Fault::TooManyRequests),
        "418" | "banned" => Some(Fault::Banned),
        "5xx" | "500" | "server-error" => Some(Fault::ServerError),
        "timeout" | "408" => Some(Fault::Timeout),
        _ => None,
    }
}

async fn fail(State(exchange): State<Exchange>, Query(params): Params) -> Response {
    let count = match params.get("count").map(|text| text.parse::<u32>()) {
        None => 1,
        Some(Ok(count)) => count,
        Some(Err(_)) => return bad("count must be a non-negative integer"),
    };
    let Some(fault) = params.get("fault").and_then(|text| parse_fault(text)) else {
        return bad("fault must be one of 429, 418, 5xx, timeout");
    };
    exchange.fail_next(count, fault);
    done()
}

async fn drop_websockets(State(exchange): State<Exchange>) -> Response {
    exchange.live().drop_all();
    done()
}

async fn shutdown_websockets(State(exchange): State<Exchange>) -> Response {
    exchange.live().server_shutdown();
    done()
}

async fn deposit(State(exchange): State<Exchange>, Query(params): Params) -> Response {
    transfer(&exchange, &params, false)
}

async fn withdraw(State(exchange): State<Exchange>, Query(params): Params) -> Response {
    transfer(&exchange, &params, true)
}

fn transfer(
    exchange: &Exchange,
    params: &std::collections::HashMap<String, String>,
    withdraw: bool,
) -> Response {
    let Some(asset) = params.get("asset").filter(|asset| !asset.is_empty()) else {
        return bad("asset is required");
    };
    let amount = match params.get("amount").map(|text| Decimal::from_str(text)) {
        Some(Ok(amount)) if amount > Decimal::ZERO => amount,
        _ => return bad("amount must be a positive decimal"),
    };
    let uid = match params.get("uid").map(|text| text.parse::<u64>()) {
        Some(Ok(uid)) => uid,
        Some(Err(_)) => return bad("uid must be an integer"),
        None => match first_account(exchange) {
            Some(uid) => uid,
            None => return bad("the sandbox has no account"),
        },
    };
    let delta = if withdraw { -amount } else { amount };
    match adjust_balance(exchange, uid, asset, delta) {
        Ok(()) => done(),
        Err(err) => bad(err.msg),
    }
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
        assert_eq!(parse_fault("404"), None);
    }
}
