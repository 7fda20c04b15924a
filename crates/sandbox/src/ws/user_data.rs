//! User data events as the WebSocket API sends them (user-data-stream.md):
//! `executionReport`, `outboundAccountPosition` and `balanceUpdate`, each
//! with its fields in the documented order. The engine's
//! [`AccountEvent`]s say what happened; this module only writes them.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::engine::{Fill, Order};
use crate::events::AccountEvent;
use crate::wire::dec;

static EXECUTION_ID: AtomicU64 = AtomicU64::new(1);

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
    /// Match type, for a fill by SOR.
    #[serde(skip_serializing_if = "Option::is_none")]
    b: Option<&'static str>,
    /// Allocation ID, for a fill by SOR.
    #[serde(skip_serializing_if = "Option::is_none")]
    a: Option<u64>,
    /// Working floor, for an order placed through SOR.
    #[serde(skip_serializing_if = "Option::is_none")]
    k: Option<&'static str>,
    /// Used SOR.
    #[serde(rename = "uS", skip_serializing_if = "Option::is_none")]
    used_sor: Option<bool>,
    /// Expiry reason, once the order has expired.
    #[serde(rename = "eR", skip_serializing_if = "Option::is_none")]
    expiry_reason: Option<&'static str>,
}

impl<'a> ExecutionReport<'a> {
    fn new(
        execution_type: &'static str,
        order: &'a Order,
        fill: Option<&'a Fill>,
        time: i64,
    ) -> ExecutionReport<'a> {
        let zero = rust_decimal::Decimal::ZERO;
        let (last_qty, last_price) = fill.map_or((zero, zero), |fill| (fill.qty, fill.price));
        let working = order.working_time != -1;
        let alloc_id = fill.and_then(|fill| fill.alloc_id);
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
            t: fill
                .filter(|fill| fill.alloc_id.is_none())
                .map_or(-1, |fill| fill.trade_id as i64),
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
            b: alloc_id.map(|_| "ONE_PARTY_TRADE_REPORT"),
            a: alloc_id,
            k: order.working_floor.map(|floor| floor.as_str()),
            used_sor: order.working_floor.map(|_| true),
            expiry_reason: order.expiry_reason.map(|reason| reason.as_str()),
        }
    }
}
