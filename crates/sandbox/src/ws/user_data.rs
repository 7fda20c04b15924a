//! User data events as the WebSocket API sends them (user-data-stream.md):
//! `executionReport` (with its conditional fields: trailing, strategy,
//! self-trade prevention, working time, expiry reason), `listStatus`,
//! `outboundAccountPosition` and `balanceUpdate`, each with its fields in
//! the documented order. The engine's
//! [`AccountEvent`]s say what happened; this module only writes them.

use serde::Serialize;

use crate::engine::{Fill, Order, OrderList};
use crate::events::{AccountEvent, Prevention};
use crate::wire::dec;

/// The user data event payload (user-data-stream.md), fields in its order.
pub(crate) fn event_payload(event: &AccountEvent) -> String {
    match event {
        AccountEvent::Execution {
            execution_type,
            order,
            fill,
            time,
            execution_id,
            orig_client_order_id,
            prevention,
            ..
        } => serde_json::to_string(&ExecutionReport::new(Execution {
            execution_type,
            order,
            fill: fill.as_ref(),
            time: *time,
            execution_id: *execution_id,
            orig_client_order_id: orig_client_order_id.as_deref(),
            prevention: prevention.as_ref(),
        }))
        .unwrap_or_default(),
        AccountEvent::ListStatus {
            list,
            client_order_ids,
            time,
            ..
        } => serde_json::to_string(&ListStatus::new(list, client_order_ids, *time))
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
struct ListStatus<'a> {
    e: &'static str,
    #[serde(rename = "E")]
    time: i64,
    s: &'a str,
    g: u64,
    c: &'static str,
    l: &'static str,
    #[serde(rename = "L")]
    list_order_status: &'static str,
    r: &'static str,
    #[serde(rename = "C")]
    list_client_order_id: &'a str,
    #[serde(rename = "T")]
    transaction_time: i64,
    #[serde(rename = "O")]
    orders: Vec<ListOrder<'a>>,
}

#[derive(Serialize)]
struct ListOrder<'a> {
    s: &'a str,
    i: u64,
    c: &'a str,
}

impl<'a> ListStatus<'a> {
    fn new(list: &'a OrderList, client_order_ids: &'a [String], time: i64) -> ListStatus<'a> {
        ListStatus {
            e: "listStatus",
            time,
            s: &list.symbol,
            g: list.order_list_id,
            c: list.contingency_type,
            l: list.list_status_type,
            list_order_status: list.list_order_status,
            r: "NONE",
            list_client_order_id: &list.list_client_order_id,
            transaction_time: list.transaction_time,
            orders: list
                .order_ids
                .iter()
                .zip(client_order_ids)
                .map(|(id, client)| ListOrder {
                    s: &list.symbol,
                    i: *id,
                    c: client,
                })
                .collect(),
        }
    }
}

/// One `executionReport`'s inputs.
struct Execution<'a> {
    execution_type: &'static str,
    order: &'a Order,
    fill: Option<&'a Fill>,
    time: i64,
    execution_id: u64,
    orig_client_order_id: Option<&'a str>,
    prevention: Option<&'a Prevention>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    v: Option<u64>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<u32>,
    #[serde(rename = "D", skip_serializing_if = "Option::is_none")]
    trailing_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    j: Option<i64>,
    #[serde(rename = "J", skip_serializing_if = "Option::is_none")]
    strategy_type: Option<i64>,
    #[serde(rename = "A", skip_serializing_if = "Option::is_none")]
    prevented_qty: Option<String>,
    #[serde(rename = "B", skip_serializing_if = "Option::is_none")]
    last_prevented_qty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    u: Option<i64>,
    #[serde(rename = "U", skip_serializing_if = "Option::is_none")]
    counter_order_id: Option<u64>,
    #[serde(rename = "Cs", skip_serializing_if = "Option::is_none")]
    counter_symbol: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pl: Option<String>,
    #[serde(rename = "pL", skip_serializing_if = "Option::is_none")]
    prevented_price: Option<String>,
    #[serde(rename = "pY", skip_serializing_if = "Option::is_none")]
    prevented_quote: Option<String>,
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
    fn new(execution: Execution<'a>) -> ExecutionReport<'a> {
        let Execution {
            execution_type,
            order,
            fill,
            time,
            execution_id,
            orig_client_order_id,
            prevention,
        } = execution;
        let zero = rust_decimal::Decimal::ZERO;
        let (last_qty, last_price) = fill.map_or((zero, zero), |fill| (fill.qty, fill.price));
        let working = order.working_time != -1;
        let alloc_id = fill.and_then(|fill| fill.alloc_id);
        let trailing = order.trailing_delta.is_some();
        let expired = matches!(
            order.status,
            crate::model::OrderStatus::Expired | crate::model::OrderStatus::ExpiredInMatch
        );
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
            stop_price: dec(order.stop_price.unwrap_or(zero)),
            iceberg: dec(zero),
            g: order.order_list_id,
            orig_client_order_id: match orig_client_order_id {
                Some(id) => id,
                None if execution_type == "CANCELED" => &order.client_order_id,
                None => "",
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
            v: prevention.map(|p| p.match_id),
            execution_id,
            w: order.status.is_open() && working && !order.awaits_trigger(),
            m: fill.is_some() && working && order.working_time < time,
            ignore: false,
            created: order.time,
            cumulative_quote: dec(order.cumm_quote_qty),
            last_quote: dec(last_price * last_qty),
            quote_order_qty: dec(order.orig_quote_qty),
            d: order.trailing_delta,
            trailing_time: trailing.then_some(order.trailing_time),
            j: order.strategy_id,
            strategy_type: order.strategy_type,
            prevented_qty: prevention.map(|_| dec(order.prevented_qty)),
            last_prevented_qty: prevention.map(|p| dec(p.last_qty)),
            u: prevention.map(|_| -1),
            counter_order_id: prevention.map(|p| p.counter_order_id),
            counter_symbol: prevention.map(|p| p.counter_symbol.as_str()),
            pl: prevention.map(|p| dec(p.last_qty)),
            prevented_price: prevention.map(|p| dec(p.price)),
            prevented_quote: prevention.map(|p| dec(p.price * p.last_qty)),
            working_time: working.then_some(order.working_time),
            stp_mode: order.stp_mode.as_str(),
            b: alloc_id.map(|_| "ONE_PARTY_TRADE_REPORT"),
            a: alloc_id,
            k: order.working_floor.map(|floor| floor.as_str()),
            used_sor: order.working_floor.map(|_| true),
            expiry_reason: order
                .expiry_reason
                .filter(|_| expired)
                .map(|reason| reason.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{T0, d, engine, limit};
    use crate::engine::{ListKind, NewList, NewOrder};
    use crate::events::Event;
    use crate::model::{OrderType, Side, StpMode, TimeInForce};

    /// The payloads of `uid`'s account events.
    fn payloads(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .filter_map(|event| match event {
                Event::Account(event) => Some(event_payload(event)),
                Event::Market(_) => None,
            })
            .collect()
    }

    /// The top-level keys of a JSON object, in their order.
    fn keys(json: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let (mut depth, mut in_string, mut start) = (0, false, None);
        let bytes = json.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            match (*b, in_string) {
                (b'"', false) => {
                    in_string = true;
                    start = Some(i + 1);
                }
                (b'"', true) => {
                    in_string = false;
                    if depth == 1 && bytes.get(i + 1) == Some(&b':') {
                        keys.push(json[start.unwrap_or(i)..i].to_owned());
                    }
                }
                (b'{' | b'[', false) => depth += 1,
                (b'}' | b']', false) => depth -= 1,
                _ => {}
            }
        }
        keys
    }

    #[track_caller]
    fn check_conditional(payload: &str, present: &[&str], absent: &[&str]) {
        let keys = keys(payload);
        for key in present {
            assert!(keys.iter().any(|k| k == key), "{key} missing: {payload}");
        }
        for key in absent {
            assert!(!keys.iter().any(|k| k == key), "{key} present: {payload}");
        }
    }

    const STP_KEYS: [&str; 9] = ["v", "A", "B", "u", "U", "Cs", "pl", "pL", "pY"];

    #[test]
    fn a_plain_report_has_no_conditional_fields() {
        let mut engine = engine(false);
        let placed = engine
            .place(1, &limit(Side::Buy, "90000", "0.1", TimeInForce::Gtc), T0)
            .unwrap();
        let payload = &payloads(&placed.events)[0];
        check_conditional(payload, &["W", "V"], &STP_KEYS);
        check_conditional(payload, &[], &["d", "D", "j", "J", "eR"]);
        assert!(payload.contains(r#""x":"NEW","X":"NEW""#), "{payload}");
    }

    #[test]
    fn a_trailing_stop_shows_its_delta_and_no_working_time_yet() {
        let mut engine = engine(false);
        let mut new = NewOrder::new("BTCUSDT", Side::Sell, OrderType::StopLoss);
        new.quantity = Some(d("0.1"));
        new.trailing_delta = Some(100);
        new.strategy_type = Some(1_000_000);
        let placed = engine.place(1, &new, T0).unwrap();
        let payload = &payloads(&placed.events)[0];
        check_conditional(payload, &["d", "D", "J"], &["W", "j", "v"]);
        assert!(
            payload.contains(r#""d":100,"D":1700000000000"#),
            "{payload}"
        );
        assert!(payload.contains(r#""w":false"#), "{payload}");
    }

    #[test]
    fn prevented_matches_carry_the_stp_fields() {
        let mut engine = engine(false);
        engine
            .place(1, &limit(Side::Sell, "97000", "1", TimeInForce::Gtc), T0)
            .unwrap();
        let mut buy = limit(Side::Buy, "97000", "0.4", TimeInForce::Gtc);
        buy.stp_mode = StpMode::ExpireTaker;
        let placed = engine.place(1, &buy, T0).unwrap();
        let prevented: Vec<String> = payloads(&placed.events)
            .into_iter()
            .filter(|p| p.contains("TRADE_PREVENTION"))
            .collect();
        assert_eq!(prevented.len(), 2, "{prevented:?}");
        for payload in &prevented {
            check_conditional(payload, &STP_KEYS, &["eR"]);
            assert!(payload.contains(r#""V":"EXPIRE_TAKER""#) || payload.contains(r#""V":"NONE""#));
        }
        assert!(
            prevented[1].contains(r#""X":"EXPIRED_IN_MATCH""#),
            "{}",
            prevented[1]
        );
        assert!(
            prevented[1].contains(r#""B":"0.40000000""#),
            "{}",
            prevented[1]
        );
    }

    #[test]
    fn list_status_has_the_documented_fields_in_order() {
        let mut engine = engine(false);
        let mut above = NewOrder::new("BTCUSDT", Side::Sell, OrderType::LimitMaker);
        above.quantity = Some(d("0.1"));
        above.price = Some(d("99000"));
        let mut below = NewOrder::new("BTCUSDT", Side::Sell, OrderType::StopLoss);
        below.quantity = Some(d("0.1"));
        below.stop_price = Some(d("95000"));
        let list = NewList {
            symbol: "BTCUSDT".to_owned(),
            list_client_order_id: Some("list1".to_owned()),
            kind: ListKind::Oco { below, above },
            legacy: false,
        };
        let placed = engine.place_list(1, &list, T0).unwrap();
        let payloads = payloads(&placed.events);
        let status = payloads.iter().find(|p| p.contains("listStatus")).unwrap();
        assert_eq!(
            keys(status),
            ["e", "E", "s", "g", "c", "l", "L", "r", "C", "T", "O"]
        );
        assert!(status.contains(r#""c":"OCO","l":"EXEC_STARTED","L":"EXECUTING""#));
        // The legs' reports come first, each with the list's ID.
        assert!(payloads[0].contains(r#""o":"STOP_LOSS""#) && payloads[0].contains(r#""g":0"#));
        assert!(payloads[1].contains(r#""o":"LIMIT_MAKER""#));
    }
}
