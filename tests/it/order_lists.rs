//! `mbx order oco|oto|otoco`, `mbx order list status|cancel`,
//! `mbx orders --lists` and `mbx order amend` against the sandbox: lists
//! placed, listed, queried and canceled; a leg that breaks a filter refused
//! before sending, by name; amendments that keep the order; and a list or
//! an amendment whose answer is lost (the sandbox's `lost-answer` fault),
//! reported once and made once; an amendment over the WebSocket API.
// See: issue "Trading, safely"

use std::time::Duration;

use mbx_sandbox::{Fault, FaultTarget};
use serde_json::Value;

use crate::balances::Running;
use crate::orders::{json, mbx_order, suggested};

/// A SELL OCO resting on both sides of the market (about 97,000).
fn oco_args<'a>(list_client_id: &'a str, below_price: &'a str) -> Vec<&'a str> {
    vec![
        "order",
        "oco",
        "BTCUSDT",
        "sell",
        "0.001",
        "--above-type",
        "limit-maker",
        "--above-price",
        "150000",
        "--below-type",
        "stop-loss-limit",
        "--below-stop-price",
        "60000",
        "--below-price",
        below_price,
        "--list-client-id",
        list_client_id,
    ]
}

/// Requests the sandbox saw with this method and path.
fn requests(running: &Running, method: &str, path: &str) -> usize {
    running
        .log()
        .iter()
        .filter(|entry| entry.0 == method && entry.1 == path)
        .count()
}

/// The lists of every status with this client id (`orders --lists --all`).
fn lists_with_id(running: &Running, list_client_id: &str) -> usize {
    let out = mbx_order(running, &["orders", "--lists", "--all", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    json(&out)
        .as_array()
        .expect("an array")
        .iter()
        .filter(|list| list["listClientOrderId"] == list_client_id)
        .count()
}

#[test]
fn an_oco_is_placed_listed_queried_and_canceled_from_the_cli() {
    let running = Running::demo();
    let out = mbx_order(&running, &oco_args("e2e-oco-1", "59000"));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains(
            "sending order list `e2e-oco-1`: OCO BTCUSDT: above SELL 0.001 LIMIT_MAKER at 150000 (`mbx-"
        ),
        "the ids are shown before sending: {}",
        out.stderr
    );
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("LIST ID  LIST CLIENT ID"),
        "{}",
        out.stdout
    );
    assert_eq!(lines.len(), 3, "a row per order: {}", out.stdout);
    assert!(
        lines[1..]
            .iter()
            .all(|line| line.contains("e2e-oco-1") && line.ends_with("NEW")),
        "{}",
        out.stdout
    );

    // Seen among the open lists, as a table, JSON and CSV.
    let out = mbx_order(&running, &["orders", "--lists", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let open = json(&out);
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    assert_eq!(open[0]["listClientOrderId"], "e2e-oco-1");
    assert_eq!(open[0]["contingencyType"], "OCO");
    let list_id = open[0]["orderListId"].as_i64().unwrap().to_string();
    let out = mbx_order(
        &running,
        &["orders", "BTCUSDT", "--lists", "--format", "csv"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .starts_with("LIST ID,LIST CLIENT ID,KIND,LIST STATUS,ORDER ID"),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.matches("e2e-oco-1").count(), 2, "{}", out.stdout);

    // Queried by either id.
    let out = mbx_order(
        &running,
        &[
            "order",
            "list",
            "status",
            "BTCUSDT",
            "--list-id",
            &list_id,
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let status = json(&out);
    assert_eq!(status[0]["listClientOrderId"], "e2e-oco-1");
    assert_eq!(status[0]["listOrderStatus"], "EXECUTING");
    assert_eq!(status[0]["orders"].as_array().unwrap().len(), 2);

    // Asked for on another symbol: refused, naming the list's own symbol
    // (`orderList` takes no symbol, the command does).
    let out = mbx_order(
        &running,
        &[
            "order",
            "list",
            "status",
            "ETHUSDT",
            "--list-id",
            &list_id,
            "--json",
        ],
    );
    assert_eq!(out.code, 2, "{out:?}");
    let error = json(&out);
    assert!(
        error["msg"]
            .as_str()
            .is_some_and(|msg| msg.contains("is on BTCUSDT, not on ETHUSDT")),
        "{error}"
    );

    // Canceled: both orders go, and no open list is left.
    let out = mbx_order(
        &running,
        &[
            "order",
            "list",
            "cancel",
            "BTCUSDT",
            "--list-client-id",
            "e2e-oco-1",
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let canceled = json(&out);
    assert_eq!(canceled[0]["listOrderStatus"], "ALL_DONE");
    let statuses: Vec<&Value> = canceled[0]["orderReports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|report| &report["status"])
        .collect();
    assert_eq!(statuses, ["CANCELED", "CANCELED"], "{canceled}");
    let out = mbx_order(&running, &["orders", "--lists"]);
    assert_eq!(
        (out.code, out.stdout.trim()),
        (0, "no open order lists"),
        "{out:?}"
    );
    let out = mbx_order(&running, &["orders", "BTCUSDT", "--json"]);
    assert_eq!(json(&out), serde_json::json!([]), "no order left open");
    assert_eq!(lists_with_id(&running, "e2e-oco-1"), 1, "in the history");

    // A list that does not exist is Binance's -2013, exit 1.
    let out = mbx_order(
        &running,
        &[
            "order",
            "list",
            "status",
            "BTCUSDT",
            "--list-client-id",
            "nope",
        ],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("-2013"), "{}", out.stderr);
}

#[test]
fn an_oto_rests_its_working_order_and_holds_the_pending_one() {
    let running = Running::demo();
    let out = mbx_order(
        &running,
        &[
            "order",
            "oto",
            "BTCUSDT",
            "buy",
            "0.001",
            "--working-price",
            "50000",
            "--pending-type",
            "limit-maker",
            "--pending-price",
            "150000",
            "--list-client-id",
            "e2e-oto-1",
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let placed = json(&out);
    assert_eq!(placed["outcome"], "placed");
    assert_eq!(placed["confirmation"], "answered");
    let list = &placed["orderList"];
    assert_eq!(list["contingencyType"], "OTO");
    assert_eq!(list["listClientOrderId"], "e2e-oto-1");
    let reports: Vec<(&Value, &Value, &Value)> = list["orderReports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|report| (&report["side"], &report["type"], &report["status"]))
        .collect();
    assert_eq!(
        reports,
        [
            (&"BUY".into(), &"LIMIT".into(), &"NEW".into()),
            (&"SELL".into(), &"LIMIT_MAKER".into(), &"PENDING_NEW".into()),
        ],
        "{list}"
    );
    assert_eq!(requests(&running, "POST", "/api/v3/orderList/oto"), 1);
    // An OTOCO with the OPO rule next to it: three orders, no pending
    // quantity sent.
    let out = mbx_order(
        &running,
        &[
            "order",
            "otoco",
            "BTCUSDT",
            "buy",
            "0.001",
            "--working-price",
            "50000",
            "--pending-above-type",
            "limit-maker",
            "--pending-above-price",
            "150000",
            "--pending-below-type",
            "stop-loss",
            "--pending-below-stop-price",
            "40000",
            "--opo",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("OPOCO BTCUSDT: working BUY 0.001 LIMIT at 50000"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout.lines().count(), 4, "{}", out.stdout);
    assert_eq!(requests(&running, "POST", "/api/v3/orderList/opoco"), 1);
    let out = mbx_order(&running, &["orders", "--lists", "--json"]);
    assert_eq!(json(&out).as_array().unwrap().len(), 2);
}

#[test]
fn a_list_whose_leg_breaks_a_filter_is_refused_before_sending_naming_the_leg_and_filter() {
    let running = Running::demo();
    // 5,000 is far below the band around the market for a sell.
    let mut args = oco_args("e2e-refused-1", "5000");
    args.push("--json");
    let out = mbx_order(&running, &args);
    assert_eq!(out.code, 2, "{out:?}");
    let error = json(&out);
    assert_eq!(error["category"], "usage");
    let msg = error["msg"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "refused before sending: the below order: PERCENT_PRICE_BY_SIDE: price 5000"
        ),
        "{msg}"
    );
    assert_eq!(requests(&running, "POST", "/api/v3/orderList/oco"), 0);
    // The flag the hint names, with its value, is accepted.
    let suggestion = suggested(error["hint"].as_str().unwrap());
    assert_eq!(suggestion.len(), 1, "{error}");
    assert_eq!(suggestion[0].0, "--below-price");
    let out = mbx_order(&running, &oco_args("e2e-refused-2", &suggestion[0].1));
    assert_eq!(out.code, 0, "{} → {out:?}", suggestion[0].1);
    assert_eq!(requests(&running, "POST", "/api/v3/orderList/oco"), 1);
    assert_eq!(lists_with_id(&running, "e2e-refused-1"), 0);
}

#[test]
fn an_amendment_reduces_the_quantity_and_keeps_the_order() {
    let running = Running::demo();
    let out = mbx_order(
        &running,
        &[
            "order",
            "buy",
            "BTCUSDT",
            "0.002",
            "--price",
            "50000",
            "--client-id",
            "e2e-amend-1",
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let order_id = json(&out)["order"]["orderId"].as_u64().unwrap();
    let out = mbx_order(
        &running,
        &[
            "order",
            "amend",
            "BTCUSDT",
            "--client-id",
            "e2e-amend-1",
            "--quantity",
            "0.001",
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let amended = json(&out);
    assert_eq!(amended["outcome"], "amended");
    let order = &amended["amendment"]["amendedOrder"];
    assert_eq!(order["orderId"].as_u64(), Some(order_id), "same order");
    assert_eq!(order["qty"], "0.00100000");
    assert_eq!(order["origClientOrderId"], "e2e-amend-1");
    let new_id = order["clientOrderId"].as_str().unwrap().to_owned();
    let out = mbx_order(
        &running,
        &[
            "order",
            "status",
            "BTCUSDT",
            "--id",
            &order_id.to_string(),
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let status = json(&out);
    assert_eq!(status[0]["origQty"], "0.00100000");
    assert_eq!(status[0]["status"], "NEW");
    assert_eq!(status[0]["clientOrderId"], new_id.as_str());
    // Growing it is refused before anything is sent.
    let out = mbx_order(
        &running,
        &[
            "order",
            "amend",
            "BTCUSDT",
            "--id",
            &order_id.to_string(),
            "--quantity",
            "0.003",
        ],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("only reduces"), "{}", out.stderr);
    assert_eq!(
        requests(&running, "PUT", "/api/v3/order/amend/keepPriority"),
        1
    );
}

#[test]
fn an_order_list_whose_answer_is_lost_is_reported_once_and_exists_once() {
    let running = Running::demo();
    // Only the list's POST loses its answer: the rules, prices and lookups
    // go through.
    running
        .sandbox()
        .fail_next_on(
            1,
            Fault::LostAnswer {
                hold: Duration::ZERO,
            },
            FaultTarget::rest("POST", "/api/v3/orderList/oco"),
        )
        .unwrap();
    let mut args = oco_args("e2e-lost-1", "59000");
    args.push("--json");
    let out = mbx_order(&running, &args);
    assert_eq!(out.code, 0, "{out:?}");
    let placed = json(&out);
    assert_eq!(placed["outcome"], "placed");
    assert_eq!(placed["confirmation"], "looked_up");
    assert_eq!(placed["orderList"]["listClientOrderId"], "e2e-lost-1");
    assert!(
        out.stderr
            .contains("outcome of order list `e2e-lost-1` is unknown"),
        "{}",
        out.stderr
    );
    assert_eq!(lists_with_id(&running, "e2e-lost-1"), 1, "exists once");
    assert!(
        requests(&running, "GET", "/api/v3/orderList") >= 1,
        "looked up"
    );

    // The same in text: reported once, as placed, never as failed.
    running
        .sandbox()
        .fail_next_on(
            1,
            Fault::LostAnswer {
                hold: Duration::ZERO,
            },
            FaultTarget::rest("POST", "/api/v3/orderList/oco"),
        )
        .unwrap();
    let out = mbx_order(&running, &oco_args("e2e-lost-2", "59000"));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout.matches("e2e-lost-2").count(),
        2,
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("the answer was lost"), "{}", out.stderr);
    assert!(!out.stderr.contains("failed"), "{}", out.stderr);
    assert_eq!(lists_with_id(&running, "e2e-lost-2"), 1);
    let out = mbx_order(&running, &["orders", "--lists", "--json"]);
    assert_eq!(
        json(&out).as_array().unwrap().len(),
        2,
        "two lists, not more"
    );
}

#[test]
fn an_amendment_whose_answer_is_lost_is_found_and_made_once() {
    let running = Running::demo();
    let out = mbx_order(
        &running,
        &[
            "order",
            "buy",
            "BTCUSDT",
            "0.003",
            "--price",
            "50000",
            "--client-id",
            "e2e-amend-lost",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    running
        .sandbox()
        .fail_next_on(
            1,
            Fault::LostAnswer {
                hold: Duration::ZERO,
            },
            FaultTarget::rest("PUT", "/api/v3/order/amend/keepPriority"),
        )
        .unwrap();
    let out = mbx_order(
        &running,
        &[
            "order",
            "amend",
            "BTCUSDT",
            "--client-id",
            "e2e-amend-lost",
            "--quantity",
            "0.002",
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let amended = json(&out);
    assert_eq!(amended["confirmation"], "looked_up");
    assert_eq!(amended["amendment"]["amendedOrder"]["qty"], "0.00200000");
    let new_id = amended["amendment"]["amendedOrder"]["clientOrderId"]
        .as_str()
        .unwrap()
        .to_owned();
    // Made once: one amendment on the order.
    let out = mbx_order(
        &running,
        &[
            "api",
            "GET",
            "/api/v3/order/amendments",
            "--signed",
            "-p",
            "symbol=BTCUSDT",
            "-p",
            &format!(
                "orderId={}",
                amended["amendment"]["amendedOrder"]["orderId"]
            ),
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let amendments = json(&out);
    assert_eq!(amendments.as_array().unwrap().len(), 1, "{amendments}");
    assert_eq!(amendments[0]["newClientOrderId"], new_id.as_str());
}

#[test]
fn an_amendment_over_the_web_socket_api_keeps_the_order() {
    let running = Running::demo();
    let out = mbx_order(
        &running,
        &[
            "order",
            "buy",
            "BTCUSDT",
            "0.002",
            "--price",
            "50000",
            "--client-id",
            "e2e-ws-amend-1",
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let order_id = json(&out)["order"]["orderId"].as_u64().unwrap();
    let out = mbx_order(
        &running,
        &[
            "order",
            "amend",
            "BTCUSDT",
            "--client-id",
            "e2e-ws-amend-1",
            "--quantity",
            "0.0015",
            "--ws",
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let amended = json(&out);
    assert_eq!(amended["outcome"], "amended");
    assert_eq!(amended["confirmation"], "answered");
    let order = &amended["amendment"]["amendedOrder"];
    assert_eq!(order["orderId"].as_u64(), Some(order_id), "same order");
    assert_eq!(order["qty"], "0.00150000");
    assert_eq!(order["origClientOrderId"], "e2e-ws-amend-1");
    let log = running.log();
    let over_ws = log
        .iter()
        .filter(|entry| entry.1 == "/ws-api/v3/order.amend.keepPriority")
        .count();
    assert_eq!(over_ws, 1, "sent once over the WebSocket API: {log:?}");
    assert_eq!(
        requests(&running, "PUT", "/api/v3/order/amend/keepPriority"),
        0,
        "nothing over REST"
    );
    let out = mbx_order(
        &running,
        &[
            "order",
            "status",
            "BTCUSDT",
            "--id",
            &order_id.to_string(),
            "--json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let status = json(&out);
    assert_eq!(status[0]["origQty"], "0.00150000");
    assert_eq!(status[0]["status"], "NEW");
}

#[test]
fn an_order_list_over_the_web_socket_api_whose_answer_is_lost_exists_once() {
    let running = Running::demo();
    running
        .sandbox()
        .fail_next_on(
            1,
            Fault::LostAnswer {
                hold: Duration::ZERO,
            },
            FaultTarget::ws_api("orderList.place.oco"),
        )
        .unwrap();
    let mut args = oco_args("e2e-ws-lost-1", "59000");
    args.extend(["--ws", "--json"]);
    let out = mbx_order(&running, &args);
    assert_eq!(out.code, 0, "{out:?}");
    let placed = json(&out);
    assert_eq!(placed["confirmation"], "looked_up");
    assert_eq!(placed["orderList"]["listClientOrderId"], "e2e-ws-lost-1");
    let log = running.log();
    let sent = log
        .iter()
        .filter(|entry| entry.1 == "/ws-api/v3/orderList.place.oco")
        .count();
    assert_eq!(sent, 1, "sent once: {log:?}");
    assert!(
        log.iter()
            .any(|entry| entry.1 == "/ws-api/v3/orderList.status"),
        "looked up over the WebSocket API: {log:?}"
    );
    assert_eq!(lists_with_id(&running, "e2e-ws-lost-1"), 1, "exists once");
}
