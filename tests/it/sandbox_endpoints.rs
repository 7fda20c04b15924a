//! What the endpoints added for the docs' coverage answer, over real
//! sockets: the trading day ticker, block trades, the reference price, the
//! execution rules and the price range rule, and smart order routing with
//! its allocations, over REST, the WebSocket API and the streams.
// See: issue "The sandbox serves every Spot endpoint in the docs"

use mbx_adapters_rest::{ClientConfig, Request, RestClient};
use mbx_domain::Error;
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig};
use mbx_signing::{HmacKey, Signer};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::sandbox_ws::{connect, keys_in_order, next_json, next_text, send};
use crate::sandbox_ws_api::{call, signed};

const DAY_MS: i64 = 86_400_000;

fn client(sandbox: &Sandbox) -> RestClient {
    let credentials = Credentials::new(
        ApiKey::new(DEMO_API_KEY).unwrap(),
        Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
    );
    RestClient::new(
        ClientConfig::new(&sandbox.rest_url()).unwrap(),
        Some(credentials),
    )
    .unwrap()
}

async fn get(client: &RestClient, path: &str, params: &[(&str, &str)]) -> Value {
    let mut request = Request::get(path);
    for (name, value) in params {
        request = request.param(name, *value);
    }
    client.call(request).await.unwrap()
}

async fn signed_call(
    client: &RestClient,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
) -> Result<Value, Error> {
    let mut request = Request::new(method, path).unwrap();
    for (name, value) in params {
        request = request.param(name, *value);
    }
    client.call(request.signed()).await
}

#[track_caller]
fn api_code(res: Result<Value, Error>) -> (u16, Option<i64>) {
    match res {
        Err(Error::Api(api)) => (api.status, api.code),
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn decimal(value: &Value) -> Decimal {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trading_day_ticker_covers_the_day_in_its_time_zone() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let client = client(&sandbox);
    let now = sandbox.exchange().now_ms();
    let full = get(
        &client,
        "/api/v3/ticker/tradingDay",
        &[("symbol", "BTCUSDT")],
    )
    .await;
    let open = full["openTime"].as_i64().unwrap();
    assert_eq!(open, now.div_euclid(DAY_MS) * DAY_MS, "{full}");
    assert_eq!(full["closeTime"].as_i64().unwrap(), open + DAY_MS - 1);
    assert!(full["count"].as_u64().unwrap() > 0, "{full}");
    let keys: Vec<&str> = full
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "priceChange",
        "priceChangePercent",
        "weightedAvgPrice",
        "lastPrice",
        "firstId",
    ] {
        assert!(keys.contains(&key), "{key} in {full}");
    }
    // Eight hours east, the day opens eight hours earlier (or 16 later).
    let mini = get(
        &client,
        "/api/v3/ticker/tradingDay",
        &[
            ("symbols", r#"["BTCUSDT","BNBBTC"]"#),
            ("type", "MINI"),
            ("timeZone", "8"),
        ],
    )
    .await;
    let rows = mini.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{mini}");
    assert!(rows[0].get("priceChange").is_none(), "{mini}");
    let open_east = rows[0]["openTime"].as_i64().unwrap();
    assert_eq!((open_east + 8 * 3_600_000).rem_euclid(DAY_MS), 0);
    assert!(open_east <= now && now < open_east + DAY_MS);
    let missing = client
        .call::<Value>(Request::get("/api/v3/ticker/tradingDay"))
        .await;
    assert_eq!(api_code(missing), (400, Some(-1102)));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_trades_are_an_empty_history_of_a_listed_symbol() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let client = client(&sandbox);
    let path = "/api/v3/historicalBlockTrades";
    let none = get(&client, path, &[("symbol", "BNBBTC"), ("fromId", "1")]).await;
    assert_eq!(none, json!([]));
    let unknown = client
        .call::<Value>(
            Request::get(path)
                .param("symbol", "NOPE")
                .param("fromId", "1"),
        )
        .await;
    assert_eq!(api_code(unknown), (400, Some(-1121)));
    let no_from = client
        .call::<Value>(Request::get(path).param("symbol", "BNBBTC"))
        .await;
    assert_eq!(api_code(no_from), (400, Some(-1102)));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_price_is_the_mean_of_the_last_trades() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let client = client(&sandbox);
    let raw = client
        .send(Request::get("/api/v3/referencePrice").param("symbol", "ETHUSDT"))
        .await
        .unwrap();
    assert_eq!(
        keys_in_order(&raw.body),
        ["symbol", "referencePrice", "timestamp"]
    );
    let reference: Value = serde_json::from_str(&raw.body).unwrap();
    let price = decimal(&reference["referencePrice"]);
    let time = reference["timestamp"].as_i64().unwrap();
    // A mean of the trades of the last ten seconds (and a part of the
    // eleventh): between their lowest and highest price.
    let trades = get(&client, "/api/v3/trades", &[("symbol", "ETHUSDT")]).await;
    let recent: Vec<Decimal> = trades
        .as_array()
        .unwrap()
        .iter()
        .filter(|trade| trade["time"].as_i64().unwrap() > time - 11_000)
        .map(|trade| decimal(&trade["price"]))
        .collect();
    let (low, high) = (
        recent.iter().min().copied().unwrap(),
        recent.iter().max().copied().unwrap(),
    );
    assert!(low <= price && price <= high, "{low} <= {price} <= {high}");
    let calculation = get(
        &client,
        "/api/v3/referencePrice/calculation",
        &[("symbol", "ETHUSDT")],
    )
    .await;
    assert_eq!(
        calculation,
        json!({"symbol": "ETHUSDT", "calculationType": "ARITHMETIC_MEAN",
               "bucketCount": 10, "bucketWidthMs": 1000})
    );
    let halted = client
        .call::<Value>(
            Request::get("/api/v3/referencePrice/calculation")
                .param("symbol", "ETHUSDT")
                .param("symbolStatus", "HALT"),
        )
        .await;
    assert_eq!(api_code(halted), (400, Some(-1220)));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_symbol_has_the_price_range_rule() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let client = client(&sandbox);
    let one = get(&client, "/api/v3/executionRules", &[("symbol", "BTCUSDT")]).await;
    assert_eq!(
        one,
        json!({"symbolRules": [{"symbol": "BTCUSDT", "rules": [{
            "ruleType": "PRICE_RANGE",
            "bidLimitMultUp": "2.0000", "bidLimitMultDown": "0.5000",
            "askLimitMultUp": "2.0000", "askLimitMultDown": "0.5000"}]}]})
    );
    let all = get(&client, "/api/v3/executionRules", &[]).await;
    assert_eq!(all["symbolRules"].as_array().unwrap().len(), 9);
    let halted = get(
        &client,
        "/api/v3/executionRules",
        &[("symbolStatus", "HALT")],
    )
    .await;
    assert_eq!(halted, json!({"symbolRules": []}));
    let both = client
        .call::<Value>(
            Request::get("/api/v3/executionRules")
                .param("symbol", "BTCUSDT")
                .param("symbols", r#"["ETHUSDT"]"#),
        )
        .await;
    assert_eq!(api_code(both), (400, Some(-1128)));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taker_that_would_trade_outside_the_price_range_expires() {
    // Enough USDT to take every synthetic ask of BTCUSDT (at most about
    // 12 BTC) at up to three times the price.
    let mut config = SandboxConfig::demo();
    config.accounts[0].balances = vec![
        ("BTC".to_owned(), "1".to_owned()),
        ("USDT".to_owned(), "10000000".to_owned()),
    ];
    let sandbox = Sandbox::start(config).await.unwrap();
    let client = client(&sandbox);
    let reference = get(&client, "/api/v3/referencePrice", &[("symbol", "BTCUSDT")]).await;
    let reference = decimal(&reference["referencePrice"]);
    let at = |factor: &str| {
        (reference * factor.parse::<Decimal>().unwrap())
            .round_dp(2)
            .to_string()
    };
    let limit = |side: &'static str, price: String, qty: &'static str| {
        vec![
            ("symbol", "BTCUSDT".to_owned()),
            ("side", side.to_owned()),
            ("type", "LIMIT".to_owned()),
            ("timeInForce", "GTC".to_owned()),
            ("quantity", qty.to_owned()),
            ("price", price),
        ]
    };
    let place = |params: Vec<(&'static str, String)>| {
        let mut request = Request::new("POST", "/api/v3/order").unwrap();
        for (name, value) in params {
            request = request.param(name, value);
        }
        client.call::<Value>(request.signed())
    };
    // Rests far above the market: beyond twice the reference price.
    let far = place(limit("SELL", at("2.5"), "0.001")).await.unwrap();
    assert_eq!(far["status"], "NEW", "{far}");
    // Sweeps the synthetic asks, then would take the far order.
    let taker = place(limit("BUY", at("3"), "12.5")).await.unwrap();
    assert_eq!(taker["status"], "EXPIRED", "{taker}");
    assert_eq!(taker["expiryReason"], "EXECUTION_RULE_PRICE_RANGE_EXCEEDED");
    let executed = decimal(&taker["executedQty"]);
    assert!(executed > Decimal::ZERO && executed < "12.5".parse().unwrap());
    let far_now = signed_call(
        &client,
        "GET",
        "/api/v3/order",
        &[
            ("symbol", "BTCUSDT"),
            ("orderId", &far["orderId"].to_string()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(far_now["status"], "NEW", "the far order was not taken");
    let queried = signed_call(
        &client,
        "GET",
        "/api/v3/order",
        &[
            ("symbol", "BTCUSDT"),
            ("orderId", &taker["orderId"].to_string()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        queried["expiryReason"],
        "EXECUTION_RULE_PRICE_RANGE_EXCEEDED"
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sor_orders_are_filled_by_allocations() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let client = client(&sandbox);
    let info = get(&client, "/api/v3/exchangeInfo", &[]).await;
    assert_eq!(
        info["sors"],
        json!([
            {"baseAsset": "BTC", "symbols": ["BTCUSDT"]},
            {"baseAsset": "ETH", "symbols": ["ETHUSDT"]},
            {"baseAsset": "BNB", "symbols": ["BNBUSDT"]},
            {"baseAsset": "LTC", "symbols": ["LTCUSDT"]}
        ])
    );
    let bnbbtc = get(&client, "/api/v3/exchangeInfo", &[("symbol", "BNBBTC")]).await;
    assert!(bnbbtc.get("sors").is_none(), "{bnbbtc}");
    let market = [
        ("symbol", "ETHUSDT"),
        ("side", "BUY"),
        ("type", "MARKET"),
        ("quantity", "1"),
    ];
    let placed = signed_call(&client, "POST", "/api/v3/sor/order", &market)
        .await
        .unwrap();
    assert_eq!(placed["status"], "FILLED", "{placed}");
    assert_eq!(placed["usedSor"], true);
    assert_eq!(placed["workingFloor"], "SOR");
    let fills = placed["fills"].as_array().unwrap();
    assert!(!fills.is_empty());
    for (number, fill) in fills.iter().enumerate() {
        assert_eq!(fill["matchType"], "ONE_PARTY_TRADE_REPORT", "{fill}");
        assert_eq!(fill["tradeId"], -1);
        assert_eq!(fill["allocId"], number as u64);
    }
    let order_id = placed["orderId"].to_string();
    let by_order = [("symbol", "ETHUSDT"), ("orderId", order_id.as_str())];
    let allocations = signed_call(&client, "GET", "/api/v3/myAllocations", &by_order)
        .await
        .unwrap();
    let allocations = allocations.as_array().unwrap();
    assert_eq!(allocations.len(), fills.len());
    let total: Decimal = allocations.iter().map(|a| decimal(&a["qty"])).sum();
    assert_eq!(total, Decimal::ONE);
    assert_eq!(allocations[0]["allocationType"], "SOR");
    assert_eq!(allocations[0]["isBuyer"], true);
    let trades = signed_call(&client, "GET", "/api/v3/myTrades", &by_order)
        .await
        .unwrap();
    assert_eq!(trades, json!([]), "allocations are not trades");
    let queried = signed_call(&client, "GET", "/api/v3/order", &by_order)
        .await
        .unwrap();
    assert_eq!(
        (&queried["usedSor"], &queried["workingFloor"]),
        (&json!(true), &json!("SOR"))
    );
    let no_sor = signed_call(
        &client,
        "POST",
        "/api/v3/sor/order",
        &[
            ("symbol", "BNBBTC"),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quantity", "1"),
        ],
    )
    .await;
    assert_eq!(api_code(no_sor), (400, Some(-1013)));
    let quote = signed_call(
        &client,
        "POST",
        "/api/v3/sor/order",
        &[
            ("symbol", "ETHUSDT"),
            ("side", "BUY"),
            ("type", "MARKET"),
            ("quoteOrderQty", "100"),
        ],
    )
    .await;
    assert_eq!(api_code(quote), (400, Some(-1104)));
    let test = Request::new("POST", "/api/v3/sor/order/test")
        .unwrap()
        .param("symbol", "ETHUSDT")
        .param("side", "BUY")
        .param("type", "MARKET")
        .param("quantity", "1")
        .param("computeCommissionRates", "true");
    let test = client.send(test.signed()).await.unwrap();
    assert_eq!(
        keys_in_order(&test.body),
        [
            "standardCommissionForOrder",
            "taxCommissionForOrder",
            "discount"
        ]
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sor_over_the_websocket_api_answers_a_list_and_reports_allocations() {
    let sandbox = crate::sandbox_ws_api::start().await;
    let signer = Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap());
    let mut ws = connect(&sandbox.ws_api_url()).await;
    let subscribe = signed(&sandbox, DEMO_API_KEY, &signer, json!({}));
    let subscribed = call(&mut ws, 1, "userDataStream.subscribe.signature", subscribe).await;
    assert_eq!(subscribed["status"], 200, "{subscribed}");
    let params = signed(
        &sandbox,
        DEMO_API_KEY,
        &signer,
        json!({"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET", "quantity": "0.01"}),
    );
    let request = json!({"id": 2, "method": "sor.order.place", "params": params});
    send(&mut ws, &request.to_string()).await;
    // The answer and the order's events, in whatever order they come.
    let (mut reply, mut trade_report) = (None, None);
    while reply.is_none() || trade_report.is_none() {
        let frame = next_json(&mut ws).await;
        let event = &frame["event"];
        if frame["id"] == 2 {
            reply = Some(frame);
        } else if event["e"] == "executionReport" && event["x"] == "TRADE" {
            trade_report.get_or_insert(event.clone());
        }
    }
    let (reply, report) = (reply.unwrap(), trade_report.unwrap());
    let result = reply["result"].as_array().expect("a list");
    assert_eq!(result.len(), 1, "{reply}");
    assert_eq!(result[0]["usedSor"], true);
    assert_eq!(result[0]["fills"][0]["allocId"], 0);
    assert_eq!(report["t"], -1, "{report}");
    assert_eq!(report["b"], "ONE_PARTY_TRADE_REPORT");
    assert_eq!(report["a"], 0);
    assert_eq!(report["k"], "SOR");
    assert_eq!(report["uS"], true);
    let allocations = call(
        &mut ws,
        3,
        "myAllocations",
        signed(
            &sandbox,
            DEMO_API_KEY,
            &signer,
            json!({"symbol": "BTCUSDT"}),
        ),
    )
    .await;
    assert_eq!(allocations["result"][0]["allocationId"], 0, "{allocations}");
    assert_eq!(allocations["result"][0]["isBuyer"], false);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_price_stream_ticks_and_block_trades_subscribe() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
    let url = format!("{}/ws/btcusdt@referencePrice", sandbox.ws_stream_url());
    let mut ws = connect(&url).await;
    let text = next_text(&mut ws).await.expect("a referencePrice event");
    assert_eq!(keys_in_order(&text), ["e", "s", "r", "t"], "{text}");
    let event: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (&event["e"], &event["s"]),
        (&json!("referencePrice"), &json!("BTCUSDT"))
    );
    assert!(decimal(&event["r"]) > Decimal::ZERO);
    send(
        &mut ws,
        r#"{"method":"SUBSCRIBE","params":["bnbbtc@blockTrade"],"id":7}"#,
    )
    .await;
    loop {
        let frame = next_json(&mut ws).await;
        if frame["id"] == 7 {
            assert_eq!(frame, json!({"result": null, "id": 7}));
            break;
        }
        assert_eq!(frame["e"], "referencePrice", "{frame}");
    }
    sandbox.shutdown().await;
}
