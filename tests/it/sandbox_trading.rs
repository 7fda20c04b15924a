//! Stop orders, order lists, Order Amend Keep Priority and self-trade
//! prevention against the sandbox, through the real REST client
//! (`RestClient::send`) and the real WebSocket API client
//! (`WsApi::signed_request`, user data events).
//!
//! The sandbox's synthetic book sits one tick either side of the walk's
//! price and the walk moves every second. The tests make the walk move by
//! moving the sandbox clock (`set_clock_offset_ms`) rather than waiting;
//! where a scenario needs the book to stay put between two requests, an
//! attempt the walk disturbed is recognised from the answers and tried
//! again. Nothing asserts on elapsed time.

use std::time::Duration;

use mbx_adapters_rest::{ClientConfig, Request, RestClient};
use mbx_adapters_ws::{ApiConfig, WsApi};
use mbx_domain::Error;
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::feed::UserItem;
use mbx_domain::stream::{ExecutionReport, UserEvent};
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig};
use mbx_signing::{HmacKey, Signer};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

/// How long to wait for one user data event; generous for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(30);
const TICK: &str = "0.01";

fn credentials() -> Credentials {
    Credentials::new(
        ApiKey::new(DEMO_API_KEY).unwrap(),
        Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
    )
}

fn rest(sandbox: &Sandbox) -> RestClient {
    RestClient::new(
        ClientConfig::new(&sandbox.rest_url()).unwrap(),
        Some(credentials()),
    )
    .unwrap()
}

async fn ws(sandbox: &Sandbox) -> (WsApi, mpsc::Receiver<UserItem>) {
    WsApi::connect(ApiConfig::new(sandbox.ws_api_url()), Some(credentials()))
        .await
        .unwrap()
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// A signed REST call; the JSON answer or the client's error.
async fn call(
    rest: &RestClient,
    method: &str,
    path: &str,
    params: &[(&str, String)],
) -> Result<Value, Error> {
    let mut request = Request::new(method, path).unwrap().signed();
    for (name, value) in params {
        request = request.param(name, value.clone());
    }
    let response = rest.send(request).await?;
    Ok(serde_json::from_str(&response.body).unwrap())
}

/// A signed WebSocket API call; the `result` or the client's error.
async fn ws_call(api: &WsApi, method: &str, params: Value) -> Result<Value, Error> {
    let params: Map<String, Value> = params.as_object().cloned().unwrap_or_default();
    api.signed_request(method, params)
        .await
        .map(|reply| reply.result)
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

fn dec(value: &Value) -> Decimal {
    d(value.as_str().unwrap())
}

/// The walk's price now: one tick above the best synthetic bid.
async fn mid(rest: &RestClient) -> Decimal {
    let book = rest
        .send(Request::get("/api/v3/ticker/bookTicker").param("symbol", "BTCUSDT"))
        .await
        .unwrap();
    let book: Value = serde_json::from_str(&book.body).unwrap();
    dec(&book["bidPrice"]) + d(TICK)
}

async fn order(rest: &RestClient, order_id: u64) -> Value {
    call(
        rest,
        "GET",
        "/api/v3/order",
        &[
            ("symbol", "BTCUSDT".into()),
            ("orderId", order_id.to_string()),
        ],
    )
    .await
    .unwrap()
}

/// The next user data event.
async fn next_event(items: &mut mpsc::Receiver<UserItem>) -> UserEvent {
    loop {
        let item = tokio::time::timeout(PATIENCE, items.recv())
            .await
            .expect("a user data event in time")
            .expect("the connection goes on");
        if let UserItem::Event { event, .. } = item {
            return event;
        }
    }
}

/// Execution reports until `done` says the last one ends the wait.
async fn reports_until(
    items: &mut mpsc::Receiver<UserItem>,
    done: impl Fn(&ExecutionReport) -> bool,
) -> Vec<ExecutionReport> {
    let mut reports = Vec::new();
    loop {
        if let UserEvent::ExecutionReport(report) = next_event(items).await {
            let finished = done(&report);
            reports.push(*report);
            if finished {
                return reports;
            }
        }
    }
}

/// Moves the sandbox clock on in 10-second steps until `settled` says so
/// (at most a simulated hour): the walk moves, the engine follows.
async fn move_market_until<F: AsyncFnMut() -> bool>(sandbox: &Sandbox, mut settled: F) {
    for step in 1..=360 {
        sandbox.set_clock_offset_ms(step * 10_000);
        if settled().await {
            return;
        }
    }
    panic!("the walk never settled it in a simulated hour");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_loss_triggers_when_the_walk_crosses_it() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let rest = rest(&sandbox);
    let (api, mut items) = ws(&sandbox).await;
    api.subscribe_user_data().await.unwrap();
    // A sell stop one tick under the price and a buy stop one tick over it:
    // the walk's next move triggers one of them. The walk may move between
    // reading the price and placing: then the stop is already met.
    let (sell, buy) = loop {
        let price = mid(&rest).await;
        let sell = call(
            &rest,
            "POST",
            "/api/v3/order",
            &[
                ("symbol", "BTCUSDT".into()),
                ("side", "SELL".into()),
                ("type", "STOP_LOSS".into()),
                ("quantity", "0.001".into()),
                ("stopPrice", (price - d(TICK)).to_string()),
            ],
        )
        .await;
        let buy = ws_call(
            &api,
            "order.place",
            json!({"symbol": "BTCUSDT", "side": "BUY", "type": "STOP_LOSS",
                   "quantity": "0.001", "stopPrice": (price + d(TICK)).to_string()}),
        )
        .await;
        match (sell, buy) {
            (Ok(sell), Ok(buy)) => break (sell, buy),
            (sell, buy) => {
                for err in [sell.err(), buy.err()].into_iter().flatten() {
                    assert_eq!(err.code(), Some(-2010), "{err}");
                }
                call(
                    &rest,
                    "DELETE",
                    "/api/v3/openOrders",
                    &[("symbol", "BTCUSDT".into())],
                )
                .await
                .ok();
            }
        }
    };
    // Stop orders answer ACK by default.
    assert!(sell.get("status").is_none(), "{sell}");
    assert!(buy.get("status").is_none(), "{buy}");
    let ids = [
        sell["orderId"].as_u64().unwrap(),
        buy["orderId"].as_u64().unwrap(),
    ];
    let waiting = order(&rest, ids[0]).await;
    assert_eq!(
        (&waiting["status"], &waiting["isWorking"], &waiting["type"]),
        (&json!("NEW"), &json!(false), &json!("STOP_LOSS"))
    );
    let mut triggered = None;
    move_market_until(&sandbox, async || {
        for id in ids {
            if order(&rest, id).await["status"] != "NEW" {
                triggered = Some(id);
                return true;
            }
        }
        false
    })
    .await;
    let id = triggered.unwrap();
    let done = order(&rest, id).await;
    assert_eq!(done["status"], "FILLED", "{done}");
    assert_eq!(dec(&done["executedQty"]), d("0.001"));
    // Its reports: NEW waiting, NEW working once triggered, then the trade
    // (which leaves nothing on the book).
    let reports = reports_until(&mut items, |report| {
        report.order_id == id && report.execution_type == "TRADE"
    })
    .await;
    let mine: Vec<(&str, &str, bool)> = reports
        .iter()
        .filter(|report| report.order_id == id)
        .map(|report| {
            (
                report.execution_type.as_str(),
                report.order_status.as_str(),
                report.is_on_book,
            )
        })
        .collect();
    assert_eq!(
        mine,
        [
            ("NEW", "NEW", false),
            ("NEW", "NEW", true),
            ("TRADE", "FILLED", false)
        ]
    );
    api.close().await;
}

/// Places a SELL OCO over the WebSocket API: a `LIMIT_MAKER` `above` and a
/// `STOP_LOSS` `below` the price; `None` if the walk moved in between.
async fn place_sell_oco(api: &WsApi, above: Decimal, below: Decimal) -> Option<Value> {
    let placed = ws_call(
        api,
        "orderList.place.oco",
        json!({"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.001",
               "aboveType": "LIMIT_MAKER", "abovePrice": above.to_string(),
               "belowType": "STOP_LOSS", "belowStopPrice": below.to_string(),
               "newOrderRespType": "RESULT"}),
    )
    .await;
    match placed {
        Ok(placed) => Some(placed),
        // -1166/-1197: the price rules, -2010: the maker leg would take.
        Err(err) if matches!(err.code(), Some(-1166 | -1197 | -2010)) => None,
        Err(err) => panic!("{err}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oco_expires_its_other_leg_when_one_leg_fills() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let rest = rest(&sandbox);
    let (api, mut items) = ws(&sandbox).await;
    api.subscribe_user_data().await.unwrap();
    let placed = loop {
        let price = mid(&rest).await;
        if let Some(placed) = place_sell_oco(&api, price + d(TICK), price - d(TICK)).await {
            break placed;
        }
    };
    assert_eq!(placed["contingencyType"], "OCO");
    assert_eq!(placed["listOrderStatus"], "EXECUTING");
    let reports = placed["orderReports"].as_array().unwrap();
    let kinds: Vec<&str> = reports
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["STOP_LOSS", "LIMIT_MAKER"]);
    let ids: Vec<u64> = reports
        .iter()
        .map(|r| r["orderId"].as_u64().unwrap())
        .collect();
    let list_id = placed["orderListId"].as_u64().unwrap();
    // One BTC lock for both legs.
    let account = call(&rest, "GET", "/api/v3/account", &[]).await.unwrap();
    let btc = account["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "BTC")
        .unwrap();
    assert_eq!(dec(&btc["locked"]), d("0.001"));
    move_market_until(&sandbox, async || {
        let list = ws_call(&api, "orderList.status", json!({"orderListId": list_id}))
            .await
            .unwrap();
        list["listOrderStatus"] == "ALL_DONE"
    })
    .await;
    let legs = [order(&rest, ids[0]).await, order(&rest, ids[1]).await];
    let statuses: Vec<&str> = legs.iter().map(|l| l["status"].as_str().unwrap()).collect();
    let (filled, expired) = match statuses.as_slice() {
        ["FILLED", "EXPIRED"] => (&legs[0], &legs[1]),
        ["EXPIRED", "FILLED"] => (&legs[1], &legs[0]),
        other => panic!("legs ended {other:?}"),
    };
    assert_eq!(filled["orderListId"], json!(list_id));
    assert_eq!(expired["expiryReason"], "OCO_TRIGGER", "{expired}");
    // The user data: the other leg's EXPIRED, then listStatus ALL_DONE.
    let expired_id = expired["orderId"].as_u64().unwrap();
    let mut saw_expired = false;
    loop {
        match next_event(&mut items).await {
            UserEvent::ExecutionReport(report)
                if report.order_id == expired_id && report.execution_type == "EXPIRED" =>
            {
                saw_expired = true;
            }
            UserEvent::ListStatus(status) if status.list_status_type == "ALL_DONE" => {
                assert_eq!(status.order_list_id, list_id as i64);
                assert_eq!(status.contingency_type, "OCO");
                break;
            }
            _ => {}
        }
    }
    assert!(saw_expired);
    let open = ws_call(&api, "openOrderLists.status", json!({}))
        .await
        .unwrap();
    assert_eq!(open, json!([]));
    let account = call(&rest, "GET", "/api/v3/account", &[]).await.unwrap();
    let btc = account["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "BTC")
        .unwrap();
    assert_eq!(dec(&btc["locked"]), Decimal::ZERO);
    api.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_lists_are_queried_and_canceled() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let rest = rest(&sandbox);
    let price = mid(&rest).await;
    let far = |factor: &str| (price * d(factor)).round_dp(2).to_string();
    let oco = call(
        &rest,
        "POST",
        "/api/v3/orderList/oco",
        &[
            ("symbol", "BTCUSDT".into()),
            ("listClientOrderId", "myOco1".into()),
            ("side", "BUY".into()),
            ("quantity", "0.001".into()),
            ("aboveType", "STOP_LOSS_LIMIT".into()),
            ("aboveStopPrice", far("1.05")),
            ("abovePrice", far("1.06")),
            ("aboveTimeInForce", "GTC".into()),
            ("belowType", "LIMIT_MAKER".into()),
            ("belowPrice", far("0.95")),
        ],
    )
    .await
    .unwrap();
    // ACK by default: order reports without a status.
    let reports = oco["orderReports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert!(reports[0].get("status").is_none(), "{oco}");
    let counts = call(&rest, "GET", "/api/v3/rateLimit/order", &[])
        .await
        .unwrap();
    assert_eq!(counts[0]["count"], 2, "an OCO counts two orders: {counts}");
    let found = call(
        &rest,
        "GET",
        "/api/v3/orderList",
        &[("origClientOrderId", "myOco1".into())],
    )
    .await
    .unwrap();
    assert_eq!(found["orderListId"], oco["orderListId"]);
    assert_eq!(found["listStatusType"], "EXEC_STARTED");
    assert_eq!(found["orders"].as_array().unwrap().len(), 2);
    let open = call(&rest, "GET", "/api/v3/openOrderList", &[])
        .await
        .unwrap();
    assert_eq!(open.as_array().unwrap().len(), 1);
    // The legacy OCO and an OTO next to it.
    let legacy = call(
        &rest,
        "POST",
        "/api/v3/order/oco",
        &[
            ("symbol", "BTCUSDT".into()),
            ("side", "SELL".into()),
            ("quantity", "0.001".into()),
            ("price", far("1.05")),
            ("stopPrice", far("0.95")),
            ("stopLimitPrice", far("0.94")),
            ("stopLimitTimeInForce", "GTC".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(legacy["contingencyType"], "OCO");
    let oto = call(
        &rest,
        "POST",
        "/api/v3/orderList/oto",
        &[
            ("symbol", "BTCUSDT".into()),
            ("workingType", "LIMIT".into()),
            ("workingSide", "BUY".into()),
            ("workingPrice", far("0.97")),
            ("workingQuantity", "0.001".into()),
            ("workingTimeInForce", "GTC".into()),
            ("pendingType", "LIMIT_MAKER".into()),
            ("pendingSide", "SELL".into()),
            ("pendingPrice", far("1.03")),
            ("pendingQuantity", "0.001".into()),
            ("newOrderRespType", "RESULT".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(oto["contingencyType"], "OTO");
    assert_eq!(oto["orderReports"][1]["status"], "PENDING_NEW");
    let open = call(
        &rest,
        "GET",
        "/api/v3/openOrders",
        &[("symbol", "BTCUSDT".into())],
    )
    .await
    .unwrap();
    assert_eq!(open.as_array().unwrap().len(), 6, "{open}");
    // Canceling one leg cancels its whole list.
    let leg = legacy["orders"][0]["orderId"].as_u64().unwrap();
    let canceled = call(
        &rest,
        "DELETE",
        "/api/v3/order",
        &[("symbol", "BTCUSDT".into()), ("orderId", leg.to_string())],
    )
    .await
    .unwrap();
    assert_eq!(canceled["status"], "CANCELED");
    let legacy_list = call(
        &rest,
        "GET",
        "/api/v3/orderList",
        &[("orderListId", legacy["orderListId"].to_string())],
    )
    .await
    .unwrap();
    assert_eq!(legacy_list["listOrderStatus"], "ALL_DONE");
    let canceled = call(
        &rest,
        "DELETE",
        "/api/v3/orderList",
        &[
            ("symbol", "BTCUSDT".into()),
            ("listClientOrderId", "myOco1".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(canceled["listStatusType"], "ALL_DONE");
    let statuses: Vec<&str> = canceled["orderReports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["CANCELED", "CANCELED"]);
    let again = call(
        &rest,
        "DELETE",
        "/api/v3/orderList",
        &[
            ("symbol", "BTCUSDT".into()),
            ("orderListId", oco["orderListId"].to_string()),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(again.code(), Some(-2011));
    let all = call(&rest, "GET", "/api/v3/allOrderList", &[])
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 3);
    let open = call(&rest, "GET", "/api/v3/openOrderList", &[])
        .await
        .unwrap();
    assert_eq!(open.as_array().unwrap().len(), 1, "the OTO: {open}");
    // Canceling every open order takes the OTO's two with it.
    let canceled = call(
        &rest,
        "DELETE",
        "/api/v3/openOrders",
        &[("symbol", "BTCUSDT".into())],
    )
    .await
    .unwrap();
    let statuses: Vec<&str> = canceled
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["CANCELED", "CANCELED"], "{canceled}");
    let open = call(&rest, "GET", "/api/v3/openOrderList", &[])
        .await
        .unwrap();
    assert_eq!(open, json!([]));
    let missing = call(
        &rest,
        "GET",
        "/api/v3/orderList",
        &[("orderListId", "99".into())],
    )
    .await
    .unwrap_err();
    assert_eq!(missing.code(), Some(-2013));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amended_order_still_fills_first() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let rest = rest(&sandbox);
    let (api, _items) = ws(&sandbox).await;
    for _attempt in 0..50 {
        // Two asks at the walk's price are the best asks (the synthetic
        // ones start a tick higher) as long as the walk stays.
        let price = mid(&rest).await;
        let ask = |qty: &str| {
            json!({"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT_MAKER",
                   "quantity": qty, "price": price.to_string()})
        };
        let (Ok(first), Ok(second)) = (
            ws_call(&api, "order.place", ask("0.002")).await,
            ws_call(&api, "order.place", ask("0.002")).await,
        ) else {
            cancel_all(&rest).await;
            continue;
        };
        let amended = ws_call(
            &api,
            "order.amend.keepPriority",
            json!({"symbol": "BTCUSDT", "orderId": first["orderId"], "newQty": "0.001"}),
        )
        .await;
        let Ok(amended) = amended else {
            cancel_all(&rest).await;
            continue;
        };
        // A buy of exactly the amended quantity at that price.
        let bought = call(
            &rest,
            "POST",
            "/api/v3/order",
            &[
                ("symbol", "BTCUSDT".into()),
                ("side", "BUY".into()),
                ("type", "LIMIT".into()),
                ("timeInForce", "IOC".into()),
                ("quantity", "0.001".into()),
                ("price", price.to_string()),
            ],
        )
        .await
        .unwrap();
        let first_now = order(&rest, first["orderId"].as_u64().unwrap()).await;
        let second_now = order(&rest, second["orderId"].as_u64().unwrap()).await;
        let undisturbed = bought["fills"]
            .as_array()
            .is_some_and(|fills| fills.iter().all(|fill| dec(&fill["price"]) == price))
            && second_now["status"] != "FILLED"
            && first_now["status"] != "CANCELED";
        if !undisturbed {
            // The walk moved between the requests.
            cancel_all(&rest).await;
            continue;
        }
        assert_eq!(amended["amendedOrder"]["qty"], "0.00100000");
        assert_eq!(amended["amendedOrder"]["status"], "NEW");
        assert_eq!(first_now["status"], "FILLED", "{first_now}");
        assert_eq!(
            first_now["clientOrderId"],
            amended["amendedOrder"]["clientOrderId"]
        );
        assert_eq!(second_now["status"], "NEW", "{second_now}");
        assert_eq!(dec(&second_now["executedQty"]), Decimal::ZERO);
        let history = call(
            &rest,
            "GET",
            "/api/v3/order/amendments",
            &[
                ("symbol", "BTCUSDT".into()),
                ("orderId", first["orderId"].to_string()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(history.as_array().unwrap().len(), 1, "{history}");
        assert_eq!(
            (
                history[0]["origQty"].as_str(),
                history[0]["newQty"].as_str(),
                &history[0]["executionId"]
            ),
            (
                Some("0.00200000"),
                Some("0.00100000"),
                &amended["executionId"]
            )
        );
        api.close().await;
        return;
    }
    panic!("the walk moved during every attempt");
}

async fn cancel_all(rest: &RestClient) {
    call(
        rest,
        "DELETE",
        "/api/v3/openOrders",
        &[("symbol", "BTCUSDT".into())],
    )
    .await
    .ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_trade_prevention_expires_the_taker_and_records_the_match() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let rest = rest(&sandbox);
    let (api, _items) = ws(&sandbox).await;
    let info = rest
        .send(Request::get("/api/v3/exchangeInfo").param("symbol", "BTCUSDT"))
        .await
        .unwrap();
    let info: Value = serde_json::from_str(&info.body).unwrap();
    let modes = &info["symbols"][0]["allowedSelfTradePreventionModes"];
    assert_eq!(modes.as_array().unwrap().len(), 6, "{modes}");
    for _attempt in 0..50 {
        let price = mid(&rest).await;
        let Ok(maker) = call(
            &rest,
            "POST",
            "/api/v3/order",
            &[
                ("symbol", "BTCUSDT".into()),
                ("side", "SELL".into()),
                ("type", "LIMIT_MAKER".into()),
                ("quantity", "0.001".into()),
                ("price", price.to_string()),
            ],
        )
        .await
        else {
            continue;
        };
        let taker = call(
            &rest,
            "POST",
            "/api/v3/order",
            &[
                ("symbol", "BTCUSDT".into()),
                ("side", "BUY".into()),
                ("type", "LIMIT".into()),
                ("timeInForce", "GTC".into()),
                ("quantity", "0.001".into()),
                ("price", price.to_string()),
                ("selfTradePreventionMode", "EXPIRE_TAKER".into()),
            ],
        )
        .await
        .unwrap();
        if taker["status"] != "EXPIRED_IN_MATCH" {
            // The walk moved: the buy met someone else's ask, or rests.
            cancel_all(&rest).await;
            continue;
        }
        assert_eq!(taker["selfTradePreventionMode"], "EXPIRE_TAKER");
        assert_eq!(taker["preventedQuantity"], "0.00100000", "{taker}");
        assert_eq!(taker["fills"], json!([]));
        let maker_id = maker["orderId"].as_u64().unwrap();
        assert_eq!(order(&rest, maker_id).await["status"], "NEW");
        let matches = ws_call(
            &api,
            "myPreventedMatches",
            json!({"symbol": "BTCUSDT", "orderId": taker["orderId"]}),
        )
        .await
        .unwrap();
        let found = &matches[0];
        assert_eq!(found["preventedMatchId"], taker["preventedMatchId"]);
        assert_eq!(found["takerOrderId"], taker["orderId"]);
        assert_eq!(found["makerOrderId"], json!(maker_id));
        assert_eq!(found["selfTradePreventionMode"], "EXPIRE_TAKER");
        assert_eq!(text(&found["price"]), format!("{price:.8}"));
        let by_id = call(
            &rest,
            "GET",
            "/api/v3/myPreventedMatches",
            &[
                ("symbol", "BTCUSDT".into()),
                ("preventedMatchId", found["preventedMatchId"].to_string()),
            ],
        )
        .await
        .unwrap();
        assert_eq!(by_id.as_array().unwrap().len(), 1);
        let filters = call(
            &rest,
            "GET",
            "/api/v3/myFilters",
            &[("symbol", "BTCUSDT".into())],
        )
        .await
        .unwrap();
        assert_eq!(filters["assetFilters"], json!([]));
        api.close().await;
        return;
    }
    panic!("the walk moved during every attempt");
}

#[test]
fn every_sandbox_endpoint_has_the_docs_security_on_both_transports() {
    use mbx_domain::endpoints::{Security, rest_endpoint, ws_method};
    use mbx_sandbox::Need;
    use mbx_sandbox::ops::{ENDPOINTS, Op};
    // The docs' table (generated from the pinned docs into mbx-domain) is
    // an oracle independent of the sandbox's own table.
    for endpoint in ENDPOINTS {
        let expected = match endpoint.op {
            Op::Public(_) => Security::None,
            Op::Signed(Need::Read, _) => Security::UserData,
            Op::Signed(Need::Trade, _) => Security::Trade,
        };
        let method = endpoint.http_method.as_str();
        if let Some(documented) = rest_endpoint(method, endpoint.path) {
            assert_eq!(documented.security, expected, "{method} {}", endpoint.path);
        } else {
            // Only wallet endpoints ccxt reads while loading markets are
            // outside the docs' tables.
            assert!(
                endpoint.path.starts_with("/sapi/"),
                "{method} {} undocumented",
                endpoint.path
            );
        }
        if let Some(name) = endpoint.ws_method {
            let documented = ws_method(name).unwrap_or_else(|| panic!("{name} undocumented"));
            assert_eq!(documented.security, expected, "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opo_sells_what_its_working_order_bought() {
    // faqs/opo.md over the WebSocket API: a working buy that takes from the
    // book at once, and a pending sell without a quantity that then rests
    // for what was received, net of the commission.
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let rest = rest(&sandbox);
    let (api, _items) = ws(&sandbox).await;
    let price = mid(&rest).await;
    let far = |factor: &str| (price * d(factor)).round_dp(2).to_string();
    let wrong_side = ws_call(
        &api,
        "orderList.place.opo",
        json!({
            "symbol": "BTCUSDT", "workingType": "LIMIT", "workingSide": "SELL",
            "workingPrice": far("1.01"), "workingQuantity": "0.01", "workingTimeInForce": "GTC",
            "pendingType": "LIMIT_MAKER", "pendingSide": "SELL", "pendingPrice": far("1.03"),
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(wrong_side.code(), Some(-1222), "{wrong_side}");
    let placed = ws_call(
        &api,
        "orderList.place.opo",
        json!({
            "symbol": "BTCUSDT", "workingType": "LIMIT", "workingSide": "BUY",
            "workingPrice": far("1.01"), "workingQuantity": "0.01", "workingTimeInForce": "GTC",
            "pendingType": "LIMIT_MAKER", "pendingSide": "SELL", "pendingPrice": far("1.03"),
            "newOrderRespType": "FULL",
        }),
    )
    .await
    .unwrap();
    assert_eq!(placed["contingencyType"], "OTO", "{placed}");
    let working = &placed["orderReports"][0];
    assert_eq!(working["status"], "FILLED", "{placed}");
    let commission: Decimal = working["fills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|fill| dec(&fill["commission"]))
        .sum();
    let received = dec(&working["executedQty"]) - commission;
    let pending_id = placed["orders"][1]["orderId"].as_u64().unwrap();
    let pending = order(&rest, pending_id).await;
    assert_eq!(pending["status"], "NEW", "{pending}");
    assert_eq!(pending["type"], "LIMIT_MAKER");
    // BTCUSDT's step is 0.00001: what was received, rounded down.
    assert_eq!(
        dec(&pending["origQty"]),
        received.round_dp_with_strategy(5, rust_decimal::RoundingStrategy::ToZero)
    );
    let pending_qty = call(
        &rest,
        "PUT",
        "/api/v3/order/amend/keepPriority",
        &[
            ("symbol", "BTCUSDT".into()),
            ("orderId", pending_id.to_string()),
            ("newQty", "0.001".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(pending_qty["amendedOrder"]["qty"], "0.00100000");
    api.close().await;
    sandbox.shutdown().await;
}
